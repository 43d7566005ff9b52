// Package node wires a Liaison node together: configuration, keys, store,
// domain services and the HTTPS server, and runs it until told to stop,
// draining in-flight requests so every open write commits or rolls back.
package node

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/liaison-dev/liaison/internal/api"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/casework"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/config"
	"github.com/liaison-dev/liaison/internal/directory"
	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/hotline"
	"github.com/liaison-dev/liaison/internal/identity"
	"github.com/liaison-dev/liaison/internal/intel"
	"github.com/liaison-dev/liaison/internal/intel/pattern"
	"github.com/liaison-dev/liaison/internal/intel/sample"
	"github.com/liaison-dev/liaison/internal/intel/stix"
	"github.com/liaison-dev/liaison/internal/intel/taxii"
	"github.com/liaison-dev/liaison/internal/ledger"
	"github.com/liaison-dev/liaison/internal/progress"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/store/postgres"
	"github.com/liaison-dev/liaison/internal/store/sqlite"
	"github.com/liaison-dev/liaison/internal/web"
)

// Version is the software version, set at build time.
var Version = "dev"

// Node is an open node.
type Node struct {
	Config    *config.Config
	Identity  *identity.Identity
	Store     store.Store
	Log       *slog.Logger
	Clock     clock.Clock
	Auth      *auth.Service
	Directory *directory.Service
	Peers     *identity.Peers
	API       *api.Server
	Intel     *intel.Service
	TAXII     *taxii.Server
	Registry  *prometheus.Registry
	// Federation carries envelopes to and from peers; domain services
	// register their handlers on it before Serve.
	Federation *federation.Service
	// Requests and Hotline run requests for assistance and the 24/7
	// hotline (requests.go).
	Requests *request.Service
	Hotline  *hotline.Service
	// Samples keeps malware samples and analysis documents, encrypted.
	Samples *sample.Service
	// Cases runs joint cases and leads.
	Cases *casework.Service
	// Web is the browser console, served at "/".
	Web *web.Server
	// Ledger is the node's transparency log; Exchange has it cosigned by
	// the peers; Progress keeps rounds, commitments, metrics and reports
	// (ledger.go).
	Ledger   *ledger.Log
	Exchange *Exchange
	Progress *progress.Service
}

// InitOptions are the inputs of `liaison init`.
type InitOptions struct {
	Dir, Party, Name, Listen string
	// Database is empty for SQLite, or a postgres:// URL.
	Database string
	TimeZone string
}

// ErrExists: the directory already holds a node; init changed nothing.
var ErrExists = errors.New("a node already exists here")

// Init creates a node directory: configuration, keys, TLS certificate and
// a migrated database. It refuses, changing nothing, if a node is there.
func Init(ctx context.Context, o InitOptions) (*config.Config, error) {
	cfg := config.Defaults()
	cfg.Dir, cfg.Party, cfg.Name, cfg.Database = o.Dir, o.Party, o.Name, o.Database
	if o.Listen != "" {
		cfg.Listen = o.Listen
	}
	if o.TimeZone != "" {
		cfg.TimeZone = o.TimeZone
	}
	cfgPath := filepath.Join(o.Dir, config.FileName)
	if err := cfg.Validate(cfgPath); err != nil {
		return nil, err
	}
	paths := keyPaths(&cfg)
	if _, err := os.Stat(cfgPath); err == nil {
		return nil, fmt.Errorf("%w: %s exists; nothing was changed", ErrExists, cfgPath)
	}
	if identity.Exists(paths) {
		return nil, fmt.Errorf("%w: key files exist under %s; nothing was changed", ErrExists, o.Dir)
	}
	if cfg.Database == "" {
		if _, err := os.Stat(cfg.Path(cfg.SQLitePath)); err == nil {
			return nil, fmt.Errorf("%w: database %s exists; nothing was changed", ErrExists, cfg.Path(cfg.SQLitePath))
		}
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(cfg.Listen)
	hosts := []string{host, "localhost"}
	if err := identity.Generate(paths, cfg.Party, hosts); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Path(cfg.SQLitePath)), 0o700); err != nil {
		return nil, err
	}
	st, err := OpenStore(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	st.Close()
	b, err := cfg.Marshal()
	if err != nil {
		return nil, err
	}
	// The config is written last: its presence marks a complete node.
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func keyPaths(c *config.Config) identity.Paths {
	return identity.Paths{Signing: c.Path(c.Keys.Signing), Encryption: c.Path(c.Keys.Encryption),
		TLSCert: c.Path(c.TLS.Cert), TLSKey: c.Path(c.TLS.Key)}
}

// OpenStore opens the configured database.
func OpenStore(ctx context.Context, c *config.Config) (store.Store, error) {
	if c.Database != "" {
		return postgres.Open(ctx, postgres.Config{URL: c.Database})
	}
	return sqlite.Open(ctx, sqlite.Config{Path: c.Path(c.SQLitePath)})
}

// NewLogger returns the JSON logger at the configured level.
func NewLogger(level string, w *os.File) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// Open loads a node directory.
func Open(ctx context.Context, dir string, log *slog.Logger) (*Node, error) {
	cfg, err := config.Load(dir)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = NewLogger(cfg.Log.Level, os.Stderr)
	}
	id, err := identity.Load(keyPaths(cfg), cfg.Party)
	if err != nil {
		return nil, err
	}
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	n := &Node{Config: cfg, Identity: id, Store: st, Log: log, Clock: clock.System{}, Registry: prometheus.NewRegistry()}
	n.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	n.Auth = &auth.Service{Store: st, Clock: n.Clock}
	n.Directory = &directory.Service{Store: st, Clock: n.Clock}
	n.Peers = &identity.Peers{Store: st, Clock: n.Clock, Self: cfg.Party}
	n.Intel = &intel.Service{Store: st, Clock: n.Clock, Parser: &stix.Parser{CheckPattern: checkPattern}}
	n.TAXII = &taxii.Server{Intel: n.Intel, Auth: n.Auth, Log: log, Title: "Liaison " + cfg.Party + " (" + cfg.Name + ")",
		Contact: cfg.Endpoint(), MaxContentLength: cfg.Limits.MaxBodyBytes}
	n.Federation = federation.New(federation.Config{Identity: id, Store: st, Clock: n.Clock, Log: log,
		Registry: n.Registry, SpoolDir: cfg.Path("data/federation")})
	n.Intel.Federation, n.Intel.Self = n.Federation, cfg.Party
	n.Federation.Handle(intel.TypeObjects, n.Intel.HandleObjects)
	blobs, err := sample.OpenBlobs(cfg.Path("data/samples"), cfg.Path("keys/samples.age"))
	if err != nil {
		st.Close()
		return nil, err
	}
	n.Samples = &sample.Service{Store: st, Clock: n.Clock, Intel: n.Intel, Blobs: blobs, Federation: n.Federation,
		Self: cfg.Party, MaxBytes: cfg.Limits.MaxSampleBytes}
	n.Federation.Handle(sample.TypeSample, n.Samples.HandleSample)
	n.API = &api.Server{Log: log, Store: st, Auth: n.Auth, Directory: n.Directory, Peers: n.Peers, Intel: n.Intel, Samples: n.Samples,
		Info: n.info, Descriptor: n.Descriptor, MaxBody: cfg.Limits.MaxBodyBytes, Metrics: api.NewMetrics(n.Registry)}
	if err := n.openRequests(); err != nil {
		st.Close()
		return nil, err
	}
	n.Cases = &casework.Service{Store: st, Clock: n.Clock, Party: cfg.Party, Federation: n.Federation, Requests: n.Requests, Log: log, Dir: cfg.Path("data/cases")}
	n.Cases.Register(n.Federation)
	n.API.Cases = n.Cases
	if err := n.openLedger(); err != nil {
		st.Close()
		return nil, err
	}
	n.openWeb()
	return n, nil
}

// Close releases the store.
func (n *Node) Close() error { return n.Store.Close() }

func (n *Node) info(ctx context.Context) (api.NodeInfo, error) {
	v, err := n.Store.SchemaVersion(ctx)
	if err != nil {
		return api.NodeInfo{}, err
	}
	return api.NodeInfo{Party: n.Config.Party, Name: n.Config.Name, Endpoint: n.Config.Endpoint(),
		SigningKeyID: identity.KeyFingerprint(n.Identity.SigningPublic()), TLSFingerprint: n.Identity.TLSFingerprint(),
		Backend: n.Store.Backend(), SchemaVersion: v, Version: Version}, nil
}

// Descriptor returns the node's signed descriptor with the current 24/7
// directory.
func (n *Node) Descriptor(ctx context.Context) ([]byte, error) {
	agencies, err := n.Store.ListAgencies(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, a := range agencies {
		names[a.Code] = a.Name
	}
	contacts, err := n.Store.ListContacts(ctx)
	if err != nil {
		return nil, err
	}
	d := identity.Descriptor{Version: 1, Party: n.Config.Party, Name: n.Config.Name, Endpoints: []string{n.Config.Endpoint()},
		SigningKey: n.Identity.SigningPublic(), EncryptionKEM: identity.KEM().ID(), EncryptionKey: n.Identity.Encryption.PublicKey().Bytes(),
		TLSCertificate: n.Identity.TLS.Certificate[0], TLSFingerprint: n.Identity.TLSFingerprint(), TimeZone: n.Config.TimeZone,
		Contacts: []identity.Contact{}, Issued: n.Clock.Now()}
	for _, c := range contacts {
		d.Contacts = append(d.Contacts, identity.Contact{Agency: c.Agency, AgencyName: names[c.Agency], Name: c.Name, Role: c.Role,
			Languages: c.Languages, TimeZone: c.TimeZone, Phone: c.Phone, Email: c.Email})
	}
	return identity.Sign(d, n.Identity.Signer)
}

// Handler is the node's whole HTTP surface.
func (n *Node) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /readyz", n.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(n.Registry, promhttp.HandlerOpts{}))
	mux.Handle(api.Prefix+"/", n.API.Handler())
	mux.Handle(federation.Prefix+"/", n.Federation.Handler())
	mux.Handle(taxii.Prefix, n.TAXII.Handler())
	mux.Handle("/", n.Web.Handler())
	return securityHeaders(mux)
}

// readyz answers 200 while the node can serve: the database answers. A
// failed check answers 503 with the failing part named. An unreachable
// peer degrades readiness without failing it: the node still serves its
// own users and queues for the peer.
func (n *Node) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	status, code := "ready", http.StatusOK
	checks := map[string]string{"store": "ok"}
	if err := n.Store.Ping(ctx); err != nil {
		n.Log.Warn("readiness: store", "err", err)
		checks["store"], status, code = "unreachable", "not ready", http.StatusServiceUnavailable
	}
	peers := map[string]string{}
	for p, h := range n.Federation.Health() {
		peers[p] = h.State
		if h.State == federation.HealthUnreachable && code == http.StatusOK {
			status = "degraded"
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"status": status, "checks": checks, "peers": peers})
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Strict-Transport-Security", "max-age=31536000")
		h.ServeHTTP(w, r)
	})
}

// TLSConfig is the server side of the node's TLS. It requests (without
// requiring) a client certificate, which the federation endpoints check
// against the pinned peer.
func (n *Node) TLSConfig() *tls.Config {
	return federation.ServerTLS(&tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{n.Identity.TLS}})
}

// Listen opens the configured listen address.
func (n *Node) Listen() (net.Listener, error) {
	return net.Listen("tcp", n.Config.Listen)
}

// Serve serves HTTPS on ln until ctx is cancelled, then stops accepting and
// waits up to the shutdown timeout for in-flight requests. Requests still
// running after that are cancelled, which rolls back their transactions:
// every write either commits or leaves nothing behind.
func (n *Node) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           n.Handler(),
		TLSConfig:         n.TLSConfig(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Duration(n.Config.Limits.ReadTimeout),
		WriteTimeout:      time.Duration(n.Config.Limits.WriteTimeout),
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(n.Log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(tls.NewListener(ln, srv.TLSConfig)) }()
	// The outbox worker stops first on shutdown; what it had in flight
	// without a stored receipt is sent again after the restart.
	fctx, fstop := context.WithCancel(ctx)
	fdone := make(chan struct{})
	go func() { defer close(fdone); n.Federation.Run(fctx) }()
	go n.runRequests(fctx)
	go n.runLedger(fctx)
	defer func() { fstop(); <-fdone }()
	n.Log.Info("serving", "party", n.Config.Party, "addr", ln.Addr().String(), "store", n.Store.Backend())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	n.Web.Shutdown()
	fstop()
	<-fdone
	n.Log.Info("draining", "timeout", time.Duration(n.Config.ShutdownTimeout).String())
	sctx, cancel := context.WithTimeout(context.Background(), time.Duration(n.Config.ShutdownTimeout))
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		n.Log.Warn("drain timed out; cancelling remaining requests", "err", err)
		srv.Close()
	}
	<-errc
	n.Log.Info("stopped")
	return nil
}

// checkPattern validates indicator patterns on STIX ingest.
func checkPattern(src string) error {
	_, err := pattern.Parse(src)
	return err
}
