// Package faultproxy is a TCP proxy that injects network faults between
// two nodes on loopback: delays, dropped connections (so that requests
// are processed but their answers lost, which makes the sender deliver
// duplicates), connection resets, reordering of connections, and outages.
// The federation tests and `liaison bench federation --faults` use it. It
// works below TLS, so the nodes' mutual TLS runs through it unchanged.
package faultproxy

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Faults are per-chunk probabilities (each read from either side is a
// chunk) and bounds.
type Faults struct {
	// Drop closes both sides of the connection at a chunk, cleanly.
	Drop float64
	// Reset aborts both sides with a TCP RST at a chunk.
	Reset float64
	// Delay holds a chunk for up to MaxDelay.
	Delay    float64
	MaxDelay time.Duration
	// Reorder holds a new connection for up to MaxDelay before it is
	// forwarded, so that later connections overtake it.
	Reorder float64
}

// Stats count the faults injected.
type Stats struct {
	Conns, Drops, Resets, Delays, Reorders int64
}

// Proxy forwards connections from its listener to Upstream.
type Proxy struct {
	Upstream string
	ln       net.Listener
	mu       sync.Mutex
	faults   Faults
	down     bool
	rnd      *rand.Rand
	conns    map[net.Conn]bool
	stats    struct{ conns, drops, resets, delays, reorders atomic.Int64 }
	wg       sync.WaitGroup
}

// Start listens on a free loopback port and forwards to upstream.
func Start(upstream string, f Faults, seed uint64) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{Upstream: upstream, ln: ln, faults: f, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's listening address.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetFaults changes the faults for new chunks.
func (p *Proxy) SetFaults(f Faults) {
	p.mu.Lock()
	p.faults = f
	p.mu.Unlock()
}

// SetDown makes the proxy refuse (reset) every connection while down, and
// resets the open ones, as if the upstream machine had vanished.
func (p *Proxy) SetDown(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
	if down {
		p.ResetAll()
	}
}

// ResetAll aborts every open connection.
func (p *Proxy) ResetAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		abort(c)
	}
}

// Stats returns the faults injected so far.
func (p *Proxy) Stats() Stats {
	return Stats{Conns: p.stats.conns.Load(), Drops: p.stats.drops.Load(), Resets: p.stats.resets.Load(),
		Delays: p.stats.delays.Load(), Reorders: p.stats.reorders.Load()}
}

// Close stops the proxy and aborts its connections.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.ResetAll()
	p.wg.Wait()
	return err
}

func (p *Proxy) roll() (f Faults, x float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults, p.rnd.Float64()
}

func (p *Proxy) delay(max time.Duration) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if max <= 0 {
		return 0
	}
	return time.Duration(p.rnd.Int64N(int64(max)))
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.handle(c)
		}()
	}
}

func (p *Proxy) track(c net.Conn, on bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on && p.down {
		return false
	}
	if on {
		p.conns[c] = true
	} else {
		delete(p.conns, c)
	}
	return true
}

func (p *Proxy) handle(client net.Conn) {
	p.stats.conns.Add(1)
	if !p.track(client, true) {
		abort(client)
		return
	}
	defer p.track(client, false)
	if f, x := p.roll(); x < f.Reorder {
		p.stats.reorders.Add(1)
		time.Sleep(p.delay(f.MaxDelay))
	}
	upstream, err := net.DialTimeout("tcp", p.Upstream, 5*time.Second)
	if err != nil {
		abort(client)
		return
	}
	if !p.track(upstream, true) {
		abort(client)
		abort(upstream)
		return
	}
	defer p.track(upstream, false)
	var once sync.Once
	kill := func(reset bool) {
		once.Do(func() {
			if reset {
				abort(client)
				abort(upstream)
			} else {
				client.Close()
				upstream.Close()
			}
		})
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(upstream, client, kill) }()
	go func() { defer wg.Done(); p.pipe(client, upstream, kill) }()
	wg.Wait()
	kill(false)
}

// pipe copies src to dst chunk by chunk, injecting faults.
func (p *Proxy) pipe(dst, src net.Conn, kill func(reset bool)) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			f, x := p.roll()
			switch {
			case x < f.Drop:
				p.stats.drops.Add(1)
				kill(false)
				return
			case x < f.Drop+f.Reset:
				p.stats.resets.Add(1)
				kill(true)
				return
			case x < f.Drop+f.Reset+f.Delay:
				p.stats.delays.Add(1)
				time.Sleep(p.delay(f.MaxDelay))
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				kill(false)
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				// Half-close: pass the end of stream on.
				if tc, ok := dst.(*net.TCPConn); ok {
					tc.CloseWrite()
					return
				}
			}
			kill(false)
			return
		}
	}
}

// abort closes c with a TCP RST instead of a FIN.
func abort(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
