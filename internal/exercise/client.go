package exercise

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/store"
)

// Target is one participating party's node as the runner reaches it:
// its HTTPS API and a login per role.
type Target struct {
	Party string
	URL   string
	HTTP  *http.Client
	// Logins by role.
	Logins map[auth.Role]Login
	// Store, when set (a demo world, or a node on this host), records the
	// run and its objects at the node so they can be purged by run ID,
	// and lets the run be linked from a progress commitment.
	Store store.Store
}

// Login is a username and password, or an API token.
type Login struct {
	User     string `yaml:"user"`
	Password string `yaml:"password"`
	Token    string `yaml:"token"`
}

// PinnedClient returns an HTTPS client trusting only the certificate in
// certFile (a node's own certificate).
func PinnedClient(certFile string) (*http.Client, error) {
	pem, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", certFile)
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}}}, nil
}

// apiError is a non-2xx reply.
type apiError struct {
	Status int
	Body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("status %d: %s", e.Status, e.Body) }

func statusOf(err error) int {
	if e, ok := err.(*apiError); ok {
		return e.Status
	}
	return 0
}

// call sends an API request as role and decodes a JSON reply into out.
func (t *Target) call(ctx context.Context, role auth.Role, method, path string, body any, out any) error {
	l, ok := t.Logins[role]
	if !ok {
		return fmt.Errorf("%s: no login for role %s", t.Party, role)
	}
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/octet-stream"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(t.URL, "/")+"/api/v1"+path, rd)
	if err != nil {
		return err
	}
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if l.Token != "" {
		req.Header.Set("Authorization", "Bearer "+l.Token)
	} else {
		req.SetBasicAuth(l.User, l.Password)
	}
	resp, err := t.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		if len(b) > 400 {
			b = b[:400]
		}
		return &apiError{Status: resp.StatusCode, Body: string(b)}
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
