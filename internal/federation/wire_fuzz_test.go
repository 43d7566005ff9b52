package federation

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/liaison-dev/liaison/internal/envelope"
)

func validBatch(t testing.TB) []byte {
	var buf bytes.Buffer
	bw := &batchWriter{w: &buf}
	bw.batch(make([]byte, 40))
	bw.envelope([]byte(`{"header":{}}`))
	bw.attachmentStart(bytes.Repeat([]byte{1}, 16), 5)
	buf.WriteString("xxxxx")
	bw.envelope([]byte(`{}`))
	bw.end()
	return buf.Bytes()
}

// FuzzInboxDecoder feeds arbitrary request bodies to the inbox's batch
// decoder and envelope parser, as a peer could: they must never panic,
// never allocate beyond the limits, and always end with EOF or an error
// that maps to a rejection reason.
func FuzzInboxDecoder(f *testing.F) {
	f.Add(validBatch(f))
	f.Add([]byte("LFB2Z"))
	f.Add([]byte("LFB2H\x00\x01xE\xff\xff\xff\xff"))
	f.Add([]byte("LFB2H\x00\x00A\x00\x02ab\x00\x00\x00\x00\x00\x00\x00\x03abcZ"))
	f.Add([]byte("LFB2H\x00\x00E\x00\x00\x00\x02{}Zjunk"))
	f.Fuzz(func(t *testing.T, body []byte) {
		br := newBatchReader(bytes.NewReader(body), 1<<16)
		for i := 0; i < 1000; i++ {
			fr, err := br.next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				if !errors.Is(err, envelope.ErrMalformed) && !errors.Is(err, envelope.ErrTooLarge) {
					t.Fatalf("decoder error %v is neither malformed nor too large", err)
				}
				if r := rejectEnvelopeErr(err); r.Problem().Status >= 500 {
					t.Fatalf("decoder error %v maps to a server error", err)
				}
				return
			}
			switch fr.kind {
			case frameBatch:
				if _, err := envelope.UnmarshalBatchHeader(fr.envelope); err != nil {
					if r := rejectEnvelopeErr(err); r.Reason != ReasonMalformed && r.Reason != ReasonTooLarge {
						t.Fatalf("batch header error %v classified %s", err, r.Reason)
					}
				}
			case frameEnvelope:
				if int64(len(fr.envelope)) > 1<<16 {
					t.Fatalf("envelope frame of %d bytes passed a 64 KiB limit", len(fr.envelope))
				}
				if _, err := envelope.UnmarshalBatchEnvelope(fr.envelope); err != nil {
					if r := rejectEnvelopeErr(err); r.Reason != ReasonMalformed && r.Reason != ReasonTooLarge {
						t.Fatalf("unmarshal error %v classified %s", err, r.Reason)
					}
				}
			case frameAttachment:
				// Read part of the stream; next must drain the rest.
				io.CopyN(io.Discard, fr.stream, 3)
			}
		}
		t.Fatal("decoder did not end")
	})
}

func TestSealedStreamLen(t *testing.T) {
	k, err := envelope.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int64{0, 1, envelope.StreamChunkSize - 1, envelope.StreamChunkSize, envelope.StreamChunkSize + 1, 3*envelope.StreamChunkSize + 7} {
		var out bytes.Buffer
		if _, _, err := envelope.SealStream(&out, io.LimitReader(zeros{}, n), k.PublicKey(), []byte("x")); err != nil {
			t.Fatal(err)
		}
		if got := sealedStreamLen(n); got != int64(out.Len()) {
			t.Errorf("sealedStreamLen(%d) = %d, SealStream wrote %d", n, got, out.Len())
		}
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
