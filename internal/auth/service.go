package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/validation"
)

// Sentinel errors.
var (
	// ErrUnauthenticated: no or bad credentials (HTTP 401). The reason is
	// deliberately not told apart, so callers cannot probe for accounts.
	ErrUnauthenticated = errors.New("auth: authentication required")
	// ErrForbidden: authenticated, but the role does not allow it (403).
	ErrForbidden = errors.New("auth: not allowed for your role")
)

// Principal is an authenticated caller.
type Principal struct {
	User    store.User
	TokenID string // empty for password authentication
}

// Can reports whether the principal has permission p.
func (p *Principal) Can(perm Permission) bool { return p != nil && Allowed(p.User.Roles, perm) }

// Require returns ErrForbidden unless the principal has permission p.
func (p *Principal) Require(perm Permission) error {
	if !p.Can(perm) {
		return ErrForbidden
	}
	return nil
}

// Actor names the principal in audit entries.
func (p *Principal) Actor() string {
	if p == nil {
		return "system"
	}
	return "user:" + p.User.Username
}

// Service manages accounts and authenticates callers.
type Service struct {
	Store store.Store
	Clock clock.Clock
}

// NewUser is the input to CreateUser.
type NewUser struct {
	Username    string   `json:"username"`
	DisplayName string   `json:"display_name"`
	Agency      string   `json:"agency"`
	Roles       []string `json:"roles"`
	Password    string   `json:"password"`
	Language    string   `json:"language"`
	TimeZone    string   `json:"time_zone"`
}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// The messages of account and token validation; the console translates
// them by code.
var (
	msgUsername      = validation.Define("auth.username", "2-64 characters of a-z, 0-9, '.', '_' and '-'")
	msgRolesRequired = validation.Define("auth.roles_required", "at least one role is required")
	msgUnknownRole   = validation.Define("auth.unknown_role", "unknown role {role}; roles are admin, liaison_officer, central_authority, analyst, supervisor, auditor")
	msgPassword      = validation.Define("auth.password", "must be 12 to 256 characters")
	msgLanguage      = validation.Define("auth.language", "must be en or zh-CN")
	msgNoAgency      = validation.Define("auth.no_agency", "no agency {agency} on this node")
	msgUsernameTaken = validation.Define("auth.username_taken", "is already taken")
	msgTokenTTL      = validation.Define("auth.token_ttl", "must be between 0 (no expiry) and 366 days")
)

// Languages are the console languages.
var Languages = []string{"en", "zh-CN"}

func (n *NewUser) validate() error {
	var errs validation.Errors
	errs.Match("username", n.Username, usernameRE, msgUsername)
	errs.Required("display_name", n.DisplayName, 200)
	errs.Required("agency", n.Agency, 64)
	if len(n.Roles) == 0 {
		errs.Report("roles", msgRolesRequired, nil)
	}
	for _, r := range n.Roles {
		if !ValidRole(r) {
			errs.Report("roles", msgUnknownRole, validation.Params{"role": quote(r)})
		}
	}
	if l := len([]rune(n.Password)); l < MinPasswordLen || l > MaxPasswordLen {
		errs.Report("password", msgPassword, nil)
	}
	if n.Language == "" {
		n.Language = "en"
	}
	if !slices.Contains(Languages, n.Language) {
		errs.Report("language", msgLanguage, nil)
	}
	if n.TimeZone == "" {
		n.TimeZone = "UTC"
	}
	errs.TimeZone("time_zone", n.TimeZone)
	return errs.Err()
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return "\"" + s + "\""
}

// CreateUser validates and stores a new account.
func (s *Service) CreateUser(ctx context.Context, actor string, n NewUser) (store.User, error) {
	if err := n.validate(); err != nil {
		return store.User{}, err
	}
	hash, err := HashPassword(n.Password)
	if err != nil {
		return store.User{}, err
	}
	u := store.User{ID: NewID(), Username: n.Username, DisplayName: n.DisplayName, Agency: n.Agency,
		Roles: slices.Compact(slices.Sorted(slices.Values(n.Roles))), PasswordHash: hash, Language: n.Language, TimeZone: n.TimeZone,
		Created: s.Clock.Now()}
	err = s.Store.InTx(ctx, func(q store.Queries) error {
		if _, err := q.GetAgency(ctx, n.Agency); errors.Is(err, store.ErrNotFound) {
			return validation.Errors{msgNoAgency.On("agency", validation.Params{"agency": quote(n.Agency)})}
		} else if err != nil {
			return err
		}
		if err := q.CreateUser(ctx, u); errors.Is(err, store.ErrConflict) {
			return validation.Errors{msgUsernameTaken.On("username", nil)}
		} else if err != nil {
			return err
		}
		return audit.Record(ctx, q, s.Clock, actor, "user.create", "user", u.ID, nil, u)
	})
	return u, err
}

// SetDisabled disables or re-enables an account; a disabled account's
// tokens and password stop working at once.
func (s *Service) SetDisabled(ctx context.Context, actor, id string, disabled bool) error {
	return s.Store.InTx(ctx, func(q store.Queries) error {
		before, err := q.GetUser(ctx, id)
		if err != nil {
			return err
		}
		if err := q.SetUserDisabled(ctx, id, disabled); err != nil {
			return err
		}
		after := before
		after.Disabled = disabled
		return audit.Record(ctx, q, s.Clock, actor, "user.disable", "user", id, before, after)
	})
}

// TokenPrefix starts every API token, so leaked tokens are recognisable by
// secret scanners.
const TokenPrefix = "lia_"

// MaxTokenTTL bounds a token's life.
const MaxTokenTTL = 366 * 24 * time.Hour

// CreateToken issues an API token for a user. The secret is returned once;
// only its hash is stored.
func (s *Service) CreateToken(ctx context.Context, actor, userID, name string, ttl time.Duration) (secret string, tok store.Token, err error) {
	var errs validation.Errors
	errs.Required("name", name, 100)
	if ttl < 0 || ttl > MaxTokenTTL {
		errs.Report("ttl", msgTokenTTL, nil)
	}
	if err := errs.Err(); err != nil {
		return "", tok, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", tok, err
	}
	secret = TokenPrefix + hex.EncodeToString(b)
	now := s.Clock.Now()
	tok = store.Token{ID: NewID(), UserID: userID, Name: name, Hash: tokenHash(secret), Created: now}
	if ttl > 0 {
		tok.Expires = now.Add(ttl)
	}
	err = s.Store.InTx(ctx, func(q store.Queries) error {
		if _, err := q.GetUser(ctx, userID); err != nil {
			return err
		}
		if err := q.CreateToken(ctx, tok); err != nil {
			return err
		}
		return audit.Record(ctx, q, s.Clock, actor, "token.create", "token", tok.ID, nil, tok)
	})
	if err != nil {
		return "", store.Token{}, err
	}
	return secret, tok, nil
}

// RevokeToken ends a token at once.
func (s *Service) RevokeToken(ctx context.Context, actor, id string) error {
	return s.Store.InTx(ctx, func(q store.Queries) error {
		if err := q.RevokeToken(ctx, id, s.Clock.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, q, s.Clock, actor, "token.revoke", "token", id, nil, nil)
	})
}

func tokenHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// dummyHash is checked against when the user does not exist, so a login
// for a missing account takes as long as one with a wrong password.
var dummyHash, _ = HashPassword("not a real password, only for timing")

// Password authenticates a username and password.
func (s *Service) Password(ctx context.Context, username, password string) (*Principal, error) {
	if len(username) > 64 || len(password) > MaxPasswordLen {
		return nil, ErrUnauthenticated
	}
	u, err := s.Store.GetUserByName(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		CheckPassword(dummyHash, password)
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	if !CheckPassword(u.PasswordHash, password) || u.Disabled {
		return nil, ErrUnauthenticated
	}
	return &Principal{User: u}, nil
}

// Token authenticates an API token.
func (s *Service) Token(ctx context.Context, secret string) (*Principal, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) != len(TokenPrefix)+64 {
		return nil, ErrUnauthenticated
	}
	t, err := s.Store.GetTokenByHash(ctx, tokenHash(secret))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	if !t.Revoked.IsZero() || (!t.Expires.IsZero() && !now.Before(t.Expires)) {
		return nil, ErrUnauthenticated
	}
	u, err := s.Store.GetUser(ctx, t.UserID)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, ErrUnauthenticated
	}
	// last_used is informational: at most one write per token per minute.
	if now.Sub(t.LastUsed) > time.Minute {
		_ = s.Store.TouchToken(ctx, t.ID, now)
	}
	return &Principal{User: u, TokenID: t.ID}, nil
}

// NewID returns a random 128-bit identifier in hex.
func NewID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Request authenticates an HTTP request by its Authorization header: a
// Bearer API token, or Basic for tools that speak only that (TAXII clients
// among them).
func (s *Service) Request(r *http.Request) (*Principal, error) {
	h := r.Header.Get("Authorization")
	switch {
	case h == "":
		return nil, ErrUnauthenticated
	case strings.HasPrefix(h, "Bearer "):
		return s.Token(r.Context(), strings.TrimSpace(strings.TrimPrefix(h, "Bearer ")))
	}
	if user, pw, ok := r.BasicAuth(); ok {
		return s.Password(r.Context(), user, pw)
	}
	return nil, ErrUnauthenticated
}
