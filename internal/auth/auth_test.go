package auth

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/store/sqlite"
	"github.com/liaison-dev/liaison/internal/validation"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash format %q", h)
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("same salt twice")
	}
	for _, tc := range []struct {
		hash, pw string
		want     bool
	}{
		{h, "correct horse battery", true},
		{h, "correct horse batterY", false},
		{h, "", false},
		{"$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", "x", false},
		{"$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA", "x", false},
		{"plain", "plain", false},
		{"", "", false},
	} {
		if got := CheckPassword(tc.hash, tc.pw); got != tc.want {
			t.Errorf("CheckPassword(%.30q, %q) = %v", tc.hash, tc.pw, got)
		}
	}
}

func TestPolicyDeniesByDefault(t *testing.T) {
	if Allowed([]string{"admin"}, Permission("something.new")) {
		t.Fatal("an unknown permission was granted")
	}
	if Allowed(nil, NodeRead) || Allowed([]string{"root"}, NodeRead) {
		t.Fatal("no role or an unknown role was granted")
	}
	if !Allowed([]string{"analyst", "supervisor"}, AuditRead) {
		t.Fatal("roles do not combine")
	}
	var p *Principal
	if p.Can(NodeRead) || !errors.Is(p.Require(NodeRead), ErrForbidden) {
		t.Fatal("nil principal allowed")
	}
}

func newService(t *testing.T) (*Service, *clock.Fake) {
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.CreateAgency(t.Context(), store.Agency{Code: "MPS", Name: "MPS", Kind: "police"}); err != nil {
		t.Fatal(err)
	}
	c := clock.NewFake(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC))
	return &Service{Store: s, Clock: c}, c
}

func TestCreateUserValidation(t *testing.T) {
	s, _ := newService(t)
	_, err := s.CreateUser(t.Context(), "t", NewUser{Username: "X Y", Agency: "", Roles: []string{"god"}, Password: "short", Language: "fr", TimeZone: "Nowhere/City"})
	fe, ok := validation.As(err)
	if !ok {
		t.Fatalf("not field errors: %v", err)
	}
	named := map[string]bool{}
	for _, f := range fe {
		named[f.Field] = true
	}
	for _, f := range []string{"username", "display_name", "agency", "roles", "password", "language", "time_zone"} {
		if !named[f] {
			t.Errorf("%s not named in %v", f, err)
		}
	}
	ok1 := NewUser{Username: "wang", DisplayName: "Wang", Agency: "MPS", Roles: []string{"liaison_officer"}, Password: "twelve chars!"}
	if _, err := s.CreateUser(t.Context(), "t", ok1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(t.Context(), "t", ok1); !strings.Contains(errString(err), "username: is already taken") {
		t.Fatalf("duplicate: %v", err)
	}
	ok1.Username, ok1.Agency = "li", "NONE"
	if _, err := s.CreateUser(t.Context(), "t", ok1); !strings.Contains(errString(err), "agency: no agency") {
		t.Fatalf("unknown agency: %v", err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestTokenLifecycle(t *testing.T) {
	s, c := newService(t)
	u, err := s.CreateUser(t.Context(), "t", NewUser{Username: "desk", DisplayName: "Desk", Agency: "MPS", Roles: []string{"liaison_officer"}, Password: "twelve chars!"})
	if err != nil {
		t.Fatal(err)
	}
	secret, tok, err := s.CreateToken(t.Context(), "t", u.ID, "script", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if stored, _ := s.Store.GetTokenByHash(t.Context(), tok.Hash); strings.Contains(stored.Hash, secret) || stored.Hash == secret {
		t.Fatal("secret stored in clear")
	}
	if p, err := s.Token(t.Context(), secret); err != nil || p.User.Username != "desk" {
		t.Fatalf("token auth: %v", err)
	}
	// The secret with its last digit changed (to a digit it is not).
	other := "0"
	if strings.HasSuffix(secret, "0") {
		other = "1"
	}
	for _, bad := range []string{"", "lia_", secret[:len(secret)-1] + other, "Bearer " + secret, strings.ToUpper(secret)} {
		if _, err := s.Token(t.Context(), bad); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("token %q: %v", bad, err)
		}
	}
	c.Advance(time.Hour)
	if _, err := s.Token(t.Context(), secret); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("expired token accepted: %v", err)
	}
	secret2, tok2, _ := s.CreateToken(t.Context(), "t", u.ID, "other", 0)
	if err := s.RevokeToken(t.Context(), "t", tok2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(t.Context(), secret2); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("revoked token accepted: %v", err)
	}
	secret3, _, _ := s.CreateToken(t.Context(), "t", u.ID, "third", 0)
	if err := s.SetDisabled(t.Context(), "t", u.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(t.Context(), secret3); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("disabled user's token accepted: %v", err)
	}
	if _, err := s.Password(t.Context(), "desk", "twelve chars!"); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("disabled user's password accepted: %v", err)
	}
	if _, _, err := s.CreateToken(t.Context(), "t", u.ID, "", -time.Second); err == nil || !strings.Contains(err.Error(), "name") || !strings.Contains(err.Error(), "ttl") {
		t.Fatalf("bad token request: %v", err)
	}
	// Every change above is in the audit trail, chained.
	entries, _ := s.Store.ListAudit(t.Context(), store.AuditFilter{})
	actions := []string{}
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); got != "user.create,token.create,token.create,token.revoke,token.create,user.disable" {
		t.Fatalf("audit actions %s", got)
	}
	if err := store.VerifyChain("", entries); err != nil {
		t.Fatal(err)
	}
}

func TestPasswordAuth(t *testing.T) {
	s, _ := newService(t)
	s.CreateUser(t.Context(), "t", NewUser{Username: "desk", DisplayName: "Desk", Agency: "MPS", Roles: []string{"auditor"}, Password: "twelve chars!"})
	if _, err := s.Password(t.Context(), "desk", "twelve chars!"); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{"desk", "wrong"}, {"nobody", "twelve chars!"}, {strings.Repeat("a", 100), "x"}, {"desk", strings.Repeat("x", 300)}} {
		if _, err := s.Password(t.Context(), c[0], c[1]); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%.20q/%.20q: %v", c[0], c[1], err)
		}
	}
}
