package node

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/config"
	"github.com/liaison-dev/liaison/internal/store"
)

func newNode(t *testing.T) (string, *Node) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "n")
	if _, err := Init(t.Context(), InitOptions{Dir: dir, Party: "US", Name: "United States"}); err != nil {
		t.Fatal(err)
	}
	n, err := Open(t.Context(), dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return dir, n
}

func TestInitCreatesNodeWithPrivateKeys(t *testing.T) {
	dir, n := newNode(t)
	defer n.Close()
	for _, f := range []string{"liaison.yaml", "keys/signing.pem", "keys/encryption.pem", "tls/key.pem"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	if v, err := n.Store.SchemaVersion(t.Context()); err != nil || v < 1 {
		t.Fatalf("schema version %d, %v", v, err)
	}
	if n.Config.Listen != "127.0.0.1:8443" {
		t.Errorf("default listen = %s", n.Config.Listen)
	}
}

func TestInitRefusesExistingNodeAndChangesNothing(t *testing.T) {
	dir, n := newNode(t)
	n.Close()
	before := snapshot(t, dir)
	_, err := Init(t.Context(), InitOptions{Dir: dir, Party: "CN", Name: "China"})
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "liaison.yaml") {
		t.Fatalf("second init: %v", err)
	}
	if after := snapshot(t, dir); after != before {
		t.Fatal("init on an existing node changed files")
	}
	// A half-made directory (keys without config) is refused as well.
	os.Remove(filepath.Join(dir, config.FileName))
	if _, err := Init(t.Context(), InitOptions{Dir: dir, Party: "US", Name: "United States"}); !errors.Is(err, ErrExists) {
		t.Fatalf("init over existing keys: %v", err)
	}
}

func TestInitValidatesBeforeWriting(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "n")
	_, err := Init(t.Context(), InitOptions{Dir: dir, Party: "usa!", Name: "", Listen: "nowhere"})
	for _, f := range []string{"party", "name", "listen"} {
		if err == nil || !strings.Contains(err.Error(), f+":") {
			t.Errorf("error %v does not name %s", err, f)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("invalid init wrote files")
	}
}

func snapshot(t *testing.T, dir string) string {
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, "-wal") || strings.HasSuffix(p, "-shm") {
			return err
		}
		c, _ := os.ReadFile(p)
		b.WriteString(p + "\n" + string(c) + "\n")
		return nil
	})
	return b.String()
}

type served struct {
	n      *Node
	addr   string
	cancel context.CancelFunc
	done   chan error
}

func serve(t *testing.T, n *Node) *served {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{n: n, addr: ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- n.Serve(ctx, ln) }()
	return s
}

func client() *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
}

// startSlowPost begins a POST whose body is written by the caller, and
// returns once the handler is running: the request asks for 100-continue,
// which the server sends when the handler first reads the body. (A request
// whose headers the server has not yet read when shutdown begins is
// dropped by net/http by design; that case is not a drain.)
func startSlowPost(t *testing.T, s *served, user, pw string) (*io.PipeWriter, chan *http.Response) {
	pr, pw_ := io.Pipe()
	wrote := make(chan struct{})
	trace := &httptrace.ClientTrace{Got100Continue: func() { close(wrote) }}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "POST", "https://"+s.addr+"/api/v1/agencies", pr)
	req.SetBasicAuth(user, pw)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Expect", "100-continue")
	resp := make(chan *http.Response, 1)
	go func() {
		c := client()
		c.Transport.(*http.Transport).ExpectContinueTimeout = time.Minute
		r, err := c.Do(req)
		if err != nil {
			resp <- nil
			return
		}
		r.Body.Close()
		resp <- r
	}()
	<-wrote
	return pw_, resp
}

// waitListenerClosed returns once new connections are refused, i.e. the
// server has begun shutting down.
func waitListenerClosed(t *testing.T, addr string) {
	for range 500 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("listener still accepting after shutdown began")
}

func addAdmin(t *testing.T, n *Node) {
	if _, err := n.Directory.CreateAgency(t.Context(), "t", store.Agency{Code: "FBI", Name: "FBI", Kind: "police"}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Auth.CreateUser(t.Context(), "t", auth.NewUser{Username: "admin", DisplayName: "A", Agency: "FBI", Roles: []string{"admin"}, Password: "a long admin password"}); err != nil {
		t.Fatal(err)
	}
}

// TestShutdownDrainsInFlightWrite: a write in progress when SIGTERM
// arrives completes and commits; the server then stops.
func TestShutdownDrainsInFlightWrite(t *testing.T) {
	_, n := newNode(t)
	defer n.Close()
	addAdmin(t, n)
	s := serve(t, n)
	body, resp := startSlowPost(t, s, "admin", "a long admin password")
	io.WriteString(body, `{"code":"DRAIN","name":"Drained`)
	s.cancel()
	waitListenerClosed(t, s.addr)
	io.WriteString(body, ` agency","kind":"police"}`)
	body.Close()
	r := <-resp
	if r == nil || r.StatusCode != http.StatusCreated {
		t.Fatalf("in-flight request during drain: %+v", r)
	}
	if err := <-s.done; err != nil {
		t.Fatal(err)
	}
	if _, err := n.Store.GetAgency(t.Context(), "DRAIN"); err != nil {
		t.Fatalf("drained write not committed: %v", err)
	}
	if l, _ := n.Store.ListAudit(t.Context(), store.AuditFilter{ObjectID: "DRAIN"}); len(l) != 1 {
		t.Fatalf("drained write not audited: %v", l)
	}
}

// TestShutdownTimeoutLeavesNothingHalfWritten: a request that does not
// finish within the shutdown timeout is cut off and writes nothing.
func TestShutdownTimeoutLeavesNothingHalfWritten(t *testing.T) {
	_, n := newNode(t)
	defer n.Close()
	addAdmin(t, n)
	n.Config.ShutdownTimeout = config.Duration(100 * time.Millisecond)
	s := serve(t, n)
	body, resp := startSlowPost(t, s, "admin", "a long admin password")
	io.WriteString(body, `{"code":"HALF","name":"Half`)
	s.cancel()
	if err := <-s.done; err != nil {
		t.Fatal(err)
	}
	body.CloseWithError(errors.New("client gave up"))
	if r := <-resp; r != nil && r.StatusCode == http.StatusCreated {
		t.Fatal("request cut off by shutdown reported success")
	}
	if _, err := n.Store.GetAgency(t.Context(), "HALF"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("half-sent write reached the store: %v", err)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	_, n := newNode(t)
	defer n.Close()
	s := serve(t, n)
	defer func() { s.cancel(); <-s.done }()
	for path, want := range map[string]string{"/healthz": `"ok"`, "/readyz": `"ready"`, "/metrics": "go_goroutines"} {
		r, err := client().Get("https://" + s.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("%s: %d %.200s", path, r.StatusCode, b)
		}
	}
	// The store going away makes the node not ready.
	n.Store.Close()
	r, err := client().Get("https://" + s.addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz with a closed store: %d", r.StatusCode)
	}
}

func TestTLSIsAtLeast13(t *testing.T) {
	_, n := newNode(t)
	defer n.Close()
	s := serve(t, n)
	defer func() { s.cancel(); <-s.done }()
	_, err := tls.Dial("tcp", s.addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12})
	if err == nil {
		t.Fatal("TLS 1.2 handshake accepted")
	}
}
