package federation

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/liaison-dev/liaison/internal/envelope"
)

// The batch wire format of POST /federation/v1/inbox with Content-Type
// BatchContentType. It is a binary framing rather than JSON so that
// envelopes travel as their exact canonical bytes (a JSON wrapper would
// re-escape them) and attachments as raw encrypted streams:
//
//	magic  "LFB2"
//	frames, each starting with a kind byte:
//	  'H' u16 length, batch header   first frame, exactly once: the batch's
//	                                 HPKE context (envelope.BatchHeader)
//	  'E' u32 length, envelope       the next envelope of the batch, its
//	                                 payload sealed under that context
//	                                 (envelope.BatchEnvelope)
//	  'A' u16 length, enc,           an attachment of the preceding envelope,
//	      u64 length, stream         in header order (envelope.SealStream,
//	                                 a context of its own)
//	  'Z'                            end of batch
//
// Integers are big-endian. A body that ends without 'Z' is truncated and
// refused as a whole. The answer is a JSON BatchResponse carrying one
// signed batch receipt for every envelope accepted.
const (
	BatchContentType  = "application/vnd.liaison.batch"
	SingleContentType = "application/json"
	batchMagic        = "LFB2"

	frameBatch      = 'H'
	frameEnvelope   = 'E'
	frameAttachment = 'A'
	frameEnd        = 'Z'
)

// errFraming is a malformed batch body.
var errFraming = fmt.Errorf("%w: batch framing", envelope.ErrMalformed)

// batchWriter writes the batch format.
type batchWriter struct {
	w       io.Writer
	started bool
}

func (b *batchWriter) header() error {
	if b.started {
		return nil
	}
	b.started = true
	_, err := io.WriteString(b.w, batchMagic)
	return err
}

// batch writes the batch header frame, which must come first.
func (b *batchWriter) batch(hdr []byte) error {
	if err := b.header(); err != nil {
		return err
	}
	h := make([]byte, 0, 3+len(hdr))
	h = append(h, frameBatch)
	h = binary.BigEndian.AppendUint16(h, uint16(len(hdr)))
	_, err := b.w.Write(append(h, hdr...))
	return err
}

func (b *batchWriter) envelope(env []byte) error {
	if err := b.header(); err != nil {
		return err
	}
	var h [5]byte
	h[0] = frameEnvelope
	binary.BigEndian.PutUint32(h[1:], uint32(len(env)))
	if _, err := b.w.Write(h[:]); err != nil {
		return err
	}
	_, err := b.w.Write(env)
	return err
}

// attachmentStart writes the frame header of an attachment whose sealed
// stream (of streamLen bytes) the caller writes next.
func (b *batchWriter) attachmentStart(enc []byte, streamLen int64) error {
	h := make([]byte, 0, 3+len(enc)+8)
	h = append(h, frameAttachment)
	h = binary.BigEndian.AppendUint16(h, uint16(len(enc)))
	h = append(h, enc...)
	h = binary.BigEndian.AppendUint64(h, uint64(streamLen))
	_, err := b.w.Write(h)
	return err
}

func (b *batchWriter) end() error {
	if err := b.header(); err != nil {
		return err
	}
	_, err := b.w.Write([]byte{frameEnd})
	return err
}

// sealedStreamLen is the length of envelope.SealStream's output for a
// plaintext of size bytes: every chunk is a 5-byte frame header, the
// ciphertext and a 16-byte tag, and there is always at least one chunk.
func sealedStreamLen(size int64) int64 {
	const c = envelope.StreamChunkSize
	chunks := (size + c - 1) / c
	if chunks == 0 {
		chunks = 1
	}
	return size + chunks*(5+16)
}

// batchReader reads the batch format, bounding everything it reads.
type batchReader struct {
	r           *bufio.Reader
	maxEnvelope int64
	envelopes   int
	bytes       int64
	started     bool
	frames      int
	// pending is the unread rest of the last attachment stream; next
	// drains it.
	pending *io.LimitedReader
}

func newBatchReader(r io.Reader, maxEnvelope int64) *batchReader {
	return &batchReader{r: bufio.NewReaderSize(r, 64<<10), maxEnvelope: maxEnvelope}
}

// frame is one decoded frame: for a batch header or an envelope, its
// bytes in envelope. For an attachment, stream yields exactly the
// stream's bytes and must be consumed (or is drained) before the next call.
type frame struct {
	kind     byte
	envelope []byte
	enc      []byte
	stream   io.Reader
	size     int64
}

// next returns the next frame; after the 'Z' frame it returns io.EOF.
// Errors wrap envelope.ErrMalformed or envelope.ErrTooLarge.
func (b *batchReader) next() (frame, error) {
	if b.pending != nil {
		if _, err := io.Copy(io.Discard, b.pending); err != nil {
			return frame{}, err
		}
		if b.pending.N > 0 {
			return frame{}, fmt.Errorf("%w: truncated attachment", errFraming)
		}
		b.pending = nil
	}
	if !b.started {
		var m [4]byte
		if _, err := io.ReadFull(b.r, m[:]); err != nil || string(m[:]) != batchMagic {
			return frame{}, fmt.Errorf("%w: missing %q magic", errFraming, batchMagic)
		}
		b.started = true
	}
	kind, err := b.r.ReadByte()
	if err != nil {
		return frame{}, fmt.Errorf("%w: truncated before the end frame", errFraming)
	}
	b.frames++
	if (kind == frameBatch) != (b.frames == 1) {
		return frame{}, fmt.Errorf("%w: the batch header must be the first frame, and only that", errFraming)
	}
	switch kind {
	case frameBatch:
		var l [2]byte
		if _, err := io.ReadFull(b.r, l[:]); err != nil {
			return frame{}, fmt.Errorf("%w: truncated frame header", errFraming)
		}
		n := binary.BigEndian.Uint16(l[:])
		if n > envelope.MaxBatchHeaderSize {
			return frame{}, fmt.Errorf("%w: batch header of %d bytes", envelope.ErrTooLarge, n)
		}
		hdr := make([]byte, n)
		if _, err := io.ReadFull(b.r, hdr); err != nil {
			return frame{}, fmt.Errorf("%w: truncated batch header", errFraming)
		}
		return frame{kind: kind, envelope: hdr}, nil
	case frameEnd:
		if _, err := b.r.ReadByte(); !errors.Is(err, io.EOF) {
			return frame{}, fmt.Errorf("%w: data after the end frame", errFraming)
		}
		return frame{}, io.EOF
	case frameEnvelope:
		var l [4]byte
		if _, err := io.ReadFull(b.r, l[:]); err != nil {
			return frame{}, fmt.Errorf("%w: truncated frame header", errFraming)
		}
		n := int64(binary.BigEndian.Uint32(l[:]))
		b.envelopes++
		b.bytes += n
		switch {
		case b.envelopes > MaxBatchEnvelopes:
			return frame{}, fmt.Errorf("%w: more than %d envelopes in one batch", envelope.ErrTooLarge, MaxBatchEnvelopes)
		case n > b.maxEnvelope:
			return frame{}, fmt.Errorf("%w: envelope of %d bytes, limit %d", envelope.ErrTooLarge, n, b.maxEnvelope)
		case b.bytes > MaxBatchBytes:
			return frame{}, fmt.Errorf("%w: batch over %d bytes", envelope.ErrTooLarge, MaxBatchBytes)
		}
		env := make([]byte, n)
		if _, err := io.ReadFull(b.r, env); err != nil {
			return frame{}, fmt.Errorf("%w: truncated envelope", errFraming)
		}
		return frame{kind: kind, envelope: env}, nil
	case frameAttachment:
		var l [2]byte
		if _, err := io.ReadFull(b.r, l[:]); err != nil {
			return frame{}, fmt.Errorf("%w: truncated frame header", errFraming)
		}
		n := binary.BigEndian.Uint16(l[:])
		if n > 4096 {
			return frame{}, fmt.Errorf("%w: encapsulated key of %d bytes", errFraming, n)
		}
		enc := make([]byte, n)
		if _, err := io.ReadFull(b.r, enc); err != nil {
			return frame{}, fmt.Errorf("%w: truncated attachment key", errFraming)
		}
		var s [8]byte
		if _, err := io.ReadFull(b.r, s[:]); err != nil {
			return frame{}, fmt.Errorf("%w: truncated frame header", errFraming)
		}
		size := binary.BigEndian.Uint64(s[:])
		if size > uint64(sealedStreamLen(envelope.MaxAttachmentSize)) {
			return frame{}, fmt.Errorf("%w: attachment stream of %d bytes", envelope.ErrTooLarge, size)
		}
		b.pending = &io.LimitedReader{R: b.r, N: int64(size)}
		return frame{kind: kind, enc: enc, stream: b.pending, size: int64(size)}, nil
	}
	return frame{}, fmt.Errorf("%w: unknown frame kind 0x%02x", errFraming, kind)
}

// BatchResponse is the inbox's JSON answer to a batch: one result per
// envelope, in the order sent.
type BatchResponse struct {
	Results []Result `json:"results"`
	// Receipt is the canonical envelope.BatchReceipt (base64 in JSON)
	// acknowledging, in order, every envelope whose status is 200, each
	// with the Received time of its result; absent when there is none.
	Receipt []byte `json:"receipt,omitempty"`
}

// Result is the outcome of one envelope. Status is 200 with Received (when
// the receiver first accepted it, as signed in the batch receipt) when the
// envelope was applied now or before, or an HTTP status with Problem when
// it was refused: 4xx means sending the same envelope again will fail the
// same way, 5xx means try again later.
type Result struct {
	ID       string    `json:"id,omitempty"`
	Status   int       `json:"status"`
	Received time.Time `json:"received,omitzero"`
	Problem  *Problem  `json:"problem,omitempty"`
}
