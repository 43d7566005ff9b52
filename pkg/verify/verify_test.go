package verify

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	tlog "github.com/transparency-dev/formats/log"
	tnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

type vectors struct {
	LogKey     string            `json:"log_vkey"`
	Entries    []Entry           `json:"entries"`
	LeafHashes []string          `json:"leaf_hashes"`
	Roots      map[string]string `json:"roots"`
	Inclusion  []struct {
		Index, Size uint64
		Hashes      []string
	} `json:"inclusion"`
	Consistency []struct {
		Size1, Size2 uint64
		Hashes       []string
	} `json:"consistency"`
	Checkpoint string `json:"checkpoint"`
}

func unhex(t *testing.T, ss ...string) [][]byte {
	t.Helper()
	out := make([][]byte, len(ss))
	for i, s := range ss {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

// mth is RFC 6962's Merkle Tree Hash written out from section 2.1, as an
// oracle independent of the library the package uses.
func mth(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		s := sha256.Sum256(nil)
		return s[:]
	case 1:
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	s := sha256.Sum256(append(append([]byte{1}, mth(leaves[:k])...), mth(leaves[k:])...))
	return s[:]
}

func TestGoldenVectors(t *testing.T) {
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	leaves := unhex(t, v.LeafHashes...)
	for i, e := range v.Entries {
		d, err := LeafData(e)
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(append([]byte{0}, d...))
		if !bytes.Equal(s[:], leaves[i]) {
			t.Fatalf("entry %d: leaf hash %x, golden %x", i, s, leaves[i])
		}
	}
	root := func(n uint64) []byte { return unhex(t, v.Roots[strconv.FormatUint(n, 10)])[0] }
	for n := 0; n <= len(leaves); n++ {
		if got := mth(leaves[:n]); !bytes.Equal(got, root(uint64(n))) {
			t.Fatalf("root of %d leaves: RFC 6962 gives %x, golden %x", n, got, root(uint64(n)))
		}
	}
	for _, p := range v.Inclusion {
		hs := unhex(t, p.Hashes...)
		if err := VerifyInclusion(leaves[p.Index], p.Index, p.Size, hs, root(p.Size)); err != nil {
			t.Fatalf("inclusion %d in %d: %v", p.Index, p.Size, err)
		}
		if len(hs) > 0 {
			hs[0] = append([]byte(nil), hs[0]...)
			hs[0][0] ^= 1
			if err := VerifyInclusion(leaves[p.Index], p.Index, p.Size, hs, root(p.Size)); !errors.Is(err, ErrRootMismatch) {
				t.Fatalf("altered inclusion %d in %d: %v", p.Index, p.Size, err)
			}
		}
		if err := VerifyInclusion(leaves[p.Index], p.Index, p.Size, append(unhex(t, p.Hashes...), leaves[0]), root(p.Size)); !errors.Is(err, ErrMalformed) {
			t.Fatalf("too long a proof: %v", err)
		}
	}
	for _, p := range v.Consistency {
		if err := VerifyConsistency(p.Size1, p.Size2, unhex(t, p.Hashes...), root(p.Size1), root(p.Size2)); err != nil {
			t.Fatalf("consistency %d -> %d: %v", p.Size1, p.Size2, err)
		}
		if p.Size1 > 0 && p.Size1 < p.Size2 {
			other := root(p.Size1 - 1)
			if err := VerifyConsistency(p.Size1, p.Size2, unhex(t, p.Hashes...), other, root(p.Size2)); !errors.Is(err, ErrRootMismatch) {
				t.Fatalf("consistency %d -> %d from a wrong root: %v", p.Size1, p.Size2, err)
			}
		}
	}
	lv, err := NewLogVerifier(v.LogKey)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := OpenCheckpoint([]byte(v.Checkpoint), lv)
	if err != nil || cp.Size != uint64(len(leaves)) || !bytes.Equal(cp.Root, root(cp.Size)) {
		t.Fatalf("golden checkpoint: %+v, %v", cp, err)
	}
}

func key(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, 32))
}

// signer builds a note signer for an Ed25519 key through the note
// library's own key format.
func signer(t testing.TB, name string, k ed25519.PrivateKey, cosig bool) (note.Signer, string) {
	t.Helper()
	vkey, err := LogVerifierKey(name, k.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(vkey, "+", 3)
	skey := "PRIVATE+KEY+" + name + "+" + parts[1] + "+" + b64(append([]byte{1}, k.Seed()...))
	if cosig {
		s, err := tnote.NewSignerForCosignatureV1(skey)
		if err != nil {
			t.Fatal(err)
		}
		ck, _ := CosignerVerifierKey(name, k.Public().(ed25519.PublicKey))
		return s, ck
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

func b64(b []byte) string {
	enc, _ := json.Marshal(b)
	return strings.Trim(string(enc), `"`)
}

func signedCheckpoint(t testing.TB, s note.Signer, origin string, size uint64, root []byte) []byte {
	t.Helper()
	msg, err := note.Sign(&note.Note{Text: string(tlog.Checkpoint{Origin: origin, Size: size, Hash: root}.Marshal())}, s)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func TestCheckpointRoundTripAndCosignatures(t *testing.T) {
	const origin = "liaison.invalid/US/log"
	ls, lkey := signer(t, origin, key(1), false)
	ws, wkey := signer(t, "liaison.invalid/CN/witness", key(2), true)
	lv, _ := NewLogVerifier(lkey)
	wv, err := NewCosignerVerifier(wkey)
	if err != nil {
		t.Fatal(err)
	}
	root := HashLeaf([]byte("x"))
	msg := signedCheckpoint(t, ls, origin, 42, root)

	cp, err := OpenCheckpoint(msg, lv)
	if err != nil || cp.Origin != origin || cp.Size != 42 || !bytes.Equal(cp.Root, root) || len(cp.Cosigners) != 0 {
		t.Fatalf("OpenCheckpoint = %+v, %v", cp, err)
	}
	// Cosign: the witness signs the same body; its line is appended.
	n, _ := note.Open(msg, note.VerifierList(lv))
	cosigned, err := note.Sign(n, ws)
	if err != nil {
		t.Fatal(err)
	}
	cp, err = OpenCheckpoint(cosigned, lv, wv)
	if err != nil || !cp.Cosigned("liaison.invalid/CN/witness") || cp.Cosigners[0].Time.IsZero() {
		t.Fatalf("cosigned checkpoint = %+v, %v", cp, err)
	}
	// Without the witness key the cosignature is ignored, not an error.
	if cp, err := OpenCheckpoint(cosigned, lv); err != nil || cp.Cosigned("liaison.invalid/CN/witness") {
		t.Fatalf("unknown cosigner: %+v, %v", cp, err)
	}

	otherLog, otherKey := signer(t, origin, key(3), false)
	ov, _ := NewLogVerifier(otherKey)
	for name, tc := range map[string]struct {
		msg  []byte
		v    note.Verifier
		want error
	}{
		"other key":          {msg, ov, ErrSignature},
		"size edited":        {bytes.Replace(msg, []byte("\n42\n"), []byte("\n43\n"), 1), lv, ErrSignature},
		"cosignature forged": {append(append([]byte(nil), msg...), lastLine(signedCheckpoint(t, ws, origin, 41, root))...), lv, ErrSignature},
		"only a cosignature": {append([]byte(string(tlog.Checkpoint{Origin: origin, Size: 1, Hash: root}.Marshal())+"\n"), lastLine(cosigned)...), lv, ErrSignature},
		"origin not the key": {signedCheckpoint(t, mustSigner(t, "other.invalid/log", key(1)), "other.invalid/log", 1, root), lv, ErrSignature},
		"wrong origin line":  {signedCheckpoint(t, ls, "liaison.invalid/CN/log", 1, root), lv, ErrSignature},
		"short root":         {signedCheckpoint(t, ls, origin, 1, root[:31]), lv, ErrMalformed},
		"leading zero size":  {signWithText(t, ls, origin+"\n042\n"+b64(root)+"\n"), lv, ErrMalformed},
		"extension line":     {signWithText(t, ls, origin+"\n42\n"+b64(root)+"\nextra\n"), lv, ErrMalformed},
		"not a note":         {[]byte("hello"), lv, ErrMalformed},
	} {
		_, err := OpenCheckpoint(tc.msg, tc.v, wv)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
	_ = otherLog
	if _, err := OpenCheckpoint(cosigned, lv, wv); err != nil {
		t.Fatal(err)
	}
	if _, err := NewLogVerifier("garbage"); !errors.Is(err, ErrMalformed) {
		t.Fatalf("bad vkey: %v", err)
	}
}

func mustSigner(t testing.TB, name string, k ed25519.PrivateKey) note.Signer {
	s, _ := signer(t, name, k, false)
	return s
}

func signWithText(t testing.TB, s note.Signer, text string) []byte {
	msg, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func lastLine(msg []byte) []byte {
	ls := bytes.Split(bytes.TrimSuffix(msg, []byte("\n")), []byte("\n"))
	return append(ls[len(ls)-1], '\n')
}

func TestCheckAppendOnly(t *testing.T) {
	leaves := make([][]byte, 10)
	for i := range leaves {
		leaves[i] = HashLeaf([]byte{byte(i)})
	}
	cp := func(n int) *Checkpoint { return &Checkpoint{Origin: "o", Size: uint64(n), Root: mth(leaves[:n])} }
	// The consistency proof 4 -> 8 is the single node over leaves 4..7.
	proof48 := [][]byte{mth(leaves[4:8])}
	if err := CheckAppendOnly(cp(4), cp(8), proof48); err != nil {
		t.Fatalf("honest extension: %v", err)
	}
	if err := CheckAppendOnly(nil, cp(8), nil); err != nil {
		t.Fatalf("first view: %v", err)
	}
	if err := CheckAppendOnly(cp(8), cp(8), nil); err != nil {
		t.Fatalf("same view: %v", err)
	}
	if err := CheckAppendOnly(cp(8), cp(4), nil); !errors.Is(err, ErrRollback) {
		t.Fatalf("rollback: %v", err)
	}
	forked := &Checkpoint{Origin: "o", Size: 8, Root: HashLeaf([]byte("fork"))}
	if err := CheckAppendOnly(cp(8), forked, nil); !errors.Is(err, ErrFork) {
		t.Fatalf("same size, other root: %v", err)
	}
	if err := CheckAppendOnly(cp(4), forked, proof48); !errors.Is(err, ErrFork) {
		t.Fatalf("inconsistent extension: %v", err)
	}
	if err := CheckAppendOnly(cp(4), cp(8), nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("missing proof: %v", err)
	}
}

// The hashes are RFC 6962's, whatever the input length.
func TestHashesAreRFC6962(t *testing.T) {
	h := rfc6962.DefaultHasher
	for _, n := range []int{0, 1, 31, 32, 33, 255, 256, 257, 1000} {
		d := bytes.Repeat([]byte{byte(n)}, n)
		if got, want := HashLeaf(d), h.HashLeaf(d); !bytes.Equal(got, want) {
			t.Errorf("HashLeaf of %d bytes = %x, want %x", n, got, want)
		}
		l, r := d[:n/2], d[n/2:]
		if got, want := HashChildren(l, r), h.HashChildren(l, r); !bytes.Equal(got, want) {
			t.Errorf("HashChildren of %d+%d bytes = %x, want %x", len(l), len(r), got, want)
		}
	}
	e := Entry{Kind: "audit", ObjectID: "x", TimeMicros: 5, BodyHash: strings.Repeat("ab", 32)}
	d, err := LeafData(e)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := LeafHash(e); err != nil || !bytes.Equal(got, h.HashLeaf(d)) {
		t.Errorf("LeafHash = %x, %v", got, err)
	}
}
