package demo

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
)

// Client talks to one demo node over HTTPS, trusting only that node's own
// certificate — the same pinning a peer or an operator's tool does.
type Client struct {
	Base string
	HTTP *http.Client
	// Auth is applied to every request: a bearer token or basic login.
	Token, User, Password string
}

// NewClient returns a client for r that trusts r's certificate file.
func NewClient(r *Running) (*Client, error) {
	pem, err := os.ReadFile(r.Node.Config.Path(r.Node.Config.TLS.Cert))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no certificate in %s", r.Party.Code, r.Node.Config.TLS.Cert)
	}
	return &Client{Base: r.URL(), HTTP: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13},
	}}}, nil
}

// As returns a copy of c that logs in as user with the demo password.
func (c *Client) As(user string) *Client {
	cp := *c
	cp.User, cp.Password, cp.Token = user, Password, ""
	return &cp
}

// WithToken returns a copy of c that sends an API token.
func (c *Client) WithToken(tok string) *Client {
	cp := *c
	cp.Token, cp.User, cp.Password = tok, "", ""
	return &cp
}

// Response is a decoded reply.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r *Response) JSON(v any) error { return json.Unmarshal(r.Body, v) }

// Do sends a request; body may be nil, a []byte/string (sent as is) or a
// value encoded as JSON.
func (c *Client) Do(ctx context.Context, method, path string, body any) (*Response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case c.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.Token)
	case c.User != "":
		req.SetBasicAuth(c.User, c.Password)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// doTAXII sends a TAXII 2.1 request (its media type in Accept and, with a
// body, Content-Type).
func (c *Client) doTAXII(ctx context.Context, method, path, body string) (*Response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", taxiiMedia)
	if body != "" {
		req.Header.Set("Content-Type", taxiiMedia)
	}
	req.SetBasicAuth(c.User, c.Password)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, err
}

// Expect sends a request and fails unless the status is want; it decodes a
// JSON reply into out when out is not nil.
func (c *Client) Expect(ctx context.Context, want int, method, path string, body, out any) (*Response, error) {
	r, err := c.Do(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	if r.Status != want {
		return r, fmt.Errorf("%s %s: status %d, want %d: %s", method, path, r.Status, want, truncate(r.Body))
	}
	if out != nil {
		if err := r.JSON(out); err != nil {
			return r, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return r, nil
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}
