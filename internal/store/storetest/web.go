package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/store"
)

func testWebSessions(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	mustAgency(t, s, "FBI")
	u := mustUser(t, s, "u1", "FBI")
	mustUser(t, s, "u2", "FBI")
	ws := store.WebSession{ID: "h1", UserID: u.ID, CSRF: "c1", Created: t0, Seen: t0, IdleUntil: t0.Add(30 * time.Minute),
		Expires: t0.Add(12 * time.Hour), Client: "Chromium 127.0.0.1"}
	if err := s.CreateWebSession(ctx, ws); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateWebSession(ctx, ws); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate session: got %v, want ErrConflict", err)
	}
	if err := s.CreateWebSession(ctx, store.WebSession{ID: "hx", UserID: "nobody", CSRF: "c", Created: t0, Seen: t0,
		IdleUntil: t0.Add(time.Hour), Expires: t0.Add(time.Hour)}); err == nil {
		t.Fatal("session of an unknown user was accepted")
	}
	got, err := s.GetWebSession(ctx, "h1")
	if err != nil || got != ws {
		t.Fatalf("GetWebSession = %+v, %v; want %+v", got, err, ws)
	}
	if got.Expired(t0.Add(29*time.Minute)) || !got.Expired(t0.Add(30*time.Minute)) {
		t.Fatal("idle expiry misjudged")
	}
	if _, err := s.GetWebSession(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing session: got %v, want ErrNotFound", err)
	}
	seen := t0.Add(20 * time.Minute)
	if err := s.TouchWebSession(ctx, "h1", seen, seen.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchWebSession(ctx, "nope", seen, seen); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("touch missing: got %v", err)
	}
	got, _ = s.GetWebSession(ctx, "h1")
	if !got.Seen.Equal(seen) || !got.IdleUntil.Equal(seen.Add(30*time.Minute)) || !got.Expires.Equal(ws.Expires) {
		t.Fatalf("after touch: %+v", got)
	}
	// A second session of u1, one of u2, and one that has expired.
	for _, x := range []store.WebSession{
		{ID: "h2", UserID: u.ID, CSRF: "c2", Created: t0, Seen: t0, IdleUntil: t0.Add(time.Hour), Expires: t0.Add(2 * time.Hour)},
		{ID: "h3", UserID: "u2", CSRF: "c3", Created: t0, Seen: t0, IdleUntil: t0.Add(time.Hour), Expires: t0.Add(2 * time.Hour)},
		{ID: "h4", UserID: "u2", CSRF: "c4", Created: t0, Seen: t0, IdleUntil: t0.Add(time.Minute), Expires: t0.Add(2 * time.Hour)},
	} {
		if err := s.CreateWebSession(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.DeleteExpiredWebSessions(ctx, t0.Add(10*time.Minute)); err != nil || n != 1 {
		t.Fatalf("DeleteExpiredWebSessions = %d, %v; want 1", n, err)
	}
	if _, err := s.GetWebSession(ctx, "h4"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired session still there: %v", err)
	}
	if err := s.DeleteWebSession(ctx, "h2"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWebSession(ctx, "h2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second logout: got %v, want ErrNotFound", err)
	}
	if n, err := s.DeleteUserWebSessions(ctx, u.ID); err != nil || n != 1 {
		t.Fatalf("DeleteUserWebSessions = %d, %v; want 1", n, err)
	}
	if _, err := s.GetWebSession(ctx, "h3"); err != nil {
		t.Fatalf("another user's session was ended: %v", err)
	}
	// Inside a transaction that rolls back, nothing sticks.
	boom := errors.New("boom")
	err = s.InTx(ctx, func(q store.Queries) error {
		if err := q.CreateWebSession(ctx, store.WebSession{ID: "h5", UserID: u.ID, CSRF: "c", Created: t0, Seen: t0,
			IdleUntil: t0.Add(time.Hour), Expires: t0.Add(time.Hour)}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, err := s.GetWebSession(ctx, "h5"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rolled-back session exists: %v", err)
	}
}

func testWebLoginFailures(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	for i := range 4 {
		if err := s.AddLoginFailure(ctx, "user:alice", t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddLoginFailure(ctx, "addr:10.0.0.1", t0); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountLoginFailures(ctx, "user:alice", t0.Add(2*time.Minute)); err != nil || n != 2 {
		t.Fatalf("CountLoginFailures since +2m = %d, %v; want 2", n, err)
	}
	if n, _ := s.CountLoginFailures(ctx, "user:bob", t0); n != 0 {
		t.Fatalf("bob has %d failures", n)
	}
	// Success clears alice; pruning removes everything before +1m.
	if err := s.ClearLoginFailures(ctx, "user:alice", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountLoginFailures(ctx, "user:alice", t0); n != 0 {
		t.Fatalf("after clear: %d", n)
	}
	if n, _ := s.CountLoginFailures(ctx, "addr:10.0.0.1", t0); n != 0 {
		t.Fatalf("after prune: %d", n)
	}
}

func testWebUserLocale(t *testing.T, s *store.SQL) {
	ctx := t.Context()
	mustAgency(t, s, "FBI")
	u := mustUser(t, s, "u1", "FBI")
	if err := s.SetUserLocale(ctx, u.ID, "zh-CN", "Asia/Shanghai"); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetUser(ctx, u.ID)
	if err != nil || got.Language != "zh-CN" || got.TimeZone != "Asia/Shanghai" {
		t.Fatalf("after SetUserLocale: %+v, %v", got, err)
	}
	if err := s.SetUserLocale(ctx, "nobody", "en", "UTC"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: got %v, want ErrNotFound", err)
	}
}
