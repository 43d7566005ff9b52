package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"github.com/liaison-dev/liaison/internal/request"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/web/locale"
)

// Cookie names end with the party, because browsers keep cookies per host
// and not per port: two nodes on one host (the demo) must not overwrite
// each other's sessions. The __Host- prefix makes the browser refuse the
// cookie unless it is Secure, host-only and for path "/".
const csrfField = "csrf"

func (s *Server) sessionCookie() string { return "__Host-liaison-" + s.Party }

// loginCookie holds the login form's CSRF token.
func (s *Server) loginCookie() string { return "__Host-liaison-login-" + s.Party }

type ctxKey struct{}

// session is the signed-in user of a request.
type session struct {
	store.WebSession
	P *auth.Principal
}

func fromContext(ctx context.Context) *session {
	s, _ := ctx.Value(ctxKey{}).(*session)
	return s
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// authed wraps a page: it loads the session (or sends the browser to the
// login page), checks the permission through the node's policy (403
// otherwise; "" for pages every signed-in user may see), and checks the
// CSRF token of every state-changing request.
func (s *Server) authed(perm auth.Permission, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.loadSession(r)
		if err != nil {
			if !errors.Is(err, errNoSession) {
				s.internal(w, r, err)
				return
			}
			if r.Method == http.MethodGet && r.URL.Path != "/events" {
				redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()))
				return
			}
			s.fail(w, r, http.StatusUnauthorized, "err.session")
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess))
		if perm != "" && !auth.Allowed(sess.P.User.Roles, perm) {
			s.fail(w, r, http.StatusForbidden, "err.forbidden")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && isMultipart(r) {
			// Uploads stream: the token must be the first part, checked
			// here, and the handler reads the rest from the same reader.
			r.Body = http.MaxBytesReader(w, r.Body, s.maxUpload())
			mr, err := checkMultipartCSRF(r, sess.CSRF)
			if err != nil {
				s.fail(w, r, http.StatusForbidden, "err.csrf")
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), multipartKey{}, mr))
		} else if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := parseForm(w, r); err != nil {
				s.fail(w, r, http.StatusBadRequest, "err.badform")
				return
			}
			if !sameToken(r.PostFormValue(csrfField), sess.CSRF) {
				s.fail(w, r, http.StatusForbidden, "err.csrf")
				return
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r)
	})
}

func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	return r.ParseForm()
}

func isMultipart(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data")
}

type multipartKey struct{}

// checkMultipartCSRF reads the first part of a multipart body, which must
// be the CSRF token, and returns the reader positioned after it.
func checkMultipartCSRF(r *http.Request, want string) (*multipart.Reader, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, err
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != csrfField {
		return nil, errors.New("web: the first part is not the CSRF token")
	}
	tok, _ := io.ReadAll(io.LimitReader(part, 200))
	if !sameToken(string(tok), want) {
		return nil, errors.New("web: bad CSRF token")
	}
	return mr, nil
}

// multipartFrom returns the upload's reader, past its checked CSRF part.
func multipartFrom(r *http.Request) *multipart.Reader {
	mr, _ := r.Context().Value(multipartKey{}).(*multipart.Reader)
	return mr
}

var errNoSession = errors.New("web: no session")

func (s *Server) loadSession(r *http.Request) (*session, error) {
	c, err := r.Cookie(s.sessionCookie())
	if err != nil || len(c.Value) > 100 {
		return nil, errNoSession
	}
	ctx := r.Context()
	id := hashToken(c.Value)
	ws, err := s.Store.GetWebSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if ws.Expired(now) {
		_ = s.Store.DeleteWebSession(ctx, id)
		return nil, errNoSession
	}
	u, err := s.Store.GetUser(ctx, ws.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled) {
		_ = s.Store.DeleteWebSession(ctx, id)
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	// Activity moves the idle expiry; at most one write a minute.
	if now.Sub(ws.Seen) > time.Minute {
		ws.Seen, ws.IdleUntil = now, now.Add(s.IdleTimeout)
		if err := s.Store.TouchWebSession(ctx, id, ws.Seen, ws.IdleUntil); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return &session{WebSession: ws, P: &auth.Principal{User: u}}, nil
}

func setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// loginView is the login page's data.
type loginView struct {
	Username, Next string
	Error          string
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if _, err := s.loadSession(r); err == nil {
		redirect(w, r, "/")
		return
	}
	lv := loginView{Next: safeNext(r.URL.Query().Get("next"))}
	if r.URL.Query().Has("expired") {
		lv.Error = "login.expired"
	}
	s.renderLogin(w, r, http.StatusOK, lv)
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, lv loginView) {
	tok := randomToken()
	setCookie(w, s.loginCookie(), tok, 3600)
	v := s.view(r, "login.title")
	v.CSRF, v.D = tok, lv
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "login", v)
}

// safeNext keeps post-login redirects on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.HasPrefix(next, "/events") {
		return "/"
	}
	return next
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "err.badform")
		return
	}
	c, err := r.Cookie(s.loginCookie())
	if err != nil || !sameToken(r.PostFormValue(csrfField), c.Value) {
		s.fail(w, r, http.StatusForbidden, "err.csrf")
		return
	}
	ctx := r.Context()
	username := strings.TrimSpace(r.PostFormValue("username"))
	lv := loginView{Username: username, Next: safeNext(r.PostFormValue("next"))}
	now := s.now()
	userKey, addrKey := "user:"+strings.ToLower(username), "addr:"+clientAddr(r)
	nu, err := s.Store.CountLoginFailures(ctx, userKey, now.Add(-LoginWindow))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	na, err := s.Store.CountLoginFailures(ctx, addrKey, now.Add(-LoginWindow))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if nu >= MaxUserFailures || na >= MaxAddrFailures {
		w.Header().Set("Retry-After", "900")
		lv.Error = "login.throttled"
		s.renderLogin(w, r, http.StatusTooManyRequests, lv)
		return
	}
	p, err := s.Auth.Password(ctx, username, r.PostFormValue("password"))
	if errors.Is(err, auth.ErrUnauthenticated) {
		err = s.Store.InTx(ctx, func(q store.Queries) error {
			if err := q.AddLoginFailure(ctx, userKey, now); err != nil {
				return err
			}
			if err := q.AddLoginFailure(ctx, addrKey, now); err != nil {
				return err
			}
			return audit.RecordDetail(ctx, q, s.Clock, "web:"+clientAddr(r), "web.login_failed", "user", "", nil, nil, "username "+truncate(username, 64))
		})
		if err != nil {
			s.internal(w, r, err)
			return
		}
		lv.Error = "login.failed"
		s.renderLogin(w, r, http.StatusUnauthorized, lv)
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	tok := randomToken()
	ws := store.WebSession{ID: hashToken(tok), UserID: p.User.ID, CSRF: randomToken(), Created: now, Seen: now,
		IdleUntil: now.Add(s.IdleTimeout), Expires: now.Add(s.MaxAge), Client: truncate(clientAddr(r)+" "+r.UserAgent(), 300)}
	err = s.Store.InTx(ctx, func(q store.Queries) error {
		if err := q.CreateWebSession(ctx, ws); err != nil {
			return err
		}
		if err := q.ClearLoginFailures(ctx, userKey, now.Add(-LoginWindow)); err != nil {
			return err
		}
		if _, err := q.DeleteExpiredWebSessions(ctx, now); err != nil {
			return err
		}
		return audit.RecordDetail(ctx, q, s.Clock, p.Actor(), "web.login", "user", p.User.ID, nil, nil, clientAddr(r))
	})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	setCookie(w, s.loginCookie(), "", -1)
	setCookie(w, s.sessionCookie(), tok, int(s.MaxAge/time.Second))
	redirect(w, r, lv.Next)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	sess := fromContext(r.Context())
	ctx := r.Context()
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		if err := q.DeleteWebSession(ctx, sess.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return audit.Record(ctx, q, s.Clock, sess.P.Actor(), "web.logout", "user", sess.P.User.ID, nil, nil)
	})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	setCookie(w, s.sessionCookie(), "", -1)
	redirect(w, r, "/login")
}

func (s *Server) settings(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "settings", s.view(r, "settings.title"))
}

// saveSettings sets the user's language and time zone; a form may send
// only the language (the switcher in the header).
func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request) {
	sess := fromContext(r.Context())
	u := sess.P.User
	lang, tz := u.Language, u.TimeZone
	if v := r.PostFormValue("language"); v != "" {
		lang = locale.Supported(v)
	}
	if v := strings.TrimSpace(r.PostFormValue("time_zone")); v != "" {
		if _, err := time.LoadLocation(v); err != nil || strings.Contains(v, "..") {
			vw := s.view(r, "settings.title")
			vw.Errors = map[string]string{"time_zone": "err.timezone"}
			s.render(w, r, http.StatusUnprocessableEntity, "settings", vw)
			return
		}
		tz = v
	}
	ctx := r.Context()
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		if err := q.SetUserLocale(ctx, u.ID, lang, tz); err != nil {
			return err
		}
		return audit.RecordDetail(ctx, q, s.Clock, sess.P.Actor(), "user.locale", "user", u.ID, nil, nil, lang+" "+tz)
	})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	redirect(w, r, safeNext(r.PostFormValue("next")))
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// maxUpload bounds any upload body: the largest file a service accepts
// plus room for the form around it. Each service enforces its own limit.
func (s *Server) maxUpload() int64 {
	limit := int64(request.MaxAttachment)
	if s.Samples != nil {
		limit = max(limit, s.Samples.Limit())
	}
	return limit + 1<<20
}
