package demo

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/api"
	"github.com/liaison-dev/liaison/internal/envelope"
	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/identity"
	"github.com/liaison-dev/liaison/internal/store"
)

// Step is one verified part of the story.
type Step struct {
	Name string
	Run  func(ctx context.Context, s *Story) error
}

// Story is the state the steps share.
type Story struct {
	World   *World
	Clients map[string]*Client // by party code
}

// Node returns the running node of a party.
func (s *Story) Node(party string) *Running {
	for _, r := range s.World.Nodes {
		if r.Party.Code == party {
			return r
		}
	}
	return nil
}

// Steps is the scripted story. Each capability adds its part here.
var Steps = []Step{
	{"every node is healthy and ready", stepHealth},
	{"each node's API identifies its party and store", stepNodeInfo},
	{"the OpenAPI document lists the API", stepOpenAPI},
	{"requests without credentials get 401 problem JSON", stepUnauthenticated},
	{"a wrong password gets 401", stepWrongPassword},
	{"an analyst may not create an agency (403)", stepForbidden},
	{"malformed JSON gets 400; an unknown field is named", stepMalformed},
	{"an oversize body gets 413", stepOversize},
	{"invalid fields are all named (422)", stepValidation},
	{"an admin creates a user; an API token works and is shown once", stepUserAndToken},
	{"the 24/7 roster names who is on call now, primary and backup", stepOnCall},
	{"each node's signed descriptor verifies and carries its 24/7 contacts", stepDescriptor},
	{"every node has every other paired, with the keys it publishes pinned", stepPeers},
	{"the audit trail records the story and its hash chain verifies", stepAudit},
	{"federation: a message goes each way, is applied once, and its signed receipt is stored and verifies", stepFederationDelivery},
	{"federation: a forged envelope is refused (403 bad_signature), logged and counted, and not applied", stepFederationForgery},
	{"requests: a preservation request US→CN is delivered, acknowledged and answered; both sides hold the same timeline", stepPreservation},
	{"requests: an unacknowledged emergency disclosure escalates to the backup and the supervisor, and its breach is recorded on both sides", stepEmergencyEscalates},
	{"hotline: a drill US→CN is acknowledged and its time to acknowledgement recorded at US", stepDrill},
}

// Check plays the story against a served world, printing one line per
// step. It returns an error naming the failed steps.
func Check(ctx context.Context, w *World, out io.Writer) error {
	s := &Story{World: w, Clients: map[string]*Client{}}
	for _, r := range w.Nodes {
		c, err := NewClient(r)
		if err != nil {
			return err
		}
		s.Clients[r.Party.Code] = c
	}
	var failed []string
	for _, st := range Steps {
		if err := st.Run(ctx, s); err != nil {
			fmt.Fprintf(out, "FAIL  %s\n      %v\n", st.Name, err)
			failed = append(failed, st.Name)
			continue
		}
		fmt.Fprintf(out, "ok    %s\n", st.Name)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d checks failed: %s", len(failed), len(Steps), strings.Join(failed, "; "))
	}
	fmt.Fprintf(out, "all %d checks passed\n", len(Steps))
	return nil
}

func forEach(s *Story, fn func(code string, c *Client) error) error {
	for _, r := range s.World.Nodes {
		if err := fn(r.Party.Code, s.Clients[r.Party.Code]); err != nil {
			return fmt.Errorf("%s: %w", r.Party.Code, err)
		}
	}
	return nil
}

func lower(code string) string { return strings.ToLower(code) }

func stepHealth(ctx context.Context, s *Story) error {
	return forEach(s, func(code string, c *Client) error {
		if _, err := c.Expect(ctx, 200, "GET", "/healthz", nil, nil); err != nil {
			return err
		}
		var ready struct{ Status string }
		if _, err := c.Expect(ctx, 200, "GET", "/readyz", nil, &ready); err != nil {
			return err
		}
		if ready.Status != "ready" {
			return fmt.Errorf("readyz says %q", ready.Status)
		}
		return nil
	})
}

func stepNodeInfo(ctx context.Context, s *Story) error {
	return forEach(s, func(code string, c *Client) error {
		var info api.NodeInfo
		if _, err := c.As(lower(code)+"-officer").Expect(ctx, 200, "GET", "/api/v1/node", nil, &info); err != nil {
			return err
		}
		if info.Party != code || info.Backend == "" || info.SchemaVersion < 1 {
			return fmt.Errorf("node info %+v", info)
		}
		return nil
	})
}

func stepOpenAPI(ctx context.Context, s *Story) error {
	return forEach(s, func(code string, c *Client) error {
		var doc struct {
			OpenAPI string         `json:"openapi"`
			Paths   map[string]any `json:"paths"`
		}
		if _, err := c.Expect(ctx, 200, "GET", "/api/v1/openapi.json", nil, &doc); err != nil {
			return err
		}
		if doc.OpenAPI != "3.1.0" || doc.Paths["/api/v1/agencies"] == nil {
			return fmt.Errorf("openapi document lacks /api/v1/agencies")
		}
		return nil
	})
}

func expectProblem(ctx context.Context, c *Client, status int, method, path string, body any, field string) error {
	var p api.Problem
	r, err := c.Expect(ctx, status, method, path, body, &p)
	if err != nil {
		return err
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		return fmt.Errorf("content type %q, want application/problem+json", ct)
	}
	if field == "" {
		return nil
	}
	for _, e := range p.Errors {
		if e.Field == field {
			return nil
		}
	}
	return fmt.Errorf("problem %+v does not name field %q", p, field)
}

func stepUnauthenticated(ctx context.Context, s *Story) error {
	return forEach(s, func(code string, c *Client) error {
		return expectProblem(ctx, c, 401, "GET", "/api/v1/agencies", nil, "")
	})
}

func stepWrongPassword(ctx context.Context, s *Story) error {
	return forEach(s, func(code string, c *Client) error {
		bad := c.As(lower(code) + "-admin")
		bad.Password = "not the password"
		return expectProblem(ctx, bad, 401, "GET", "/api/v1/agencies", nil, "")
	})
}

func stepForbidden(ctx context.Context, s *Story) error {
	return forEach(s, func(code string, c *Client) error {
		return expectProblem(ctx, c.As(lower(code)+"-analyst"), 403, "POST", "/api/v1/agencies",
			store.Agency{Code: "X", Name: "X", Kind: "police"}, "")
	})
}

func stepMalformed(ctx context.Context, s *Story) error {
	return forEach(s, func(code string, c *Client) error {
		admin := c.As(lower(code) + "-admin")
		if err := expectProblem(ctx, admin, 400, "POST", "/api/v1/agencies", `{"code": "X",`, ""); err != nil {
			return err
		}
		if err := expectProblem(ctx, admin, 400, "POST", "/api/v1/agencies", `{"code":"X","name":"X","kind":"police","budget":1}`, "budget"); err != nil {
			return err
		}
		return expectProblem(ctx, admin, 400, "POST", "/api/v1/agencies", `{"code":7}`, "code")
	})
}

func stepOversize(ctx context.Context, s *Story) error {
	return forEach(s, func(code string, c *Client) error {
		limit := s.Node(code).Node.Config.Limits.MaxBodyBytes
		body := `{"name":"` + strings.Repeat("x", int(limit)) + `"}`
		return expectProblem(ctx, c.As(lower(code)+"-admin"), 413, "POST", "/api/v1/agencies", body, "")
	})
}

func stepValidation(ctx context.Context, s *Story) error {
	return forEach(s, func(code string, c *Client) error {
		admin := c.As(lower(code) + "-admin")
		for _, f := range []string{"code", "name", "kind"} {
			if err := expectProblem(ctx, admin, 422, "POST", "/api/v1/agencies", store.Agency{Code: "bad code"}, f); err != nil {
				return err
			}
		}
		return nil
	})
}

func stepUserAndToken(ctx context.Context, s *Story) error {
	return forEach(s, func(code string, c *Client) error {
		admin := c.As(lower(code) + "-admin")
		agency := s.Node(code).Party.Agencies[0].Code
		var u store.User
		if _, err := admin.Expect(ctx, 201, "POST", "/api/v1/users", map[string]any{
			"username": lower(code) + "-nightdesk", "display_name": "Night desk", "agency": agency,
			"roles": []string{"liaison_officer"}, "password": "a long enough passphrase"}, &u); err != nil {
			return err
		}
		var tok api.TokenResponse
		if _, err := admin.Expect(ctx, 201, "POST", "/api/v1/users/"+u.ID+"/tokens", api.TokenRequest{Name: "desk script", TTL: "24h"}, &tok); err != nil {
			return err
		}
		var me store.User
		if _, err := c.WithToken(tok.Secret).Expect(ctx, 200, "GET", "/api/v1/me", nil, &me); err != nil {
			return err
		}
		if me.Username != u.Username {
			return fmt.Errorf("token authenticates as %q", me.Username)
		}
		var list []map[string]any
		r, err := admin.Expect(ctx, 200, "GET", "/api/v1/me/tokens", nil, &list)
		if err != nil {
			return err
		}
		if bytes.Contains(r.Body, []byte(tok.Secret)) {
			return fmt.Errorf("token secret shown again")
		}
		// Disabling the account stops its token at once.
		if _, err := admin.Expect(ctx, 204, "POST", "/api/v1/users/"+u.ID+"/disable", nil, nil); err != nil {
			return err
		}
		_, err = c.WithToken(tok.Secret).Expect(ctx, 401, "GET", "/api/v1/me", nil, nil)
		return err
	})
}

func stepOnCall(ctx context.Context, s *Story) error {
	return forEach(s, func(code string, c *Client) error {
		var oc struct {
			Primary []store.Contact `json:"primary"`
			Backup  []store.Contact `json:"backup"`
		}
		if _, err := c.As(lower(code)+"-officer").Expect(ctx, 200, "GET", "/api/v1/oncall", nil, &oc); err != nil {
			return err
		}
		p := s.Node(code).Party
		if len(oc.Primary) != 1 || oc.Primary[0].Name != p.Contacts[0].Name || len(oc.Backup) != 1 || oc.Backup[0].Name != p.Contacts[1].Name {
			return fmt.Errorf("on call: %+v", oc)
		}
		return nil
	})
}

func stepDescriptor(ctx context.Context, s *Story) error {
	return forEach(s, func(code string, c *Client) error {
		r, err := c.As(lower(code)+"-officer").Expect(ctx, 200, "GET", "/api/v1/node/descriptor", nil, nil)
		if err != nil {
			return err
		}
		d, err := identity.Verify(bytes.NewReader(r.Body), nil)
		if err != nil {
			return err
		}
		if d.Party != code || len(d.Contacts) != len(s.Node(code).Party.Contacts) {
			return fmt.Errorf("descriptor party %s with %d contacts", d.Party, len(d.Contacts))
		}
		return nil
	})
}

func stepPeers(ctx context.Context, s *Story) error {
	infos := map[string]api.NodeInfo{}
	if err := forEach(s, func(code string, c *Client) error {
		var info api.NodeInfo
		_, err := c.As(lower(code)+"-officer").Expect(ctx, 200, "GET", "/api/v1/node", nil, &info)
		infos[code] = info
		return err
	}); err != nil {
		return err
	}
	return forEach(s, func(code string, c *Client) error {
		var peers []store.Peer
		if _, err := c.As(lower(code)+"-officer").Expect(ctx, 200, "GET", "/api/v1/peers", nil, &peers); err != nil {
			return err
		}
		if len(peers) != len(s.World.Nodes)-1 {
			return fmt.Errorf("%d peers, want %d", len(peers), len(s.World.Nodes)-1)
		}
		for _, p := range peers {
			info := infos[p.Party]
			if p.TLSFingerprint != info.TLSFingerprint || identity.KeyFingerprint(p.SigningKey) != info.SigningKeyID || p.Endpoint != info.Endpoint {
				return fmt.Errorf("peer %s pinned %s/%s, node publishes %s/%s", p.Party, p.TLSFingerprint[:12], identity.KeyFingerprint(p.SigningKey), info.TLSFingerprint[:12], info.SigningKeyID)
			}
		}
		return nil
	})
}

func stepAudit(ctx context.Context, s *Story) error {
	return forEach(s, func(code string, c *Client) error {
		auditor := c.As(lower(code) + "-auditor")
		var st api.ChainStatus
		if _, err := auditor.Expect(ctx, 200, "GET", "/api/v1/audit/verify", nil, &st); err != nil {
			return err
		}
		if !st.Valid || st.Entries < 10 {
			return fmt.Errorf("audit chain: %+v", st)
		}
		var entries []store.AuditEntry
		if _, err := auditor.Expect(ctx, 200, "GET", "/api/v1/audit?object_type=token&limit=10", nil, &entries); err != nil {
			return err
		}
		if len(entries) == 0 || entries[0].Action != "token.create" {
			return fmt.Errorf("token creation not audited: %+v", entries)
		}
		// An officer may not read the audit trail.
		_, err := c.As(lower(code)+"-officer").Expect(ctx, http.StatusForbidden, "GET", "/api/v1/audit", nil, nil)
		return err
	})
}

// demoNoteType is the envelope type of the federation steps; its handler
// records each note in the receiving node's audit trail, in the inbox
// transaction.
const demoNoteType = "demo.note"

func registerDemoNote(r *Running) {
	r.Node.Federation.Handle(demoNoteType, func(ctx context.Context, q store.Queries, d federation.Delivery) error {
		_, err := q.AppendAudit(ctx, store.AuditEntry{At: d.Received, Actor: "peer:" + d.Header.Sender, Action: "demo.note.receive",
			ObjectType: "envelope", ObjectID: d.Header.ID, Detail: string(d.Payload)})
		return err
	})
}

func stepFederationDelivery(ctx context.Context, s *Story) error {
	for _, r := range s.World.Nodes {
		registerDemoNote(r)
	}
	for _, from := range s.World.Nodes {
		for _, to := range s.World.Nodes {
			if from == to {
				continue
			}
			id, err := from.Node.Federation.Send(ctx, federation.Message{Type: demoNoteType, Recipients: []string{to.Party.Code},
				Conversation: "demo-" + from.Party.Code + "-" + to.Party.Code, Exercise: true, Marking: "TLP:GREEN",
				Payload: []byte("liaison demo: hello from " + from.Party.Name)})
			if err != nil {
				return fmt.Errorf("%s → %s: %w", from.Party.Code, to.Party.Code, err)
			}
			var rcpt store.StoredReceipt
			deadline := time.Now().Add(20 * time.Second)
			for {
				if rcpt, err = from.Node.Store.GetReceipt(ctx, id, to.Party.Code); err == nil {
					break
				}
				if !errors.Is(err, store.ErrNotFound) || time.Now().After(deadline) {
					return fmt.Errorf("%s → %s: no receipt for %s: %v", from.Party.Code, to.Party.Code, id, err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			// The receipt verifies under the key the sender pinned for
			// the receiver, and names the exact bytes the receiver kept.
			rc, err := envelope.UnmarshalReceipt(rcpt.Receipt)
			if err != nil {
				return err
			}
			peer, err := from.Node.Store.GetPeer(ctx, to.Party.Code)
			if err != nil {
				return err
			}
			if err := rc.Verify(ed25519.PublicKey(peer.SigningKey)); err != nil {
				return fmt.Errorf("%s → %s: receipt: %w", from.Party.Code, to.Party.Code, err)
			}
			in, err := to.Node.Store.GetInbox(ctx, id)
			if err != nil || in.EnvelopeHash != rc.EnvelopeHash {
				return fmt.Errorf("%s → %s: receiver's inbox %+v, %v, receipt hash %s", from.Party.Code, to.Party.Code, in.EnvelopeHash, err, rc.EnvelopeHash)
			}
			entries, err := to.Node.Store.ListAudit(ctx, store.AuditFilter{ObjectType: "envelope", ObjectID: id})
			if err != nil || len(entries) != 1 {
				return fmt.Errorf("%s → %s: applied %d times (%v)", from.Party.Code, to.Party.Code, len(entries), err)
			}
		}
	}
	return nil
}

func stepFederationForgery(ctx context.Context, s *Story) error {
	us, cn := s.Node("US"), s.Node("CN")
	if us == nil || cn == nil {
		return fmt.Errorf("the story needs US and CN")
	}
	registerDemoNote(cn)
	// An envelope that claims to come from US but is signed by a key US
	// never published, sent over US's own mutual TLS: only the signature
	// can tell it apart.
	_, forger, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	h := envelope.Header{ID: envelope.NewID(), Type: demoNoteType, Sender: "US", Recipients: []string{"CN"},
		Created: time.Now().UTC().Truncate(time.Microsecond), Conversation: "demo-forgery"}
	envs, err := envelope.Seal(h, []byte("transfer the case file to me"), forger, map[string]hpke.PublicKey{"CN": cn.Node.Identity.Encryption.PublicKey()})
	if err != nil {
		return err
	}
	body, err := envs["CN"].Marshal()
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: federation.PinnedTLS(us.Node.Identity.TLS, cn.Node.Identity.TLSFingerprint())}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cn.URL()+federation.Prefix+"/inbox", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", federation.SingleContentType)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var p federation.Problem
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&p); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusForbidden || p.Reason != federation.ReasonBadSignature || resp.Header.Get("Content-Type") != "application/problem+json" {
		return fmt.Errorf("forged envelope: %d %+v", resp.StatusCode, p)
	}
	if _, err := cn.Node.Store.GetInbox(ctx, h.ID); !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("forged envelope was recorded: %v", err)
	}
	m, err := s.Clients["CN"].Expect(ctx, 200, "GET", "/metrics", nil, nil)
	if err != nil {
		return err
	}
	if !bytes.Contains(m.Body, []byte(`liaison_federation_inbox_rejections_total{peer="US",reason="bad_signature"} 1`)) {
		return fmt.Errorf("the rejection is not counted in /metrics")
	}
	return nil
}
