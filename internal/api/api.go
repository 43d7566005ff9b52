// Package api serves the node's REST API under /api/v1: JSON in and out,
// RFC 9457 problem details for every error, an OpenAPI document generated
// from the same route table that the router and the authorization checks
// use, so the three cannot drift apart.
//
// Handlers stay thin: they decode, call a domain service, and encode.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/casework"
	"github.com/liaison-dev/liaison/internal/directory"
	"github.com/liaison-dev/liaison/internal/hotline"
	"github.com/liaison-dev/liaison/internal/identity"
	"github.com/liaison-dev/liaison/internal/intel"
	"github.com/liaison-dev/liaison/internal/intel/sample"
	"github.com/liaison-dev/liaison/internal/ledger"
	"github.com/liaison-dev/liaison/internal/progress"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/store"
)

// Prefix is where the API lives.
const Prefix = "/api/v1"

// NodeInfo describes the node to its users.
type NodeInfo struct {
	Party          string `json:"party"`
	Name           string `json:"name"`
	Endpoint       string `json:"endpoint"`
	SigningKeyID   string `json:"signing_key_id"`
	TLSFingerprint string `json:"tls_fingerprint"`
	Backend        string `json:"store_backend"`
	SchemaVersion  int    `json:"schema_version"`
	Version        string `json:"version"`
}

// Server holds what the handlers need.
type Server struct {
	Log       *slog.Logger
	Store     store.Store
	Auth      *auth.Service
	Directory *directory.Service
	Peers     *identity.Peers
	Intel     *intel.Service
	// Samples serves the routes of samples.go.
	Samples *sample.Service
	// Requests and Hotline serve the routes of requests.go.
	Requests *request.Service
	Hotline  *hotline.Service
	// Cases serves the routes of cases.go.
	Cases *casework.Service
	// Ledger and Progress serve the routes of ledger.go.
	Ledger   *ledger.Log
	Progress *progress.Service
	// Info returns the node description; Descriptor the signed descriptor.
	Info       func(ctx context.Context) (NodeInfo, error)
	Descriptor func(ctx context.Context) ([]byte, error)
	MaxBody    int64
	Metrics    *Metrics
}

// Route is one API operation.
type Route struct {
	Method  string
	Path    string // under Prefix, with {name} wildcards
	Perm    auth.Permission
	Summary string
	// Body and Response are example values whose types describe the JSON
	// in the OpenAPI document; nil for none.
	Body, Response any
	Status         int // success status (200 when zero)
	handle         func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error
}

// Routes is the API's route table.
func (s *Server) Routes() []Route { return routes }

// Handler returns the API handler, to be mounted at Prefix.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.Handle(rt.Method+" "+Prefix+rt.Path, s.wrap(rt))
	}
	mux.HandleFunc("GET "+Prefix+"/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, OpenAPI())
	})
	mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, Problem{Type: ProblemType + "not-found", Status: http.StatusNotFound, Detail: "no such API route; see " + Prefix + "/openapi.json"})
	})
	return mux
}

// wrap authenticates, authorizes and then runs the handler: the only path
// into a handler, so no route can forget its check.
func (s *Server) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		p, err := s.authenticate(r)
		if err == nil {
			err = p.Require(rt.Perm)
		}
		if err == nil {
			err = rt.handle(s, rw, r, p)
		}
		if err != nil {
			writeError(rw, r, s.Log, err)
		}
		label := rt.Method + " " + rt.Path
		if s.Metrics != nil {
			s.Metrics.observe(label, rw.status, time.Since(start))
		}
		who := ""
		if p != nil {
			who = p.User.Username
		}
		s.Log.LogAttrs(r.Context(), levelFor(rw.status), "api", slog.String("route", label), slog.Int("status", rw.status),
			slog.String("user", who), slog.Duration("took", time.Since(start)))
	})
}

func levelFor(status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status >= 400:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// authenticate reads the request's credentials.
func (s *Server) authenticate(r *http.Request) (*auth.Principal, error) {
	return s.Auth.Request(r)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Metrics are the API's Prometheus instruments.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the API metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "liaison_api_requests_total", Help: "API requests by route and status."}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "liaison_api_request_seconds", Help: "API request latency by route.", Buckets: prometheus.DefBuckets}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *Metrics) observe(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, http.StatusText(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}
