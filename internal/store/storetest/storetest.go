// Package storetest is the one test suite every store backend must pass.
// Backend packages call Run from their own tests with a function that opens
// a fresh, empty, migrated database.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/store"
)

// Opener returns a fresh migrated store; the test owns and closes it.
type Opener func(t *testing.T) *store.SQL

// Run runs the suite.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *store.SQL)
	}{
		{"Agencies", testAgencies},
		{"Users", testUsers},
		{"Tokens", testTokens},
		{"ContactsAndShifts", testContacts},
		{"Peers", testPeers},
		{"AuditChain", testAuditChain},
		{"AuditAppendOnly", testAuditAppendOnly},
		{"AuditConcurrentAppends", testAuditConcurrent},
		{"TxRollsBackOnError", testTxRollback},
		{"TxRollsBackOnCancel", testTxCancel},
		{"SchemaVersion", testSchemaVersion},
		{"LedgerAppend", testLedgerAppend},
		{"LedgerConcurrentAppends", testLedgerConcurrentAppends},
		{"LedgerTiles", testLedgerTiles},
		{"LedgerCheckpoints", testLedgerCheckpoints},
		{"LedgerWitnessAndAlarms", testLedgerWitnessAndAlarms},
		{"LedgerAppendOnly", testLedgerAppendOnly},
		{"ProgressRoundsAndCommitments", testProgress},
		{"ProgressFacts", testProgressFacts},
		{"Intel", testIntel},
		{"OutboxLifecycle", testOutboxLifecycle},
		{"OutboxInsertAll", testOutboxInsertAll},
		{"OutboxInTx", testOutboxInTx},
		{"Receipts", testReceipts},
		{"Inbox", testInbox},
		{"PeerKeys", testPeerKeys},
		{"Requests", testRequests},
		{"RequestEvents", testRequestEvents},
		{"AttachmentsCustody", testAttachmentsCustody},
		{"Escalations", testEscalations},
		{"Hotline", testHotline},
		{"WebSessions", testWebSessions},
		{"WebLoginFailures", testWebLoginFailures},
		{"WebUserLocale", testWebUserLocale},
		{"Samples", testSamples},
		{"Exercise", testExercise},
		{"Cases", testCases},
		{"CaseKeys", testCaseKeys},
		{"CaseLeadsAndAttachments", testCaseLeads},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

var t0 = time.Date(2026, 11, 1, 9, 30, 0, 123456000, time.UTC)

func mustAgency(t *testing.T, q store.Queries, code string) {
	t.Helper()
	if err := q.CreateAgency(t.Context(), store.Agency{Code: code, Name: "Agency " + code, Kind: "police", Created: t0}); err != nil {
		t.Fatalf("CreateAgency(%s): %v", code, err)
	}
}

func mustUser(t *testing.T, q store.Queries, id, agency string) store.User {
	t.Helper()
	u := store.User{ID: id, Username: "user-" + id, DisplayName: "User " + id, Agency: agency,
		Roles: []string{"liaison_officer", "supervisor"}, PasswordHash: "$argon2id$x", Language: "en", TimeZone: "UTC", Created: t0}
	if err := q.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

func testAgencies(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	mustAgency(t, s, "FBI")
	mustAgency(t, s, "DOJ-OIA")
	if err := s.CreateAgency(ctx, store.Agency{Code: "FBI", Name: "dup", Kind: "police", Created: t0}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate agency: got %v, want ErrConflict", err)
	}
	got, err := s.GetAgency(ctx, "FBI")
	if err != nil || got.Name != "Agency FBI" || !got.Created.Equal(t0) {
		t.Fatalf("GetAgency = %+v, %v", got, err)
	}
	if _, err := s.GetAgency(ctx, "NOPE"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing agency: got %v, want ErrNotFound", err)
	}
	list, err := s.ListAgencies(ctx)
	if err != nil || len(list) != 2 || list[0].Code != "DOJ-OIA" {
		t.Fatalf("ListAgencies = %+v, %v", list, err)
	}
}

func testUsers(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	mustAgency(t, s, "FBI")
	u := mustUser(t, s, "u1", "FBI")
	if err := s.CreateUser(ctx, store.User{ID: "u2", Username: u.Username, Agency: "FBI", Roles: []string{"analyst"}, Created: t0}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate username: got %v, want ErrConflict", err)
	}
	if err := s.CreateUser(ctx, store.User{ID: "u3", Username: "x", Agency: "NOPE", Roles: []string{"analyst"}, Created: t0}); err == nil {
		t.Fatal("user of an unknown agency was accepted")
	}
	got, err := s.GetUserByName(ctx, u.Username)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.Roles) != "[liaison_officer supervisor]" || got.Disabled || got.PasswordHash != u.PasswordHash {
		t.Fatalf("GetUserByName = %+v", got)
	}
	if err := s.SetUserDisabled(ctx, "u1", true); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetUser(ctx, "u1"); !got.Disabled {
		t.Fatal("user not disabled")
	}
	if err := s.SetUserDisabled(ctx, "nobody", true); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("disable missing user: got %v", err)
	}
	if l, err := s.ListUsers(ctx); err != nil || len(l) != 1 {
		t.Fatalf("ListUsers = %v, %v", l, err)
	}
}

func testTokens(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	mustAgency(t, s, "FBI")
	mustUser(t, s, "u1", "FBI")
	tok := store.Token{ID: "t1", UserID: "u1", Name: "script", Hash: "abc", Created: t0, Expires: t0.Add(time.Hour)}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateToken(ctx, store.Token{ID: "t2", UserID: "u1", Name: "dup", Hash: "abc", Created: t0}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate hash: %v", err)
	}
	got, err := s.GetTokenByHash(ctx, "abc")
	if err != nil || got.ID != "t1" || !got.Expires.Equal(t0.Add(time.Hour)) || !got.Revoked.IsZero() {
		t.Fatalf("GetTokenByHash = %+v, %v", got, err)
	}
	if err := s.TouchToken(ctx, "t1", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, "t1", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, "t1", t0.Add(3*time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second revoke: %v", err)
	}
	l, err := s.ListTokens(ctx, "u1")
	if err != nil || len(l) != 1 || !l[0].Revoked.Equal(t0.Add(2*time.Minute)) || !l[0].LastUsed.Equal(t0.Add(time.Minute)) {
		t.Fatalf("ListTokens = %+v, %v", l, err)
	}
}

func testContacts(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	mustAgency(t, s, "MPS")
	c := store.Contact{ID: "c1", Agency: "MPS", Name: "Li Wei", Role: "24/7 duty officer", Languages: []string{"zh", "en"},
		TimeZone: "Asia/Shanghai", Phone: "+86 10 0000 0000", Email: "duty@example.cn", Created: t0}
	if err := s.CreateContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetContact(ctx, "c1")
	if err != nil || fmt.Sprint(got.Languages) != "[zh en]" || got.TimeZone != "Asia/Shanghai" {
		t.Fatalf("GetContact = %+v, %v", got, err)
	}
	for i, sh := range []store.Shift{
		{ID: "s1", ContactID: "c1", Position: "primary", Start: t0, End: t0.Add(8 * time.Hour)},
		{ID: "s2", ContactID: "c1", Position: "backup", Start: t0.Add(8 * time.Hour), End: t0.Add(16 * time.Hour)},
	} {
		if err := s.CreateShift(ctx, sh); err != nil {
			t.Fatalf("shift %d: %v", i, err)
		}
	}
	cases := []struct {
		from, to time.Time
		want     int
	}{
		{t0.Add(time.Hour), t0.Add(2 * time.Hour), 1},
		{t0.Add(7 * time.Hour), t0.Add(9 * time.Hour), 2},
		{t0.Add(16 * time.Hour), t0.Add(17 * time.Hour), 0},
		{t0.Add(-time.Hour), t0, 0},
	}
	for _, tc := range cases {
		got, err := s.ListShifts(ctx, tc.from, tc.to)
		if err != nil || len(got) != tc.want {
			t.Errorf("ListShifts(%v, %v) = %d shifts, %v; want %d", tc.from, tc.to, len(got), err, tc.want)
		}
	}
	if err := s.DeleteContact(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.ListShifts(ctx, t0, t0.Add(24*time.Hour)); len(l) != 0 {
		t.Fatalf("shifts survive their contact: %v", l)
	}
}

func testPeers(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	p := store.Peer{Party: "CN", Name: "China", Endpoint: "https://127.0.0.1:9443", SigningKey: []byte{1, 2, 3},
		EncryptionKey: []byte{4, 5}, TLSFingerprint: "ff", Descriptor: []byte(`{}`), Added: t0, Updated: t0}
	if err := s.UpsertPeer(ctx, p); err != nil {
		t.Fatal(err)
	}
	p.Endpoint, p.Updated, p.Added = "https://127.0.0.1:9444", t0.Add(time.Hour), t0.Add(time.Hour)
	if err := s.UpsertPeer(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetPeer(ctx, "CN")
	if err != nil || got.Endpoint != "https://127.0.0.1:9444" || !got.Added.Equal(t0) || !got.Updated.Equal(t0.Add(time.Hour)) {
		t.Fatalf("GetPeer after update = %+v, %v (added must keep the first pairing time)", got, err)
	}
	if err := s.TouchPeer(ctx, "CN", t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchPeer(ctx, "XX", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TouchPeer unknown: %v", err)
	}
	l, err := s.ListPeers(ctx)
	if err != nil || len(l) != 1 || !l[0].LastContact.Equal(t0.Add(2*time.Hour)) || string(l[0].SigningKey) != "\x01\x02\x03" {
		t.Fatalf("ListPeers = %+v, %v", l, err)
	}
}

func appendN(t *testing.T, q store.Queries, n int) []store.AuditEntry {
	t.Helper()
	var out []store.AuditEntry
	for i := range n {
		e, err := q.AppendAudit(t.Context(), store.AuditEntry{At: t0.Add(time.Duration(i) * time.Second), Actor: "admin",
			Action: "agency.create", ObjectType: "agency", ObjectID: fmt.Sprint("A", i), AfterHash: store.HashOf(i)})
		if err != nil {
			t.Fatalf("AppendAudit %d: %v", i, err)
		}
		out = append(out, e)
	}
	return out
}

func testAuditChain(t *testing.T, s *store.SQL) {
	appended := appendN(t, s, 5)
	got, err := s.ListAudit(t.Context(), store.AuditFilter{})
	if err != nil || len(got) != 5 {
		t.Fatalf("ListAudit = %d, %v", len(got), err)
	}
	for i := range got {
		if got[i] != appended[i] {
			t.Fatalf("entry %d read back as %+v, appended %+v", i, got[i], appended[i])
		}
	}
	if err := store.VerifyChain("", got); err != nil {
		t.Fatal(err)
	}
	tampered := append([]store.AuditEntry(nil), got...)
	tampered[2].Actor = "mallory"
	var ce *store.ChainError
	if err := store.VerifyChain("", tampered); !errors.As(err, &ce) || ce.Seq != 3 {
		t.Fatalf("tampered chain: %v", err)
	}
	if err := store.VerifyChain("", append(got[:1:1], got[2:]...)); !errors.As(err, &ce) {
		t.Fatalf("chain with a removed entry verified: %v", err)
	}
	page, err := s.ListAudit(t.Context(), store.AuditFilter{After: 3, ObjectID: "A4"})
	if err != nil || len(page) != 1 || page[0].Seq != 5 {
		t.Fatalf("filtered ListAudit = %+v, %v", page, err)
	}
}

// testAuditAppendOnly proves that not even SQL issued below the store can
// change or remove an audit entry.
func testAuditAppendOnly(t *testing.T, s *store.SQL) {
	appendN(t, s, 2)
	ctx := t.Context()
	for _, stmt := range []string{
		`UPDATE audit SET actor = 'mallory' WHERE seq = 1`,
		`DELETE FROM audit WHERE seq = 2`,
		`DELETE FROM audit`,
	} {
		if _, err := s.DB().ExecContext(ctx, stmt); err == nil {
			t.Errorf("%s: succeeded on the append-only audit table", stmt)
		}
	}
	if s.Backend() == "postgres" {
		if _, err := s.DB().ExecContext(ctx, `TRUNCATE audit`); err == nil {
			t.Error("TRUNCATE audit succeeded")
		}
	}
	got, err := s.ListAudit(ctx, store.AuditFilter{})
	if err != nil || len(got) != 2 || got[0].Actor != "admin" {
		t.Fatalf("audit after tampering attempts = %+v, %v", got, err)
	}
	if err := store.VerifyChain("", got); err != nil {
		t.Fatal(err)
	}
}

func testAuditConcurrent(t *testing.T, s *store.SQL) {
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				err := s.InTx(t.Context(), func(q store.Queries) error {
					_, err := q.AppendAudit(t.Context(), store.AuditEntry{At: t0, Actor: fmt.Sprint("w", w), Action: "x", ObjectType: "t", ObjectID: fmt.Sprint(i)})
					return err
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := s.ListAudit(t.Context(), store.AuditFilter{})
	if err != nil || len(got) != 40 {
		t.Fatalf("ListAudit = %d, %v", len(got), err)
	}
	if err := store.VerifyChain("", got); err != nil {
		t.Fatal(err)
	}
}

func testTxRollback(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	boom := errors.New("boom")
	err := s.InTx(ctx, func(q store.Queries) error {
		mustAgency(t, q, "FBI")
		if _, err := q.AppendAudit(ctx, store.AuditEntry{At: t0, Actor: "a", Action: "agency.create", ObjectType: "agency", ObjectID: "FBI"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	if l, _ := s.ListAgencies(ctx); len(l) != 0 {
		t.Fatalf("agency half-written: %v", l)
	}
	if l, _ := s.ListAudit(ctx, store.AuditFilter{}); len(l) != 0 {
		t.Fatalf("audit half-written: %v", l)
	}
}

func testTxCancel(t *testing.T, s *store.SQL) {
	ctx, cancel := context.WithCancel(t.Context())
	err := s.InTx(ctx, func(q store.Queries) error {
		mustAgency(t, q, "FBI")
		cancel()
		return ctx.Err()
	})
	if err == nil {
		t.Fatal("cancelled transaction committed")
	}
	if l, _ := s.ListAgencies(t.Context()); len(l) != 0 {
		t.Fatalf("agency written by a cancelled transaction: %v", l)
	}
}

func testSchemaVersion(t *testing.T, s *store.SQL) {
	v, err := s.SchemaVersion(t.Context())
	if err != nil || v < 1 {
		t.Fatalf("SchemaVersion = %d, %v", v, err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
}
