// Package fedbench measures federation between two real nodes on
// loopback, against a same-run baseline of plain HTTPS POSTs committed to
// SQLite. `liaison bench federation` runs it.
package fedbench

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/liaison-dev/liaison/internal/config"
	"github.com/liaison-dev/liaison/internal/node"
)

// benchNode is a node that can be stopped and reopened in process.
type benchNode struct {
	party, dir, addr string
	log              *slog.Logger
	setup            func(*node.Node)
	N                *node.Node
	stop             context.CancelFunc
	done             chan error
}

func newBenchNode(ctx context.Context, dir, party string, log *slog.Logger, setup func(*node.Node)) (*benchNode, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	b := &benchNode{party: party, dir: filepath.Join(dir, party), addr: addr, log: log, setup: setup}
	if _, err := node.Init(ctx, node.InitOptions{Dir: b.dir, Party: party, Name: "Bench " + party, Listen: addr}); err != nil {
		return nil, err
	}
	return b, b.open(ctx)
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func (b *benchNode) open(ctx context.Context) error {
	n, err := node.Open(ctx, b.dir, b.log)
	if err != nil {
		return err
	}
	n.Config.ShutdownTimeout = config.Duration(100 * time.Millisecond)
	b.N = n
	if b.setup != nil {
		b.setup(n)
	}
	return nil
}

func (b *benchNode) serve() error {
	var ln net.Listener
	var err error
	for range 100 {
		if ln, err = net.Listen("tcp", b.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.stop, b.done = cancel, make(chan error, 1)
	go func() { b.done <- b.N.Serve(ctx, ln) }()
	return nil
}

// kill stops serving after a very short drain and closes the store.
func (b *benchNode) kill() {
	if b.stop != nil {
		b.stop()
		<-b.done
		b.stop = nil
	}
	b.N.Close()
}

func (b *benchNode) restart(ctx context.Context) error {
	b.kill()
	if err := b.open(ctx); err != nil {
		return err
	}
	return b.serve()
}

// pair pins each node in the other; a reaches b at endpoint if not empty.
func pair(ctx context.Context, a, b *benchNode, endpoint string) error {
	da, err := a.N.Descriptor(ctx)
	if err != nil {
		return err
	}
	db, err := b.N.Descriptor(ctx)
	if err != nil {
		return err
	}
	if _, err := b.N.Peers.Add(ctx, "bench", da); err != nil {
		return fmt.Errorf("pair: %w", err)
	}
	if _, err := a.N.Peers.Add(ctx, "bench", db); err != nil {
		return fmt.Errorf("pair: %w", err)
	}
	if endpoint != "" {
		p, err := a.N.Store.GetPeer(ctx, b.party)
		if err != nil {
			return err
		}
		p.Endpoint = endpoint
		return a.N.Store.UpsertPeer(ctx, p)
	}
	return nil
}
