package envelope

import (
	"bytes"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func sealStream(t *testing.T, plaintext []byte, pub hpke.PublicKey, info []byte) ([]byte, []byte, Digest) {
	t.Helper()
	var ct bytes.Buffer
	enc, d, err := SealStream(&ct, bytes.NewReader(plaintext), pub, info)
	if err != nil {
		t.Fatalf("SealStream: %v", err)
	}
	return enc, ct.Bytes(), d
}

func TestStreamRoundTrip(t *testing.T) {
	de := newParty(t, "DE", 2)
	info := AttachmentInfo(NewID(), 0)
	big := make([]byte, 5<<20+123)
	rand.Read(big)
	tests := []struct {
		name   string
		size   int
		chunks int
	}{
		{"empty", 0, 1},
		{"one byte", 1, 1},
		{"one chunk less one", StreamChunkSize - 1, 1},
		{"exactly one chunk", StreamChunkSize, 1},
		{"one chunk plus one", StreamChunkSize + 1, 2},
		{"exactly three chunks", 3 * StreamChunkSize, 3},
		{"five megabytes", len(big), len(big)/StreamChunkSize + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pt := big[:tt.size]
			enc, ct, sd := sealStream(t, pt, de.encPub, info)
			if want := tt.size + tt.chunks*(frameHeaderSize+aeadOverhead); len(ct) != want {
				t.Errorf("ciphertext is %d bytes, want %d (%d chunks)", len(ct), want, tt.chunks)
			}
			sum := sha256.Sum256(pt)
			want := Digest{Size: int64(tt.size), SHA256: hex.EncodeToString(sum[:])}
			if sd != want {
				t.Errorf("SealStream digest = %+v, want %+v", sd, want)
			}
			var out bytes.Buffer
			// A reader returning one byte at a time exercises short reads.
			od, err := OpenStream(&out, iotest.OneByteReader(bytes.NewReader(ct)), de.encKey, enc, info)
			if err != nil {
				t.Fatalf("OpenStream: %v", err)
			}
			if od != want || !od.Matches(AttachmentRef{Name: "f", Size: want.Size, SHA256: want.SHA256}) {
				t.Errorf("OpenStream digest = %+v, want %+v", od, want)
			}
			if !bytes.Equal(out.Bytes(), pt) {
				t.Error("plaintext differs after a round trip")
			}
		})
	}
}

// TestStreamSealShortReads checks chunking does not depend on how the
// input reader splits its data.
func TestStreamSealShortReads(t *testing.T) {
	de := newParty(t, "DE", 2)
	pt := make([]byte, 2*StreamChunkSize)
	rand.Read(pt)
	var ct bytes.Buffer
	enc, _, err := SealStream(&ct, iotest.HalfReader(bytes.NewReader(pt)), de.encPub, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(pt) + 2*(frameHeaderSize+aeadOverhead); ct.Len() != want {
		t.Errorf("ciphertext is %d bytes, want %d", ct.Len(), want)
	}
	var out bytes.Buffer
	if _, err := OpenStream(&out, &ct, de.encKey, enc, nil); err != nil || !bytes.Equal(out.Bytes(), pt) {
		t.Errorf("OpenStream = %v", err)
	}
}

// frames splits a sealed stream into its frames.
func frames(t *testing.T, ct []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(ct) > 0 {
		n := frameHeaderSize + int(binary.BigEndian.Uint32(ct[1:5]))
		out = append(out, ct[:n])
		ct = ct[n:]
	}
	return out
}

func TestStreamTamper(t *testing.T) {
	de, cn := newParty(t, "DE", 2), newParty(t, "CN", 3)
	info := []byte("attachment 0")
	pt := make([]byte, 3*StreamChunkSize+100)
	rand.Read(pt)
	enc, ct, _ := sealStream(t, pt, de.encPub, info)
	fs := frames(t, ct)
	if len(fs) != 4 {
		t.Fatalf("got %d frames, want 4", len(fs))
	}
	join := func(fs ...[]byte) []byte { return bytes.Join(fs, nil) }
	flip := func(b []byte, i int) []byte {
		b = bytes.Clone(b)
		b[i] ^= 1
		return b
	}
	// A full chunk re-sealed as final, as if the stream had ended there.
	_, oneChunk, _ := sealStream(t, pt[:StreamChunkSize], de.encPub, info)

	tests := []struct {
		name string
		ct   []byte
		key  hpke.PrivateKey
		enc  []byte
		info []byte
		want error
	}{
		{name: "truncated at chunk boundary", ct: join(fs[0], fs[1]), want: ErrMalformed},
		{name: "truncated inside a chunk", ct: ct[:len(ct)-10], want: ErrMalformed},
		{name: "truncated inside a frame header", ct: ct[:len(fs[0])+3], want: ErrMalformed},
		{name: "nothing at all", ct: nil, want: ErrMalformed},
		{name: "chunks reordered", ct: join(fs[1], fs[0], fs[2], fs[3]), want: ErrDecrypt},
		{name: "chunk repeated", ct: join(fs[0], fs[0], fs[1], fs[2], fs[3]), want: ErrDecrypt},
		{name: "chunk dropped", ct: join(fs[0], fs[2], fs[3]), want: ErrDecrypt},
		{name: "final flag set early", ct: join(flip(fs[0], 0)), want: ErrDecrypt},
		{name: "final flag cleared", ct: join(fs[0], fs[1], fs[2], flip(fs[3], 0)), want: ErrMalformed},
		{name: "bad flag", ct: join(flip(fs[0], 0)[:1], []byte{7}, fs[0][1:]), want: ErrMalformed},
		{name: "bit flip in ciphertext", ct: join(fs[0], flip(fs[1], 100), fs[2], fs[3]), want: ErrDecrypt},
		{name: "bit flip in tag", ct: join(fs[0], fs[1], fs[2], flip(fs[3], len(fs[3])-1)), want: ErrDecrypt},
		{name: "bit flip in length", ct: join(flip(fs[0], 4), fs[1], fs[2], fs[3]), want: ErrMalformed},
		{name: "data after final chunk", ct: join(ct, []byte{0}), want: ErrMalformed},
		{name: "stream after final chunk", ct: join(ct, ct), want: ErrMalformed},
		{name: "final chunk from another stream", ct: join(fs[0], oneChunk), want: ErrDecrypt},
		{name: "wrong key", ct: ct, key: cn.encKey, want: ErrDecrypt},
		{name: "wrong info", ct: ct, info: []byte("attachment 1"), want: ErrDecrypt},
		{name: "bad enc", ct: ct, enc: enc[:10], want: ErrDecrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, e, in := de.encKey, enc, info
			if tt.key != nil {
				key = tt.key
			}
			if tt.enc != nil {
				e = tt.enc
			}
			if tt.info != nil {
				in = tt.info
			}
			_, err := OpenStream(io.Discard, bytes.NewReader(tt.ct), key, e, in)
			if !errors.Is(err, tt.want) {
				t.Errorf("OpenStream = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestStreamEmptyTamper(t *testing.T) {
	de := newParty(t, "DE", 2)
	enc, ct, d := sealStream(t, nil, de.encPub, nil)
	if d.Size != 0 || d.SHA256 != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("digest of empty stream = %+v", d)
	}
	if _, err := OpenStream(io.Discard, bytes.NewReader(nil), de.encKey, enc, nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("OpenStream(no frames) = %v, want ErrMalformed", err)
	}
	ct[len(ct)-1] ^= 1
	if _, err := OpenStream(io.Discard, bytes.NewReader(ct), de.encKey, enc, nil); !errors.Is(err, ErrDecrypt) {
		t.Errorf("OpenStream(flipped) = %v, want ErrDecrypt", err)
	}
}

func TestStreamIOErrors(t *testing.T) {
	de := newParty(t, "DE", 2)
	boom := errors.New("boom")
	if _, _, err := SealStream(io.Discard, iotest.ErrReader(boom), de.encPub, nil); !errors.Is(err, boom) {
		t.Errorf("SealStream(failing reader) = %v, want boom", err)
	}
	if _, _, err := SealStream(failWriter{boom}, bytes.NewReader([]byte("x")), de.encPub, nil); !errors.Is(err, boom) {
		t.Errorf("SealStream(failing writer) = %v, want boom", err)
	}
	enc, ct, _ := sealStream(t, []byte("x"), de.encPub, nil)
	if _, err := OpenStream(failWriter{boom}, bytes.NewReader(ct), de.encKey, enc, nil); !errors.Is(err, boom) {
		t.Errorf("OpenStream(failing writer) = %v, want boom", err)
	}
	if _, err := OpenStream(io.Discard, iotest.ErrReader(boom), de.encKey, enc, nil); !errors.Is(err, boom) {
		t.Errorf("OpenStream(failing reader) = %v, want boom", err)
	}
	if _, _, err := SealStream(io.Discard, bytes.NewReader(nil), nil, nil); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("SealStream(nil key) = %v, want ErrKeyMismatch", err)
	}
	if _, err := OpenStream(io.Discard, bytes.NewReader(ct), nil, enc, nil); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("OpenStream(nil key) = %v, want ErrKeyMismatch", err)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

// TestStreamIsIncremental checks that both sides work chunk by chunk:
// output for the first chunks is written before the input is exhausted. With
// buffers of fixed size, that is what keeps memory at O(StreamChunkSize)
// whatever the stream's length.
func TestStreamIsIncremental(t *testing.T) {
	de := newParty(t, "DE", 2)
	stop := errors.New("input stopped")
	pt := make([]byte, 3*StreamChunkSize)
	rand.Read(pt)

	var ct bytes.Buffer
	_, _, err := SealStream(&ct, io.MultiReader(bytes.NewReader(pt), iotest.ErrReader(stop)), de.encPub, nil)
	if !errors.Is(err, stop) {
		t.Fatalf("SealStream = %v, want the reader's error", err)
	}
	if got := len(frames(t, ct.Bytes())); got != 2 {
		t.Errorf("SealStream wrote %d frames before the input failed, want 2", got)
	}

	enc, full, _ := sealStream(t, pt, de.encPub, nil)
	fs := frames(t, full)
	var out bytes.Buffer
	_, err = OpenStream(&out, io.MultiReader(bytes.NewReader(bytes.Join(fs[:2], nil)), iotest.ErrReader(stop)), de.encKey, enc, nil)
	if !errors.Is(err, stop) {
		t.Fatalf("OpenStream = %v, want the reader's error", err)
	}
	if !bytes.Equal(out.Bytes(), pt[:2*StreamChunkSize]) {
		t.Errorf("OpenStream wrote %d bytes before the input failed, want %d", out.Len(), 2*StreamChunkSize)
	}
}
