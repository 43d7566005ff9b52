package ledger

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	tlog "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/pkg/verify"
)

// IntegrateBatch is how many entries one integration transaction adds to
// the tree; a backlog larger than this is integrated in several.
const IntegrateBatch = 65536

// ErrNotIntegrated: the entry exists but no checkpoint covers it yet; call
// Checkpoint first.
var ErrNotIntegrated = errors.New("ledger: entry not yet in a checkpoint")

// Log is the node's own log, with the node's keys.
type Log struct {
	store    store.Store
	clock    clock.Clock
	origin   string
	signer   note.Signer
	verifier note.Verifier
	cosigner note.Signer
	vkey     string
	ckey     string
	log      *slog.Logger
	notify   func(ctx context.Context, q store.Queries, a store.LedgerAlarm) error

	// cur caches the latest checkpoint with its cosignatures for proofs;
	// it is refreshed when older than curTTL, when this Log makes a
	// checkpoint or stores a cosignature, and when asked for an entry
	// beyond it (another instance may have checkpointed since).
	mu  sync.Mutex
	cur *latest
	// edge is the right edge of the tree at the last checkpoint this Log
	// made: integrating the next entries starts from it instead of reading
	// it back, when that checkpoint is still the latest.
	edge *edge
}

// edge is the tree of a checkpoint as integration needs it: the compact
// range of its leaves and its partial tiles.
type edge struct {
	size  int64
	root  []byte
	nodes [][]byte
	tiles map[store.TileID][]byte
}

type latest struct {
	cp     store.LedgerCheckpoint
	note   []byte
	loaded time.Time
}

const curTTL = time.Second

// current returns the latest checkpoint and its cosigned note, covering
// index when the log does.
func (l *Log) current(ctx context.Context, index int64) (store.LedgerCheckpoint, []byte, error) {
	l.mu.Lock()
	c := l.cur
	l.mu.Unlock()
	if c != nil && index < c.cp.Size && time.Since(c.loaded) < curTTL {
		return c.cp, c.note, nil
	}
	cp, err := l.store.LatestLedgerCheckpoint(ctx)
	if err != nil {
		return cp, nil, err
	}
	n, err := l.CosignedNote(ctx, l.store, cp)
	if err != nil {
		return cp, nil, err
	}
	l.mu.Lock()
	l.cur = &latest{cp: cp, note: n, loaded: time.Now()}
	l.mu.Unlock()
	return cp, n, nil
}

func (l *Log) forget() {
	l.mu.Lock()
	l.cur = nil
	l.mu.Unlock()
}

// Config is what a Log needs.
type Config struct {
	Store store.Store
	Clock clock.Clock
	// Party names the log: its origin is Origin(Party).
	Party string
	// Key is the node's Ed25519 signing key (identity.Identity.Signer).
	Key ed25519.PrivateKey
	// Logger receives alarms; nil discards them.
	Logger *slog.Logger
	// Notify, when set, raises a recorded alarm to people (the node writes
	// notices for supervisors and auditors). It runs in the transaction
	// that records the alarm.
	Notify func(ctx context.Context, q store.Queries, a store.LedgerAlarm) error
}

// New opens the log.
func New(c Config) (*Log, error) {
	if c.Store == nil || c.Clock == nil || c.Party == "" || len(c.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("ledger: store, clock, party and an Ed25519 key are required")
	}
	l := &Log{store: c.Store, clock: c.Clock, origin: Origin(c.Party), log: c.Logger, notify: c.Notify}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if l.signer, err = NewLogSigner(l.origin, c.Key); err != nil {
		return nil, err
	}
	if l.vkey, err = verify.LogVerifierKey(l.origin, c.Key.Public().(ed25519.PublicKey)); err != nil {
		return nil, err
	}
	if l.verifier, err = verify.NewLogVerifier(l.vkey); err != nil {
		return nil, err
	}
	if l.cosigner, err = NewCosigner(CosignerName(c.Party), c.Key); err != nil {
		return nil, err
	}
	if l.ckey, err = CosignerVerifierKey(c.Party, c.Key.Public().(ed25519.PublicKey)); err != nil {
		return nil, err
	}
	return l, nil
}

// Origin is the log's checkpoint origin.
func (l *Log) Origin() string { return l.origin }

// VerifierKey is the vkey that checks this log's checkpoints.
func (l *Log) VerifierKey() string { return l.vkey }

// CosignerKey is the vkey that checks this node's cosignatures of its
// peers' checkpoints.
func (l *Log) CosignerKey() string { return l.ckey }

// Verifier checks this log's checkpoints.
func (l *Log) Verifier() note.Verifier { return l.verifier }

// Checkpoint integrates every entry appended so far into the tree and
// returns a signed checkpoint of the whole log. When nothing was appended
// since the last checkpoint, that one is returned.
func (l *Log) Checkpoint(ctx context.Context) (store.LedgerCheckpoint, error) {
	for {
		var cp store.LedgerCheckpoint
		var e *edge
		more := false
		err := l.store.InTx(ctx, func(q store.Queries) error {
			var err error
			cp, e, more, err = l.integrate(ctx, q, IntegrateBatch)
			return err
		})
		l.mu.Lock()
		if err == nil {
			l.edge = e
		}
		l.mu.Unlock()
		if err != nil || !more {
			l.forget()
			return cp, err
		}
	}
}

// start returns the compact range and partial tiles of the tree of
// checkpoint prev: the ones this Log kept if prev is the checkpoint it made
// last, otherwise read from the tiles.
func (l *Log) start(ctx context.Context, q store.Queries, prev store.LedgerCheckpoint) (*compact.Range, tileWriter, error) {
	from := uint64(max64(prev.Size, 0))
	l.mu.Lock()
	e := l.edge
	l.mu.Unlock()
	var w tileWriter
	if e != nil && e.size == prev.Size && bytes.Equal(e.root, prev.Root) {
		cr, err := rangeFactory.NewRange(0, from, slices.Clone(e.nodes))
		if err != nil {
			return nil, w, err
		}
		w.tiles = make(map[store.TileID][]byte, len(e.tiles)+tileWidth)
		for id, h := range e.tiles {
			w.tiles[id] = slices.Clone(h)
		}
		return cr, w, nil
	}
	cr, err := loadRange(ctx, q, from)
	if err != nil {
		return nil, w, err
	}
	return cr, w, w.start(ctx, q, from)
}

// integrate adds up to max pending entries to the tree and signs a
// checkpoint for the new size. more says whether entries remain; the edge
// is the new tree's, for the next integration once this one is committed.
func (l *Log) integrate(ctx context.Context, q store.Queries, max int64) (store.LedgerCheckpoint, *edge, bool, error) {
	if err := q.SerializeLedgerIntegration(ctx); err != nil {
		return store.LedgerCheckpoint{}, nil, false, err
	}
	prev, err := q.LatestLedgerCheckpoint(ctx)
	if errors.Is(err, store.ErrNotFound) {
		prev, err = store.LedgerCheckpoint{Size: -1}, nil
	}
	if err != nil {
		return prev, nil, false, err
	}
	total, err := q.LedgerSize(ctx)
	if err != nil {
		return prev, nil, false, err
	}
	from := max64(prev.Size, 0)
	if total == from && prev.Size >= 0 {
		return prev, nil, false, nil
	}
	if total < from {
		return prev, nil, false, fmt.Errorf("ledger: %d entries but a checkpoint of size %d: entries were removed", total, from)
	}
	to := min(total, from+max)
	cr, w, err := l.start(ctx, q, prev)
	if err != nil {
		return prev, nil, false, err
	}
	for next := from; next < to; {
		rows, err := q.ListLedgerLeaves(ctx, next, to, store.MaxLedgerPage)
		if err != nil {
			return prev, nil, false, err
		}
		if len(rows) == 0 {
			return prev, nil, false, fmt.Errorf("ledger: entry %d missing", next)
		}
		for _, r := range rows {
			if r.Index != next {
				return prev, nil, false, fmt.Errorf("ledger: entry %d missing", next)
			}
			leaf, err := verify.LeafHash(toVerify(r)) // r has no body: its hash is what the leaf holds
			if err != nil {
				return prev, nil, false, err
			}
			if err := cr.Append(leaf, w.visit); err != nil {
				return prev, nil, false, err
			}
			next++
		}
	}
	cp, e, err := l.finish(ctx, q, cr, &w)
	return cp, e, to < total, err
}

// finish writes the tiles an integration extended and the signed
// checkpoint of the range's tree.
func (l *Log) finish(ctx context.Context, q store.Queries, cr *compact.Range, w *tileWriter) (store.LedgerCheckpoint, *edge, error) {
	if w.err != nil {
		return store.LedgerCheckpoint{}, nil, w.err
	}
	if err := q.PutLedgerTiles(ctx, w.tiles); err != nil {
		return store.LedgerCheckpoint{}, nil, err
	}
	root, err := cr.GetRootHash(nil)
	if err != nil {
		return store.LedgerCheckpoint{}, nil, err
	}
	if root == nil {
		root = verify.EmptyRoot()
	}
	cp, err := l.sign(cr.End(), root)
	if err != nil {
		return cp, nil, err
	}
	if err := q.AddLedgerCheckpoint(ctx, cp); err != nil {
		return cp, nil, err
	}
	return cp, w.edge(cp, cr), nil
}

// loadBatch is a chunk of entries ready for Log.load: their rows and leaf
// hashes.
type loadBatch struct {
	rows   []store.LedgerEntry
	leaves [][]byte
}

// prepareLoad checks es and hashes their leaves.
func prepareLoad(es []Entry) (loadBatch, error) {
	b := loadBatch{rows: make([]store.LedgerEntry, len(es)), leaves: make([][]byte, len(es))}
	for i, e := range es {
		r, err := toRow(e)
		if err != nil {
			return b, err
		}
		b.rows[i] = r
		if b.leaves[i], err = verify.LeafHash(toVerify(store.LedgerEntry{Kind: r.Kind, ObjectID: r.ObjectID, At: r.At,
			Exercise: r.Exercise, BodyHash: r.BodyHash})); err != nil {
			return b, err
		}
	}
	return b, nil
}

// load appends a prepared batch and integrates it in one transaction,
// from the leaf hashes computed beforehand instead of reading the entries
// back: the bulk path that builds a large log (the benchmark's). Every
// entry appended before must already be integrated.
func (l *Log) load(ctx context.Context, b loadBatch) (store.LedgerCheckpoint, error) {
	var cp store.LedgerCheckpoint
	var e *edge
	err := l.store.InTx(ctx, func(q store.Queries) error {
		if err := q.SerializeLedgerIntegration(ctx); err != nil {
			return err
		}
		prev, err := q.LatestLedgerCheckpoint(ctx)
		if errors.Is(err, store.ErrNotFound) {
			prev, err = store.LedgerCheckpoint{Size: -1}, nil
		}
		if err != nil {
			return err
		}
		first, err := q.AppendLedger(ctx, b.rows)
		if err != nil {
			return err
		}
		if first != max64(prev.Size, 0) {
			return fmt.Errorf("ledger: load: %d entries not yet integrated", first-max64(prev.Size, 0))
		}
		cr, w, err := l.start(ctx, q, prev)
		if err != nil {
			return err
		}
		for _, leaf := range b.leaves {
			if err := cr.Append(leaf, w.visit); err != nil {
				return err
			}
		}
		cp, e, err = l.finish(ctx, q, cr, &w)
		return err
	})
	l.mu.Lock()
	if err == nil {
		l.edge = e
	}
	l.mu.Unlock()
	l.forget()
	return cp, err
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// sign makes the signed checkpoint note for size and root.
func (l *Log) sign(size uint64, root []byte) (store.LedgerCheckpoint, error) {
	body := tlog.Checkpoint{Origin: l.origin, Size: size, Hash: root}.Marshal()
	msg, err := note.Sign(&note.Note{Text: string(body)}, l.signer)
	if err != nil {
		return store.LedgerCheckpoint{}, fmt.Errorf("ledger: sign checkpoint: %w", err)
	}
	return store.LedgerCheckpoint{Size: int64(size), Root: root, At: l.clock.Now(), Note: msg}, nil
}

// Latest returns the latest checkpoint without integrating anything new.
func (l *Log) Latest(ctx context.Context) (store.LedgerCheckpoint, error) {
	return l.store.LatestLedgerCheckpoint(ctx)
}

// CosignedNote returns the checkpoint note of size with every cosignature
// peers have given it appended (C2SP signed-note: one signature line each).
func (l *Log) CosignedNote(ctx context.Context, q store.LedgerQueries, cp store.LedgerCheckpoint) ([]byte, error) {
	sigs, err := q.ListLedgerCosignatures(ctx, cp.Size)
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), cp.Note...)
	for _, s := range sigs {
		out = append(out, s.Signature...)
	}
	return out, nil
}

// Prove returns an inclusion proof of entry index under the latest
// checkpoint, with that checkpoint's cosignatures. ErrNotIntegrated means
// the entry is newer than the checkpoint; ErrNotFound that it does not
// exist.
func (l *Log) Prove(ctx context.Context, index uint64) (*verify.InclusionProof, error) {
	cp, n, err := l.current(ctx, int64(index))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrNotIntegrated
		}
		return nil, err
	}
	rows, err := l.store.ListLedger(ctx, int64(index), int64(index)+1, 1)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, store.ErrNotFound
	}
	return l.proveRow(ctx, cp, n, rows[0])
}

// ProveObject returns an inclusion proof for every entry recorded for
// objectID (at most limit), under the latest checkpoint.
func (l *Log) ProveObject(ctx context.Context, objectID string, limit int) ([]*verify.InclusionProof, error) {
	rows, err := l.store.LedgerByObject(ctx, objectID, limit)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, store.ErrNotFound
	}
	cp, n, err := l.current(ctx, rows[len(rows)-1].Index)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrNotIntegrated
		}
		return nil, err
	}
	var out []*verify.InclusionProof
	for _, r := range rows {
		p, err := l.proveRow(ctx, cp, n, r)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (l *Log) proveRow(ctx context.Context, cp store.LedgerCheckpoint, note []byte, r store.LedgerEntry) (*verify.InclusionProof, error) {
	if r.Index >= cp.Size {
		return nil, fmt.Errorf("%w: entry %d, checkpoint size %d", ErrNotIntegrated, r.Index, cp.Size)
	}
	hs, err := l.InclusionHashes(ctx, l.store, uint64(r.Index), uint64(cp.Size))
	if err != nil {
		return nil, err
	}
	return &verify.InclusionProof{Entry: toVerify(r), Size: uint64(cp.Size), Hashes: hs, Checkpoint: string(note)}, nil
}

// InclusionHashes returns the inclusion proof of leaf index in the tree of
// size. Requires index < size <= the integrated size.
func (l *Log) InclusionHashes(ctx context.Context, q store.LedgerQueries, index, size uint64) ([][]byte, error) {
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	hs, err := nodeHashes(ctx, q, nodes.IDs)
	if err != nil {
		return nil, err
	}
	return nodes.Rehash(hs, verify.HashChildren)
}

// ConsistencyHashes returns the consistency proof from the tree of size1
// to the tree of size2. Requires size1 <= size2 <= the integrated size.
func (l *Log) ConsistencyHashes(ctx context.Context, size1, size2 uint64) ([][]byte, error) {
	latest, err := l.store.LatestLedgerCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	if size2 > uint64(latest.Size) {
		return nil, fmt.Errorf("%w: size %d, checkpoint size %d", ErrNotIntegrated, size2, latest.Size)
	}
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	hs, err := nodeHashes(ctx, l.store, nodes.IDs)
	if err != nil {
		return nil, err
	}
	return nodes.Rehash(hs, verify.HashChildren)
}

// Export checkpoints the log and writes all of it, up to that checkpoint,
// in the export format of pkg/verify. It returns the export's header.
func (l *Log) Export(ctx context.Context, w io.Writer) (verify.Header, error) {
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		return verify.Header{}, err
	}
	n, err := l.CosignedNote(ctx, l.store, cp)
	if err != nil {
		return verify.Header{}, err
	}
	h := verify.Header{Origin: l.origin, Size: uint64(cp.Size), Checkpoint: string(n)}
	xw, err := verify.NewExportWriter(w, h)
	if err != nil {
		return h, err
	}
	for next := int64(0); next < cp.Size; {
		rows, err := l.store.ListLedger(ctx, next, cp.Size, store.MaxLedgerPage)
		if err != nil {
			return h, err
		}
		if len(rows) == 0 {
			return h, fmt.Errorf("ledger: entry %d missing", next)
		}
		for _, r := range rows {
			if err := xw.Write(toVerify(r)); err != nil {
				return h, err
			}
		}
		next = rows[len(rows)-1].Index + 1
	}
	h.Format = verify.ExportFormat
	return h, xw.Close()
}

// AddCosignature stores a peer's cosignature (one signed-note signature
// line) on our checkpoint of size, after checking it with the peer's
// cosigner key. A cosignature on a checkpoint we do not have, for a size
// beyond ours, means this node went back in time (restored from an old
// backup): it is raised as a rollback alarm.
func (l *Log) AddCosignature(ctx context.Context, size uint64, sigLine string, witness note.Verifier) error {
	var alarm *store.LedgerAlarm
	err := l.store.InTx(ctx, func(q store.Queries) error {
		var err error
		alarm, err = l.addCosignature(ctx, q, size, sigLine, witness)
		return err
	})
	if alarm != nil {
		l.alarm(ctx, *alarm)
	}
	l.forget()
	return err
}

// AddCosignatureTx is AddCosignature inside the caller's transaction (a
// federation handler's); a rollback alarm is recorded through q, so the
// caller must commit q even when the error is verify.ErrRollback.
func (l *Log) AddCosignatureTx(ctx context.Context, q store.Queries, size uint64, sigLine string, witness note.Verifier) error {
	alarm, err := l.addCosignature(ctx, q, size, sigLine, witness)
	if alarm != nil {
		if aerr := l.alarmTx(ctx, q, *alarm); aerr != nil {
			return aerr
		}
	}
	l.forget()
	return err
}

func (l *Log) addCosignature(ctx context.Context, q store.Queries, size uint64, sigLine string, witness note.Verifier) (*store.LedgerAlarm, error) {
	sigLine = strings.TrimRight(sigLine, "\n") + "\n"
	cp, err := q.GetLedgerCheckpoint(ctx, int64(size))
	if errors.Is(err, store.ErrNotFound) {
		if a, rerr := l.rolledBack(ctx, q, size, witness.Name(), []byte(sigLine)); a != nil {
			return a, rerr
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	msg := append(append([]byte(nil), cp.Note...), sigLine...)
	vcp, err := verify.OpenCheckpoint(msg, l.verifier, witness)
	if err != nil {
		return nil, err
	}
	if !vcp.Cosigned(witness.Name()) {
		return nil, fmt.Errorf("%w: no cosignature by %s", verify.ErrSignature, witness.Name())
	}
	have, err := q.ListLedgerCosignatures(ctx, int64(size))
	if err != nil {
		return nil, err
	}
	for _, h := range have {
		if h.Cosigner == witness.Name() {
			return nil, nil // already have one from this witness
		}
	}
	return nil, q.AddLedgerCosignature(ctx, store.LedgerCosignature{Size: int64(size), Cosigner: witness.Name(), Signature: sigLine, At: l.clock.Now()})
}

// rolledBack checks a size a peer says it saw of our log against our
// latest checkpoint: beyond it, this node went back in time (restored from
// an old backup) and the returned alarm says so, with verify.ErrRollback.
func (l *Log) rolledBack(ctx context.Context, q store.Queries, size uint64, who string, evidence []byte) (*store.LedgerAlarm, error) {
	latest, err := q.LatestLedgerCheckpoint(ctx)
	if errors.Is(err, store.ErrNotFound) {
		latest, err = store.LedgerCheckpoint{}, nil
	}
	if err != nil || int64(size) <= latest.Size {
		return nil, err
	}
	return &store.LedgerAlarm{Origin: l.origin, Kind: AlarmRollback,
			Detail: fmt.Sprintf("%s saw our checkpoint of size %d; our log has %d entries", who, size, latest.Size), Evidence: evidence},
		fmt.Errorf("%w: %s saw our log at size %d, we are at %d", verify.ErrRollback, who, size, latest.Size)
}

// RolledBackTx raises a rollback alarm through q when a peer reports having
// seen our log at a size beyond our latest checkpoint.
func (l *Log) RolledBackTx(ctx context.Context, q store.Queries, size uint64, who string, evidence []byte) error {
	a, err := l.rolledBack(ctx, q, size, who, evidence)
	if a != nil {
		if aerr := l.alarmTx(ctx, q, *a); aerr != nil {
			return aerr
		}
	}
	return err
}

// sigLine extracts the last signature line of a signed note.
func lastSigLine(msg []byte) (string, error) {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return "", errors.New("ledger: not a signed note")
	}
	lines := strings.Split(strings.TrimRight(string(msg[i+2:]), "\n"), "\n")
	return lines[len(lines)-1] + "\n", nil
}
