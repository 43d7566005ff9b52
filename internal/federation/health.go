package federation

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/store"
)

// Health states of a peer, as the worker saw it last.
const (
	HealthUnknown     = "unknown"     // no exchange yet
	HealthOK          = "ok"          // the last exchange succeeded
	HealthUnreachable = "unreachable" // the last exchange failed
)

// PeerHealth is the worker's view of one peer.
type PeerHealth struct {
	State       string    `json:"state"`
	LastOK      time.Time `json:"last_ok,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Failures    int       `json:"consecutive_failures"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
}

type peerHealth struct{ PeerHealth }

func (s *Service) noteOK(peer string) {
	now := s.clock.Now()
	s.mu.Lock()
	h := s.healthOf(peer)
	h.State, h.LastOK, h.LastAttempt, h.Failures, h.LastError = HealthOK, now, now, 0, ""
	s.mu.Unlock()
}

func (s *Service) noteFailure(peer string, err error) {
	now := s.clock.Now()
	s.mu.Lock()
	h := s.healthOf(peer)
	h.State, h.LastAttempt, h.LastError = HealthUnreachable, now, err.Error()
	h.Failures++
	s.mu.Unlock()
}

// healthOf requires s.mu held for writing.
func (s *Service) healthOf(peer string) *peerHealth {
	h := s.health[peer]
	if h == nil {
		h = &peerHealth{PeerHealth{State: HealthUnknown}}
		s.health[peer] = h
	}
	return h
}

// Health returns the worker's view of every peer it has worked for.
func (s *Service) Health() map[string]PeerHealth {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]PeerHealth, len(s.health))
	for p, h := range s.health {
		out[p] = h.PeerHealth
	}
	return out
}

// Degraded lists the peers the worker cannot reach now; /readyz reports
// them without failing, since the node still serves its own users.
func (s *Service) Degraded() []string {
	var out []string
	for p, h := range s.Health() {
		if h.State == HealthUnreachable {
			out = append(out, p)
		}
	}
	return out
}

// PeerStatus is a paired peer with its queue, as `liaison peer list`
// shows it. It is computed from the store alone, so it is correct from
// any process, whether or not the node is serving.
type PeerStatus struct {
	store.Peer
	QueueDepth    int64     `json:"queue_depth"`
	Failed        int64     `json:"failed"`
	OldestPending time.Time `json:"oldest_pending,omitzero"`
	// Health is "ok" (nothing waiting on a failed attempt), "retrying"
	// (the oldest waiting envelope failed MaxAttempts times; LastError
	// says why) or "never contacted".
	Health    string `json:"health"`
	Attempts  int    `json:"attempts,omitempty"`
	LastError string `json:"last_error,omitempty"`
}

// PeerStatuses returns every peer with its outbox state.
func PeerStatuses(ctx context.Context, st store.Queries) ([]PeerStatus, error) {
	peers, err := st.ListPeers(ctx)
	if err != nil {
		return nil, err
	}
	stats, err := st.OutboxStats(ctx)
	if err != nil {
		return nil, err
	}
	by := map[string]store.OutboxStat{}
	for _, s := range stats {
		by[s.Recipient] = s
	}
	out := make([]PeerStatus, 0, len(peers))
	for _, p := range peers {
		s := by[p.Party]
		ps := PeerStatus{Peer: p, QueueDepth: s.Pending, Failed: s.Failed, OldestPending: s.OldestPending,
			Attempts: s.MaxAttempts, LastError: s.LastError, Health: HealthOK}
		switch {
		case s.MaxAttempts > 0:
			ps.Health = "retrying"
		case p.LastContact.IsZero():
			ps.Health = "never contacted"
		}
		out = append(out, ps)
	}
	return out, nil
}
