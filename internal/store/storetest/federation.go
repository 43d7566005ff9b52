package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/store"
)

func outboxMsg(id string, recipients ...string) store.OutboxMessage {
	return store.OutboxMessage{EnvelopeID: id, Type: "test.note", Conversation: "conv-1", Recipients: recipients,
		Created: t0, Payload: []byte("payload " + id), Attachments: "[]", Marking: "TLP:GREEN", Exercise: true}
}

func testOutboxLifecycle(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	for i := range 5 {
		if err := s.InsertOutbox(ctx, outboxMsg(fmt.Sprintf("%032x", i), "CN", "RU"), i%2); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.InsertOutbox(ctx, outboxMsg(fmt.Sprintf("%032x", 0), "CN"), 0); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("reused envelope id: %v, want ErrConflict", err)
	}
	got, err := s.PendingOutbox(ctx, "CN", []int{0}, 10)
	if err != nil || len(got) != 3 {
		t.Fatalf("PendingOutbox lane 0 = %d, %v; want 3", len(got), err)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Seq <= got[i-1].Seq {
			t.Fatalf("pending not in seq order: %d after %d", got[i].Seq, got[i-1].Seq)
		}
	}
	m := got[0].Message
	if m.EnvelopeID != fmt.Sprintf("%032x", 0) || string(m.Payload) != "payload "+m.EnvelopeID || !m.Exercise || m.Marking != "TLP:GREEN" ||
		fmt.Sprint(m.Recipients) != "[CN RU]" || !m.Created.Equal(t0) || got[0].Sealed != nil || got[0].State != store.OutboxPending {
		t.Fatalf("pending item = %+v", got[0])
	}
	if l, _ := s.PendingOutbox(ctx, "CN", []int{0}, 2); len(l) != 2 {
		t.Fatalf("limit ignored: %d", len(l))
	}
	// Several lanes at once: all of them, interleaved in seq order.
	both, err := s.PendingOutbox(ctx, "CN", []int{1, 0}, 10)
	if err != nil || len(both) != 5 {
		t.Fatalf("PendingOutbox lanes 0 and 1 = %d, %v; want 5", len(both), err)
	}
	for i, it := range both {
		if it.Message.EnvelopeID != fmt.Sprintf("%032x", i) || it.Lane != i%2 {
			t.Fatalf("lanes 0 and 1: item %d = %s in lane %d", i, it.Message.EnvelopeID, it.Lane)
		}
	}
	if l, _ := s.PendingOutbox(ctx, "CN", []int{2, 3}, 10); len(l) != 0 {
		t.Fatalf("empty lanes: %d items", len(l))
	}
	id := m.EnvelopeID
	// Sealed bytes are written once, so every attempt sends the same bytes.
	if err := s.SetOutboxSealed(ctx, id, "CN", []byte("sealed-1")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOutboxSealed(ctx, id, "CN", []byte("sealed-2")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second seal: %v, want ErrNotFound", err)
	}
	next := t0.Add(time.Minute)
	if err := s.MarkOutboxRetry(ctx, id, "CN", next, "dial tcp: connection refused"); err != nil {
		t.Fatal(err)
	}
	it, err := s.GetOutboxItem(ctx, id, "CN")
	if err != nil || string(it.Sealed) != "sealed-1" || it.Attempts != 1 || !it.NextAttempt.Equal(next) || it.LastError == "" {
		t.Fatalf("after retry: %+v, %v", it, err)
	}
	stats, err := s.OutboxStats(ctx)
	if err != nil || len(stats) != 2 || stats[0].Recipient != "CN" || stats[0].Pending != 5 || stats[0].MaxAttempts != 1 ||
		stats[0].LastError != "dial tcp: connection refused" || !stats[0].OldestPending.Equal(t0) || stats[1].Pending != 5 {
		t.Fatalf("OutboxStats = %+v, %v", stats, err)
	}
	if err := s.MarkOutboxDelivered(ctx, id, "CN", t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkOutboxDelivered(ctx, id, "CN", t0.Add(3*time.Second)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delivered twice: %v", err)
	}
	if err := s.MarkOutboxRetry(ctx, id, "CN", next, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("retry of a delivered item: %v", err)
	}
	id2 := got[1].Message.EnvelopeID
	if err := s.MarkOutboxFailed(ctx, id2, "CN", t0, "peer refused: bad signature"); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.PendingOutbox(ctx, "CN", []int{0}, 10); len(l) != 1 {
		t.Fatalf("pending after deliver and fail = %d, want 1", len(l))
	}
	stats, _ = s.OutboxStats(ctx)
	if stats[0].Pending != 3 || stats[0].Failed != 1 || stats[0].MaxAttempts != 0 {
		t.Fatalf("stats after deliver and fail = %+v", stats[0])
	}
	// A message inserted with its signed envelope has it as every
	// delivery's sealed bytes.
	signed := outboxMsg(fmt.Sprintf("%032x", 9), "CN", "RU")
	signed.Signed = []byte("signed-envelope")
	if err := s.InsertOutbox(ctx, signed, 1); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"CN", "RU"} {
		if it, err := s.GetOutboxItem(ctx, signed.EnvelopeID, r); err != nil || string(it.Sealed) != "signed-envelope" {
			t.Fatalf("signed delivery to %s: %q, %v", r, it.Sealed, err)
		}
	}
	if err := s.SetOutboxSealed(ctx, signed.EnvelopeID, "CN", []byte("x")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("sealing a signed delivery again: %v, want ErrNotFound", err)
	}
	// A batch settles in one call: receipts stored, deliveries done.
	var rs []store.StoredReceipt
	for i := 20; i < 25; i++ {
		id := fmt.Sprintf("%032x", i)
		if err := s.InsertOutbox(ctx, outboxMsg(id, "RU"), 3); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, store.StoredReceipt{EnvelopeID: id, Receiver: "RU", EnvelopeHash: "h" + id, Received: t0, KeyID: "k", Receipt: []byte("r" + id), Stored: t0})
	}
	if err := s.InTx(ctx, func(q store.Queries) error { return q.SettleDelivered(ctx, "RU", rs, t0.Add(time.Second)) }); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		it, err := s.GetOutboxItem(ctx, r.EnvelopeID, "RU")
		got, gerr := s.GetReceipt(ctx, r.EnvelopeID, "RU")
		if err != nil || it.State != store.OutboxDelivered || gerr != nil || string(got.Receipt) != "r"+r.EnvelopeID {
			t.Fatalf("settled %s: %+v %v / %+v %v", r.EnvelopeID, it.State, err, got, gerr)
		}
	}
	// Settling again fails as a whole and changes nothing.
	if err := s.InTx(ctx, func(q store.Queries) error { return q.SettleDelivered(ctx, "RU", rs[:1], t0) }); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("settled twice: %v, want ErrConflict", err)
	}
	lat, err := s.OutboxLatencies(ctx, "CN", t0, t0.Add(time.Hour), 10)
	if err != nil || len(lat) != 1 || lat[0] != 2*time.Second {
		t.Fatalf("OutboxLatencies = %v, %v", lat, err)
	}
}

// testOutboxInTx proves the outbox commits and rolls back with the domain
// transaction that writes it.
func testOutboxInTx(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	boom := errors.New("boom")
	err := s.InTx(ctx, func(q store.Queries) error {
		mustAgency(t, q, "FBI")
		if err := q.InsertOutbox(ctx, outboxMsg("aa000000000000000000000000000000", "CN"), 0); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if l, _ := s.PendingOutbox(ctx, "CN", []int{0}, 10); len(l) != 0 {
		t.Fatalf("outbox row survived a rolled-back transaction: %+v", l)
	}
	err = s.InTx(ctx, func(q store.Queries) error {
		mustAgency(t, q, "FBI")
		return q.InsertOutbox(ctx, outboxMsg("aa000000000000000000000000000000", "CN"), 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := s.PendingOutbox(ctx, "CN", []int{0}, 10); len(l) != 1 {
		t.Fatalf("committed outbox row missing: %d", len(l))
	}
}

func testReceipts(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	r := store.StoredReceipt{EnvelopeID: "ab", Receiver: "CN", EnvelopeHash: "cd", Received: t0, KeyID: "k1", Receipt: []byte(`{"r":1}`), Stored: t0.Add(time.Second)}
	if err := s.InsertReceipt(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertReceipt(ctx, r); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate receipt: %v", err)
	}
	r2 := r
	r2.Receiver = "RU"
	if err := s.InsertReceipt(ctx, r2); err != nil {
		t.Fatalf("second recipient's receipt: %v", err)
	}
	got, err := s.GetReceipt(ctx, "ab", "CN")
	if err != nil || got.EnvelopeHash != "cd" || !got.Received.Equal(t0) || string(got.Receipt) != `{"r":1}` || got.KeyID != "k1" {
		t.Fatalf("GetReceipt = %+v, %v", got, err)
	}
	if _, err := s.GetReceipt(ctx, "ab", "XX"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing receipt: %v", err)
	}
	if n, err := s.CountReceipts(ctx, "CN"); err != nil || n != 1 {
		t.Fatalf("CountReceipts = %d, %v", n, err)
	}
}

func testInbox(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	e := store.InboxEntry{EnvelopeID: "ef", Sender: "US", Type: "test.note", Conversation: "c", Created: t0, Received: t0.Add(time.Second),
		EnvelopeHash: "99", Envelope: []byte("env"), Receipt: []byte("rcpt")}
	if err := s.InsertInbox(ctx, e); err != nil {
		t.Fatal(err)
	}
	// The primary key is the deduplication: a replay cannot be applied.
	if err := s.InsertInbox(ctx, e); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate inbox entry: %v, want ErrConflict", err)
	}
	got, err := s.GetInbox(ctx, "ef")
	if err != nil || got.Sender != "US" || string(got.Receipt) != "rcpt" || string(got.Envelope) != "env" || !got.Received.Equal(t0.Add(time.Second)) {
		t.Fatalf("GetInbox = %+v, %v", got, err)
	}
	if _, err := s.GetInbox(ctx, "00"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing inbox entry: %v", err)
	}
	if n, err := s.CountInbox(ctx, "US"); err != nil || n != 1 {
		t.Fatalf("CountInbox = %d, %v", n, err)
	}
	// AddInbox: new, then recorded before (the first entry kept), inside
	// a transaction that goes on after the refusal.
	err = s.InTx(ctx, func(q store.Queries) error {
		f := e
		f.EnvelopeID = "f0"
		if added, err := q.AddInbox(ctx, f); err != nil || !added {
			return fmt.Errorf("AddInbox new = %v, %v", added, err)
		}
		f.Receipt = []byte("other")
		if added, err := q.AddInbox(ctx, f); err != nil || added {
			return fmt.Errorf("AddInbox again = %v, %v", added, err)
		}
		if added, err := q.AddInbox(ctx, e); err != nil || added {
			return fmt.Errorf("AddInbox of an InsertInbox entry = %v, %v", added, err)
		}
		got, err := q.GetInbox(ctx, "f0")
		if err != nil || string(got.Receipt) != "rcpt" {
			return fmt.Errorf("after AddInbox twice: %+v, %v", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountInbox(ctx, "US"); err != nil || n != 2 {
		t.Fatalf("CountInbox after AddInbox = %d, %v", n, err)
	}
}

func testPeerKeys(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	for i, k := range []store.PeerKey{
		{Party: "CN", KeyID: "k1", SigningKey: []byte{1}, FirstSeen: t0},
		{Party: "CN", KeyID: "k2", SigningKey: []byte{2}, FirstSeen: t0.Add(time.Hour)},
		{Party: "CN", KeyID: "k1", SigningKey: []byte{1}, FirstSeen: t0.Add(2 * time.Hour)},
		{Party: "RU", KeyID: "k3", SigningKey: []byte{3}, FirstSeen: t0},
	} {
		if err := s.RecordPeerKey(ctx, k); err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
	}
	l, err := s.ListPeerKeys(ctx, "CN")
	if err != nil || len(l) != 2 || l[0].KeyID != "k1" || !l[0].FirstSeen.Equal(t0) || l[1].SigningKey[0] != 2 {
		t.Fatalf("ListPeerKeys = %+v, %v", l, err)
	}
}

// InsertOutboxAll spans several multi-row statements, keeps order and
// lanes, and is all or nothing.
func testOutboxInsertAll(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	var ms []store.OutboxMessage
	var lanes []int
	for i := range 250 {
		ms = append(ms, outboxMsg(fmt.Sprintf("a%031x", i), "CN", "RU"))
		lanes = append(lanes, i%3)
	}
	if err := s.InsertOutboxAll(ctx, ms, lanes); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"CN", "RU"} {
		got, err := s.PendingOutbox(ctx, r, []int{0, 1, 2}, 1000)
		if err != nil || len(got) != 250 {
			t.Fatalf("pending to %s: %d, %v", r, len(got), err)
		}
		for i, it := range got {
			if it.Message.EnvelopeID != ms[i].EnvelopeID || it.Lane != lanes[i] || string(it.Message.Payload) != "payload "+ms[i].EnvelopeID {
				t.Fatalf("pending to %s, item %d: %s in lane %d", r, i, it.Message.EnvelopeID, it.Lane)
			}
		}
	}
	// A batch with one envelope ID used before fails whole.
	fresh := outboxMsg(fmt.Sprintf("b%031x", 0), "CN")
	err := s.InsertOutboxAll(ctx, []store.OutboxMessage{fresh, ms[7]}, []int{0, 0})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("batch with a reused ID: %v, want ErrConflict", err)
	}
	if _, err := s.GetOutboxItem(ctx, fresh.EnvelopeID, "CN"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the other message of the failed batch was kept: %v", err)
	}
	if err := s.InsertOutboxAll(ctx, ms[:2], []int{0}); err == nil {
		t.Fatal("lanes not matching messages accepted")
	}
}
