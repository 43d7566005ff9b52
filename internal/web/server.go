// Package web is the node's server-rendered console for the 24/7 desk,
// central authorities, analysts, supervisors, auditors and admins, in
// English and Simplified Chinese (internal/web/locale).
//
// It is served at "/" beside, and separately from, the API (/api/v1) and
// TAXII (/taxii2/): browser routes authenticate with a server-side session
// cookie and never accept API tokens, and the API never accepts the cookie.
// Everything is embedded in the binary — templates, styles, one small
// script — and nothing is fetched from anywhere else, so the console works
// on an air-gapped network.
//
// # Security
//
//   - Sessions live in the database (store.WebQueries); the cookie
//     (__Host-liaison) is Secure, HttpOnly, SameSite=Strict and holds a
//     random secret of which only the SHA-256 is stored. Sessions end on
//     logout, after IdleTimeout without activity, after MaxAge in any case,
//     and when the account is disabled.
//   - Every state-changing request must carry the session's CSRF token in
//     the form (the login form a per-visit token in a cookie), and must not
//     come from another origin (net/http.CrossOriginProtection).
//   - A strict Content-Security-Policy allows only the console's own
//     scripts, styles and connections: no inline script, no third party,
//     no framing. Responses carry nosniff and a same-origin referrer policy.
//   - Logins are throttled per username and per client address.
//   - Every page checks the user's role through auth.Allowed, the node's
//     one policy; what a page lists is further narrowed by the domain
//     services (request confidentiality and routing, intel grants).
//   - Internal errors are logged, never shown: the user sees a translated
//     message and a reference to find the log line.
package web

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/casework"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/directory"
	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/hotline"
	"github.com/liaison-dev/liaison/internal/identity"
	"github.com/liaison-dev/liaison/internal/intel"
	"github.com/liaison-dev/liaison/internal/intel/sample"
	"github.com/liaison-dev/liaison/internal/progress"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/store"
)

//go:embed templates static
var assets embed.FS

// Defaults of Server's tunables.
const (
	DefaultIdleTimeout = 30 * time.Minute
	DefaultMaxAge      = 12 * time.Hour
	DefaultPoll        = 2 * time.Second
	// LoginWindow, MaxUserFailures and MaxAddrFailures throttle logins: an
	// account is locked for the rest of the window after MaxUserFailures
	// failures, a client address after MaxAddrFailures.
	LoginWindow     = 15 * time.Minute
	MaxUserFailures = 5
	MaxAddrFailures = 20
	// maxForm bounds a form body; attachments have their own bound.
	maxForm = 1 << 20
	// maxStream bounds one Server-Sent Events connection; the browser
	// reconnects at once.
	maxStream = 5 * time.Minute
)

// Server is the console. Services that a node does not run yet may be nil;
// their pages say so instead of failing.
type Server struct {
	Log       *slog.Logger
	Store     store.Store
	Clock     clock.Clock
	Auth      *auth.Service
	Directory *directory.Service
	Peers     *identity.Peers
	Intel     *intel.Service
	Requests  *request.Service
	Hotline   *hotline.Service
	Cases     *casework.Service
	Progress  *progress.Service
	Samples   *sample.Service
	// Health reports the federation's view of each peer.
	Health func() map[string]federation.PeerHealth
	// Party and Name are this node's.
	Party, Name string

	// IdleTimeout and MaxAge bound sessions; Poll is how often live pages
	// look for new hotline calls. Zero takes the defaults.
	IdleTimeout, MaxAge, Poll time.Duration

	once     sync.Once
	pages    map[string]*page
	static   http.Handler
	stop     chan struct{}
	stopOnce sync.Once
}

// Shutdown ends the live event streams, so a draining server is not held
// open by browsers; call it when the node starts to drain.
func (s *Server) Shutdown() {
	s.init()
	s.stopOnce.Do(func() { close(s.stop) })
}

func (s *Server) init() {
	s.once.Do(func() {
		if s.IdleTimeout == 0 {
			s.IdleTimeout = DefaultIdleTimeout
		}
		if s.MaxAge == 0 {
			s.MaxAge = DefaultMaxAge
		}
		if s.Poll == 0 {
			s.Poll = DefaultPoll
		}
		if s.Log == nil {
			s.Log = slog.New(slog.DiscardHandler)
		}
		s.stop = make(chan struct{})
		s.pages = mustParse()
		sub, _ := fs.Sub(assets, "static")
		s.static = http.StripPrefix("/static/", http.FileServerFS(sub))
	})
}

// csp is the console's Content-Security-Policy: its own files only.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"media-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Handler returns the console's routes. Mount it at "/".
func (s *Server) Handler() http.Handler {
	s.init()
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.HandlerFunc(s.serveStatic))
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.login)
	mux.Handle("POST /logout", s.authed("", s.logout))
	mux.Handle("POST /settings", s.authed("", s.saveSettings))
	mux.Handle("GET /settings", s.authed("", s.settings))

	mux.Handle("GET /{$}", s.authed(auth.NodeRead, s.dashboard))
	mux.Handle("GET /dashboard/lists", s.authed(auth.NodeRead, s.dashboardLists))
	mux.Handle("GET /events", s.authed(auth.NodeRead, s.events))

	mux.Handle("GET /hotline", s.authed(auth.HotlineRead, s.hotlinePage))
	mux.Handle("GET /hotline/open", s.authed(auth.HotlineRead, s.hotlineOpen))
	mux.Handle("POST /hotline/calls/{id}/ack", s.authed(auth.HotlineOperate, s.ackCall))
	mux.Handle("POST /hotline/drill", s.authed(auth.HotlineOperate, s.drill))

	mux.Handle("GET /requests", s.authed(auth.RequestRead, s.requestList))
	mux.Handle("GET /requests/new", s.authed(auth.RequestWrite, s.composeForm))
	mux.Handle("POST /requests/new", s.authed(auth.RequestWrite, s.compose))
	mux.Handle("GET /requests/{id}", s.authed(auth.RequestRead, s.requestDetail))
	mux.Handle("POST /requests/{id}/act", s.authed(auth.RequestWrite, s.act))
	mux.Handle("POST /requests/{id}/attachments", s.authed(auth.RequestWrite, s.upload))
	mux.Handle("GET /requests/{id}/attachments/{att}", s.authed(auth.RequestRead, s.download))

	mux.Handle("GET /intel", s.authed(auth.IntelRead, s.intelPage))
	mux.Handle("GET /intel/objects/{id}", s.authed(auth.IntelRead, s.intelObject))
	mux.Handle("GET /intel/samples", s.authed(auth.IntelRead, s.samplesPage))
	mux.Handle("POST /intel/samples", s.authed(auth.SampleWrite, s.uploadSample))
	mux.Handle("GET /intel/samples/{sha}", s.authed(auth.SampleRead, s.downloadSample))

	mux.Handle("GET /progress", s.authed(auth.ProgressRead, s.progressPage))
	mux.Handle("GET /progress/report", s.authed(auth.ProgressRead, s.progressReport))
	mux.Handle("GET /cases", s.authed(auth.CaseRead, s.casesPage))
	mux.Handle("GET /cases/{id}", s.authed(auth.CaseRead, s.caseDetail))
	mux.Handle("GET /directory", s.authed(auth.DirectoryRead, s.directoryPage))
	mux.Handle("GET /audit", s.authed(auth.AuditRead, s.auditPage))

	mux.Handle("GET /admin", s.authed(auth.UserRead, s.adminPage))
	mux.Handle("POST /admin/agencies", s.authed(auth.AgencyManage, s.createAgency))
	mux.Handle("POST /admin/users", s.authed(auth.UserManage, s.createUser))
	mux.Handle("POST /admin/users/{id}/disabled", s.authed(auth.UserManage, s.setDisabled))
	mux.Handle("POST /admin/tokens", s.authed(auth.SelfManage, s.createToken))
	mux.Handle("POST /admin/tokens/{id}/revoke", s.authed(auth.SelfManage, s.revokeToken))
	mux.Handle("POST /admin/peers", s.authed(auth.PeerManage, s.addPeer))

	mux.HandleFunc("/", s.notFound)

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusForbidden, "err.crossorigin")
	}))
	return headers(cop.Handler(mux))
}

func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=3600")
	s.static.ServeHTTP(w, r)
}

func (s *Server) now() time.Time { return s.Clock.Now().UTC() }

// fail answers with a translated error page; the code names the message.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, key string) {
	v := s.view(r, "err.title")
	v.Status, v.Message = status, key
	s.render(w, r, status, "error", v)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, http.StatusNotFound, "err.notfound")
}

// internal logs err and shows a reference to it, never its text.
func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	ref := auth.NewID()[:8]
	s.Log.Error("web: internal error", "path", r.URL.Path, "ref", ref, "err", err)
	v := s.view(r, "err.title")
	v.Status, v.Message, v.Ref = http.StatusInternalServerError, "err.internal", ref
	s.render(w, r, http.StatusInternalServerError, "error", v)
}

// domainErr maps a domain error to a page: missing and hidden objects are
// 404, role refusals 403, everything else internal.
func (s *Server) domainErr(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, "err.notfound")
	case errors.Is(err, auth.ErrForbidden):
		s.fail(w, r, http.StatusForbidden, "err.forbidden")
	case errors.Is(err, context.Canceled):
	default:
		s.internal(w, r, err)
	}
}

func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}
