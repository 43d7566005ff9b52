package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math/bits"
	"sync"
)

// sipHash24 is SipHash-2-4 (Aumasson and Bernstein, 2012) of m under the
// key (k0, k1): a keyed hash whose collisions cannot be found without
// the key. The STIX id tables are keyed by it, with a key of each
// database's own, so that nobody who may add objects can make many ids
// share one hash and slow every lookup of them.
func sipHash24(k0, k1 uint64, m string) uint64 {
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573
	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13)
		v1 ^= v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16)
		v3 ^= v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21)
		v3 ^= v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17)
		v1 ^= v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	n := len(m)
	for len(m) >= 8 {
		w := uint64(m[0]) | uint64(m[1])<<8 | uint64(m[2])<<16 | uint64(m[3])<<24 |
			uint64(m[4])<<32 | uint64(m[5])<<40 | uint64(m[6])<<48 | uint64(m[7])<<56
		v3 ^= w
		round()
		round()
		v0 ^= w
		m = m[8:]
	}
	last := uint64(n) << 56
	for i := range len(m) {
		last |= uint64(m[i]) << (8 * i)
	}
	v3 ^= last
	round()
	round()
	v0 ^= last
	v2 ^= 0xff
	round()
	round()
	round()
	round()
	return v0 ^ v1 ^ v2 ^ v3
}

// idKey is the database's key for hashing STIX ids, read on first use.
type idKey struct {
	mu   sync.Mutex
	hash func(id string) int64
}

// newIDKey makes a key for a new database (migration 012).
func newIDKey() []byte {
	b := make([]byte, 16)
	rand.Read(b)
	return b
}

// hasherFor returns the keyed id hash for a stored key.
func hasherFor(b []byte) (func(id string) int64, error) {
	if len(b) != 16 {
		return nil, fmt.Errorf("store: the STIX id key is %d bytes, not 16", len(b))
	}
	k0, k1 := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
	return func(id string) int64 { return int64(sipHash24(k0, k1, id)) }, nil
}

// idHasher returns the function that hashes a STIX id for the id tables.
func (q queries) idHasher(ctx context.Context) (func(id string) int64, error) {
	k := q.ids
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.hash == nil {
		var b []byte
		if err := q.row(ctx, `SELECT k FROM stix_id_key`).Scan(&b); err != nil {
			return nil, fmt.Errorf("store: the STIX id key: %w", q.mapErr(err))
		}
		h, err := hasherFor(b)
		if err != nil {
			return nil, err
		}
		k.hash = h
	}
	return k.hash, nil
}
