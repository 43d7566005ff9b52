package federation

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/liaison-dev/liaison/internal/identity"
	"github.com/liaison-dev/liaison/internal/store"
)

// Prefix is where the peer endpoints live, apart from the user API.
const Prefix = "/federation/v1"

// ErrPinMismatch: the peer presented a TLS certificate other than the one
// pinned at pairing. Either the peer rotated its certificate without
// sending a signed descriptor update, or someone is in the middle.
var ErrPinMismatch = errors.New("federation: peer TLS certificate does not match the pinned fingerprint")

// PinnedTLS returns the client TLS configuration for talking to a peer:
// TLS 1.3, our certificate for mutual authentication, and the server
// accepted only if its leaf certificate has the pinned SHA-256
// fingerprint. No certificate authority is consulted: peers'
// certificates are self-signed, and the pin is the trust.
func PinnedTLS(own tls.Certificate, fingerprint string) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{own},
		// Chain verification is replaced by the pin check below, which
		// crypto/tls still runs on every handshake, resumptions included.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return ErrPinMismatch
			}
			if got := identity.CertFingerprint(cs.PeerCertificates[0].Raw); got != strings.ToLower(fingerprint) {
				return fmt.Errorf("%w: got %.16s…, pinned %.16s…", ErrPinMismatch, got, fingerprint)
			}
			return nil
		},
	}
}

// ServerTLS adjusts a node's server TLS configuration for federation: it
// asks clients for a certificate (without requiring one, since users'
// browsers and tools share the port) so that the inbox can check it
// against the pinned peer.
func ServerTLS(c *tls.Config) *tls.Config {
	c = c.Clone()
	c.ClientAuth = tls.RequestClientCert
	return c
}

// transports keeps one HTTP client per peer, rebuilt when the peer's
// endpoint or pin changes.
type transports struct {
	own     tls.Certificate
	timeout time.Duration
	mu      sync.Mutex
	clients map[string]*peerClient
}

type peerClient struct {
	key    string
	client *http.Client
}

func (t *transports) client(p store.Peer) *http.Client {
	key := p.Endpoint + "|" + p.TLSFingerprint
	t.mu.Lock()
	defer t.mu.Unlock()
	if c := t.clients[p.Party]; c != nil && c.key == key {
		return c.client
	}
	if old := t.clients[p.Party]; old != nil {
		old.client.CloseIdleConnections()
	}
	tr := &http.Transport{
		TLSClientConfig:       PinnedTLS(t.own, p.TLSFingerprint),
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: t.timeout,
		MaxIdleConnsPerHost:   Lanes + 2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     false,
	}
	c := &peerClient{key: key, client: &http.Client{Transport: tr}}
	if t.clients == nil {
		t.clients = map[string]*peerClient{}
	}
	t.clients[p.Party] = c
	return c.client
}

func (t *transports) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.clients {
		c.client.CloseIdleConnections()
	}
}

// authenticate finds the pinned peer whose TLS certificate the client
// presented.
func (s *Service) authenticate(r *http.Request) (store.Peer, *Rejection) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return store.Peer{}, reject(ReasonUnknownSender, "a TLS client certificate pinned at pairing is required", nil)
	}
	fp := identity.CertFingerprint(r.TLS.PeerCertificates[0].Raw)
	peers, err := s.st.ListPeers(r.Context())
	if err != nil {
		return store.Peer{}, reject(ReasonUnavailable, "the node cannot read its peers now", err)
	}
	for _, p := range peers {
		if p.TLSFingerprint == fp {
			return p, nil
		}
	}
	return store.Peer{}, reject(ReasonUnknownSender, "no paired peer has this TLS client certificate", fmt.Errorf("fingerprint %s", fp))
}
