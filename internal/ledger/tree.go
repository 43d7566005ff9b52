package ledger

import (
	"context"
	"fmt"

	"github.com/transparency-dev/merkle/compact"

	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/pkg/verify"
)

// The tree is stored as hash tiles (the idea of C2SP tlog-tiles, at a
// smaller width): tile (L, t) holds the hashes of the nodes at height
// tileHeight*L with indexes [tileWidth*t, tileWidth*t+tileWidth), and
// only those. A node at a height in between is the root of a perfect
// subtree of at most tileWidth hashes of the tile below, recomputed on
// demand with at most tileWidth-1 hash operations. A proof in a tree of
// 2^k leaves reads about k/tileHeight+2 tiles, in one query, whatever the
// size: logarithmic, with no tree held in memory. Storage is one hash per
// leaf plus 1/15 for the upper tiles.
const (
	tileHeight = 4
	tileWidth  = 1 << tileHeight
	hashSize   = verify.HashSize
)

var rangeFactory = compact.RangeFactory{Hash: verify.HashChildren}

// tileSpan locates a node in the tiles: the tile holding the bottom of its
// subtree, the offset of the first bottom hash and their number.
func tileSpan(id compact.NodeID) (store.TileID, int, int) {
	l := id.Level / tileHeight
	r := id.Level % tileHeight
	start := id.Index << r
	return store.TileID{Level: int(l), Index: int64(start >> tileHeight)}, int(start & (tileWidth - 1)), 1 << r
}

// subtreeRoot reduces a power-of-two run of hashes to their subtree root.
func subtreeRoot(hs [][]byte) []byte {
	for len(hs) > 1 {
		next := make([][]byte, len(hs)/2)
		for i := range next {
			next[i] = verify.HashChildren(hs[2*i], hs[2*i+1])
		}
		hs = next
	}
	return hs[0]
}

// nodeHashes returns the hashes of perfect nodes ids, reading their tiles
// in one query.
func nodeHashes(ctx context.Context, q store.LedgerQueries, ids []compact.NodeID) ([][]byte, error) {
	want := make([]store.TileID, 0, len(ids))
	seen := map[store.TileID]bool{}
	for _, id := range ids {
		t, _, _ := tileSpan(id)
		if !seen[t] {
			seen[t] = true
			want = append(want, t)
		}
	}
	tiles, err := q.GetLedgerTiles(ctx, want)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(ids))
	for i, id := range ids {
		t, off, n := tileSpan(id)
		tile := tiles[t]
		if len(tile) < (off+n)*hashSize {
			return nil, fmt.Errorf("ledger: node (%d, %d) missing from tile (%d, %d): the tree is incomplete", id.Level, id.Index, t.Level, t.Index)
		}
		hs := make([][]byte, n)
		for j := range hs {
			hs[j] = tile[(off+j)*hashSize : (off+j+1)*hashSize]
		}
		out[i] = subtreeRoot(hs)
	}
	return out, nil
}

// loadRange rebuilds the compact range [0, size) from the tiles.
func loadRange(ctx context.Context, q store.LedgerQueries, size uint64) (*compact.Range, error) {
	ids := compact.RangeNodes(0, size, nil)
	hs, err := nodeHashes(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	return rangeFactory.NewRange(0, size, hs)
}

// tileWriter gathers the tile hashes an integration adds.
type tileWriter struct {
	tiles map[store.TileID][]byte
	err   error
}

// start seeds the writer with the partial tiles at the right edge of a
// tree of size leaves, which the integration will extend.
func (w *tileWriter) start(ctx context.Context, q store.LedgerQueries, size uint64) error {
	w.tiles = map[store.TileID][]byte{}
	var partial []store.TileID
	for l, n := 0, size; n > 0; l, n = l+1, n>>tileHeight {
		if n%tileWidth != 0 {
			partial = append(partial, store.TileID{Level: l, Index: int64(n / tileWidth)})
		}
	}
	got, err := q.GetLedgerTiles(ctx, partial)
	if err != nil {
		return err
	}
	for _, t := range partial {
		w.tiles[t] = append([]byte(nil), got[t]...)
	}
	return nil
}

// visit is the compact range visitor: it keeps nodes at tile heights.
func (w *tileWriter) visit(id compact.NodeID, hash []byte) {
	if id.Level%tileHeight != 0 || w.err != nil {
		return
	}
	t := store.TileID{Level: int(id.Level / tileHeight), Index: int64(id.Index >> tileHeight)}
	off := int(id.Index & (tileWidth - 1))
	if len(w.tiles[t]) != off*hashSize {
		w.err = fmt.Errorf("ledger: tile (%d, %d) holds %d hashes, node %d expected next", t.Level, t.Index, len(w.tiles[t])/hashSize, id.Index)
		return
	}
	w.tiles[t] = append(w.tiles[t], hash...)
}

// edge keeps what the next integration starts from: the range's nodes and
// the tiles at the right edge that are not full (a full tile never changes
// again).
func (w *tileWriter) edge(cp store.LedgerCheckpoint, cr *compact.Range) *edge {
	e := &edge{size: cp.Size, root: cp.Root, nodes: cr.Hashes(), tiles: map[store.TileID][]byte{}}
	for id, h := range w.tiles {
		if len(h) < tileWidth*hashSize && int64(len(h)/hashSize) == edgeTileLen(uint64(cp.Size), id) {
			e.tiles[id] = h
		}
	}
	return e
}

// edgeTileLen is how many hashes tile id holds in a tree of size leaves
// when it is the partial tile at the right edge of its level, or -1.
func edgeTileLen(size uint64, id store.TileID) int64 {
	n := size >> (tileHeight * uint(id.Level)) // nodes at this tile level
	if n%tileWidth == 0 || int64(n/tileWidth) != id.Index {
		return -1
	}
	return int64(n % tileWidth)
}
