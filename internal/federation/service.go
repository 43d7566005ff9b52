package federation

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/envelope"
	"github.com/liaison-dev/liaison/internal/identity"
	"github.com/liaison-dev/liaison/internal/ledger"
	"github.com/liaison-dev/liaison/internal/store"
)

// Sentinel errors.
var (
	// ErrUnknownPeer: a message is addressed to a party this node is not
	// paired with. Nothing was queued; pair first (liaison peer add).
	ErrUnknownPeer = errors.New("federation: recipient is not a paired peer")
	// ErrInvalidMessage: the message would not make a valid envelope; the
	// wrapped envelope.FieldError values name the fields.
	ErrInvalidMessage = errors.New("federation: invalid message")
	// ErrPermanent is wrapped by a Handler to refuse an envelope for good
	// (answered 422; the sender stops retrying it). Any other handler
	// error is temporary: the sender retries later.
	ErrPermanent = errors.New("federation: refused")
)

// Handler applies one received envelope inside the transaction that also
// records it in the inbox: both commit, or neither. It is called at most
// once per envelope that commits, in the order the sender sent them within
// a conversation. It must use q (not the Store) for every write.
type Handler func(ctx context.Context, q store.Queries, d Delivery) error

// Delivery is a verified, decrypted envelope handed to a Handler.
type Delivery struct {
	Header   envelope.Header
	Payload  []byte
	Received time.Time
	// Attachments are the envelope's files, already on disk and checked
	// against the signed digests, in header order.
	Attachments []ReceivedAttachment
}

// ReceivedAttachment is an attachment written to the node's spool.
type ReceivedAttachment struct {
	envelope.AttachmentRef
	Path string
}

// Config is what a Service needs.
type Config struct {
	Identity *identity.Identity
	Store    store.Store
	Clock    clock.Clock
	Log      *slog.Logger
	// Registry receives the metrics; nil registers none.
	Registry prometheus.Registerer
	// SpoolDir holds staged and received attachments.
	SpoolDir string
}

// Service is a node's federation endpoint: outbox worker and inbox.
// Exported tunables may be changed before Run and Handler are used.
type Service struct {
	self  string
	id    *identity.Identity
	st    store.Store
	clock clock.Clock
	log   *slog.Logger
	spool string
	m     *metrics

	BatchSize      int
	Workers        int
	Freshness      time.Duration
	FutureSkew     time.Duration
	RetryBase      time.Duration
	RetryMax       time.Duration
	Poll           time.Duration
	Probe          time.Duration
	RequestTimeout time.Duration
	MaxEnvelope    int64

	sendMu  sync.Mutex
	sendQ   []*sendReq
	sending bool

	paired sync.Map // party → true, see checkPaired

	mu       sync.RWMutex
	handlers map[string]Handler
	health   map[string]*peerHealth
	wake     map[string][]chan struct{}
}

// New returns a Service; register handlers, then serve Handler and Run.
func New(c Config) *Service {
	s := &Service{
		self: c.Identity.Party, id: c.Identity, st: c.Store, clock: c.Clock, log: c.Log, spool: c.SpoolDir,
		BatchSize: DefaultBatchSize, Workers: DefaultWorkers, Freshness: DefaultFreshness, FutureSkew: DefaultFutureSkew,
		RetryBase: DefaultRetryBase, RetryMax: DefaultRetryMax, Poll: DefaultPoll, Probe: DefaultProbe,
		RequestTimeout: DefaultRequestTimeout, MaxEnvelope: DefaultMaxEnvelope,
		handlers: map[string]Handler{}, health: map[string]*peerHealth{}, wake: map[string][]chan struct{}{},
	}
	if s.clock == nil {
		s.clock = clock.System{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.m = newMetrics(c.Registry, s)
	return s
}

// Handle registers h for envelopes of type typ, replacing any earlier one.
func (s *Service) Handle(typ string, h Handler) {
	s.mu.Lock()
	s.handlers[typ] = h
	s.mu.Unlock()
}

func (s *Service) handler(typ string) Handler {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.handlers[typ]
}

// Message is what a domain service sends.
type Message struct {
	// ID is the envelope ID; empty means a new one (envelope.NewID).
	ID string
	// Type selects the receiver's handler, e.g. "request.send".
	Type         string
	Recipients   []string
	Conversation string
	InReplyTo    string
	Exercise     bool
	Marking      string
	Payload      []byte
	// Attachments are files staged with StageAttachment.
	Attachments []Attachment
	// Created is the signed creation time; zero means the service clock.
	Created time.Time
}

// Attachment is a file staged in the spool for sending; its digest goes
// into the signed header.
type Attachment struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Enqueue validates msg and records it in the outbox through q, which
// must be the transaction of the state change that causes it. It returns
// the envelope ID. Call Kick after the transaction commits.
func (s *Service) Enqueue(ctx context.Context, q store.Queries, msg Message) (string, error) {
	sm, err := s.Seal(msg)
	if err != nil {
		return "", err
	}
	return s.EnqueueSealed(ctx, q, sm)
}

// Sealed is a message signed and ready to be enqueued.
type Sealed struct {
	msg    Message
	header envelope.Header
	signed []byte // the signed envelope's wire encoding
	atts   string // the attachments, as stored
}

// ID is the envelope ID.
func (m *Sealed) ID() string { return m.msg.ID }

// Seal validates and signs msg without touching the store, so the
// signature, the costliest step of an enqueue, can be made before the
// transaction that enqueues it and does not hold the store's writer.
// The envelope is signed here, once: the signed header (and so the
// envelope hash receipts name) is fixed when the message commits, and
// every attempt, in whatever batch, carries the same signature.
func (s *Service) Seal(msg Message) (*Sealed, error) {
	if msg.ID == "" {
		msg.ID = envelope.NewID()
	}
	if msg.Created.IsZero() {
		msg.Created = s.clock.Now()
	}
	msg.Created = msg.Created.UTC().Truncate(time.Microsecond)
	signed, err := envelope.Sign(s.header(msg), msg.Payload, s.id.Signer)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	raw, err := signed.Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	atts, err := json.Marshal(nonNilAtts(msg.Attachments))
	if err != nil {
		return nil, err
	}
	return &Sealed{msg: msg, header: signed.Header, signed: raw, atts: string(atts)}, nil
}

// EnqueueSealed records a sealed message in the outbox through q, as
// Enqueue does. A Sealed is enqueued once; enqueueing it again fails with
// a conflict.
func (s *Service) EnqueueSealed(ctx context.Context, q store.Queries, sm *Sealed) (string, error) {
	if err := s.EnqueueAll(ctx, q, []*Sealed{sm}); err != nil {
		return "", err
	}
	return sm.msg.ID, nil
}

// EnqueueAll records sealed messages in the outbox through q, in order,
// as EnqueueSealed does for each, with one ledger append for them all.
func (s *Service) EnqueueAll(ctx context.Context, q store.Queries, sms []*Sealed) error {
	entries := make([]ledger.Entry, 0, len(sms))
	rows := make([]store.OutboxMessage, len(sms))
	lanes := make([]int, len(sms))
	for i, sm := range sms {
		msg := sm.msg
		for _, r := range msg.Recipients {
			if err := s.checkPaired(ctx, q, r); err != nil {
				return err
			}
		}
		rows[i] = store.OutboxMessage{EnvelopeID: msg.ID, Type: msg.Type, Conversation: msg.Conversation,
			InReplyTo: msg.InReplyTo, Exercise: msg.Exercise, Marking: msg.Marking, Recipients: msg.Recipients,
			Created: msg.Created, Payload: msg.Payload, Attachments: sm.atts, Signed: sm.signed}
		lanes[i] = laneOf(msg.Conversation, msg.ID)
		e, ok, err := envelopeEntry(ledger.KindEnvelopeSent, sm.header, msg.Created)
		if err != nil {
			return err
		}
		if ok {
			entries = append(entries, e)
		}
	}
	if err := q.InsertOutboxAll(ctx, rows, lanes); err != nil {
		if len(sms) == 1 {
			return fmt.Errorf("federation: enqueue %s: %w", sms[0].msg.ID, err)
		}
		return fmt.Errorf("federation: enqueue %d messages: %w", len(sms), err)
	}
	if len(entries) == 0 {
		return nil
	}
	_, err := ledger.AppendBatch(ctx, q, entries)
	return err
}

// checkPaired fails with ErrUnknownPeer unless party is a paired peer.
// Pairings are never removed, only updated, so a party once found is
// remembered and not looked up again for every message.
func (s *Service) checkPaired(ctx context.Context, q store.Queries, party string) error {
	if _, ok := s.paired.Load(party); ok {
		return nil
	}
	if _, err := q.GetPeer(ctx, party); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: %s", ErrUnknownPeer, party)
		}
		return err
	}
	s.paired.Store(party, true)
	return nil
}

// envelopeEntry is the ledger entry of an envelope sent or received,
// appended in the transaction that records it in the outbox or inbox. The
// body is the signed header's canonical JSON, the bytes its signature
// covers, the same on both sides. The cosigning exchange's own envelopes
// (ledger.*) are not recorded (false): each would grow the log that its
// cosignature is for.
func envelopeEntry(kind string, h envelope.Header, at time.Time) (ledger.Entry, bool, error) {
	if strings.HasPrefix(h.Type, "ledger.") {
		return ledger.Entry{}, false, nil
	}
	body, err := h.Canonical()
	return ledger.Entry{Kind: kind, ObjectID: h.ID, At: at, Exercise: h.Exercise, Body: body}, err == nil, err
}

// Send enqueues msg in a transaction of its own and kicks the worker. It
// is for messages that have no state change of their own to commit with.
//
// Concurrent calls are committed together (group commit): one caller
// commits every message waiting at that moment in one transaction, so a
// burst of Sends costs one durable commit rather than one each, and does
// not starve the outbox worker of the single SQLite writer. Every Send
// still returns only after its message is committed. If the shared
// transaction fails, each message is retried in a transaction of its own,
// so one bad message fails only its own Send.
func (s *Service) Send(ctx context.Context, msg Message) (string, error) {
	// Signed here, concurrently with other Sends, outside the shared
	// transaction.
	sm, err := s.Seal(msg)
	if err != nil {
		return "", err
	}
	req := &sendReq{ctx: ctx, msg: sm, done: make(chan struct{})}
	s.sendMu.Lock()
	s.sendQ = append(s.sendQ, req)
	lead := !s.sending
	s.sending = true
	s.sendMu.Unlock()
	if lead {
		for {
			s.sendMu.Lock()
			group := s.sendQ
			s.sendQ = nil
			if len(group) == 0 {
				s.sending = false
				s.sendMu.Unlock()
				break
			}
			s.sendMu.Unlock()
			s.commitSends(group)
		}
	}
	<-req.done
	return req.id, req.err
}

type sendReq struct {
	ctx  context.Context
	msg  *Sealed
	id   string
	err  error
	done chan struct{}
}

func (s *Service) commitSends(group []*sendReq) {
	defer func() {
		for _, r := range group {
			close(r.done)
		}
	}()
	if len(group) > 1 {
		sms := make([]*Sealed, len(group))
		for i, r := range group {
			sms[i] = r.msg
		}
		err := s.st.InTx(group[0].ctx, func(q store.Queries) error { return s.EnqueueAll(group[0].ctx, q, sms) })
		if err == nil {
			for _, r := range group {
				r.id = r.msg.ID()
			}
			s.Kick()
			return
		}
	}
	for _, r := range group {
		r.err = s.st.InTx(r.ctx, func(q store.Queries) error {
			var err error
			r.id, err = s.EnqueueSealed(r.ctx, q, r.msg)
			return err
		})
	}
	s.Kick()
}

func nonNilAtts(a []Attachment) []Attachment {
	if a == nil {
		return []Attachment{}
	}
	return a
}

func (s *Service) header(msg Message) envelope.Header {
	h := envelope.Header{ID: msg.ID, Type: msg.Type, Sender: s.self, Recipients: msg.Recipients, Created: msg.Created,
		Conversation: msg.Conversation, InReplyTo: msg.InReplyTo, Exercise: msg.Exercise, Marking: msg.Marking}
	for _, a := range msg.Attachments {
		h.Attachments = append(h.Attachments, envelope.AttachmentRef{Name: a.Name, Size: a.Size, SHA256: a.SHA256})
	}
	return h
}

// laneOf puts every message of a conversation in the same lane; messages
// outside any conversation are spread by ID.
func laneOf(conversation, id string) int {
	h := fnv.New32a()
	if conversation != "" {
		h.Write([]byte(conversation))
	} else {
		h.Write([]byte(id))
	}
	return int(h.Sum32() % Lanes)
}

// Kick wakes the outbox worker, for use right after a transaction that
// enqueued messages commits.
func (s *Service) Kick() {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, lanes := range s.wake {
		for _, c := range lanes {
			select {
			case c <- struct{}{}:
			default:
			}
		}
	}
}

// StageAttachment streams r into the spool and returns the attachment to
// put in a Message. The file is synced before it is returned, so that a
// committed message never refers to a file a crash could lose. Memory use
// does not depend on the file's size.
func (s *Service) StageAttachment(name string, r io.Reader) (Attachment, error) {
	dir := filepath.Join(s.spool, "outbox")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Attachment{}, err
	}
	f, err := os.CreateTemp(dir, "att-*")
	if err != nil {
		return Attachment{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return Attachment{}, fmt.Errorf("federation: stage attachment %q: %w", name, err)
	}
	return Attachment{Name: name, Path: f.Name(), Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// signingKey returns the key to verify a signature by peer with key ID
// keyID: the pinned key, or a key pinned for the peer before, but only for
// envelopes created before that key was replaced (so in-flight messages
// survive a rotation while a retired, perhaps compromised, key cannot sign
// anything new). When no key fits it returns the pinned key, under which
// verification then fails with envelope.ErrKeyMismatch.
func (s *Service) signingKey(ctx context.Context, peer store.Peer, keyID string, created time.Time) (ed25519.PublicKey, error) {
	if envelope.KeyID(peer.SigningKey) == keyID {
		return ed25519.PublicKey(peer.SigningKey), nil
	}
	keys, err := s.st.ListPeerKeys(ctx, peer.Party)
	if err != nil {
		return nil, err
	}
	for i, k := range keys {
		if k.KeyID != keyID || i+1 >= len(keys) {
			continue
		}
		if created.Before(keys[i+1].FirstSeen) {
			return ed25519.PublicKey(k.SigningKey), nil
		}
	}
	return ed25519.PublicKey(peer.SigningKey), nil
}
