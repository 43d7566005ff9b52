package envelope

import (
	"bufio"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
)

// Streams encrypt attachments of any size with one HPKE context, in chunks
// of StreamChunkSize plaintext bytes. Each chunk is one frame:
//
//	flag   1 byte   0 = more chunks follow, 1 = final chunk
//	length 4 bytes  big-endian length of the ciphertext that follows
//	ciphertext      Sender.Seal(aad = flag byte, chunk)
//
// Every chunk but the final one holds exactly StreamChunkSize bytes; the
// final one holds 0 to StreamChunkSize bytes, so every stream, even an empty
// one, ends with exactly one final frame.
//
// The HPKE context numbers its messages, so a reordered, repeated or
// dropped chunk fails to open; the flag is authenticated as associated data,
// so a stream cut at a chunk boundary lacks its final frame and is refused,
// and a final frame cannot be followed by more. This is the STREAM
// construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015) on top of the
// HPKE nonce sequence (SPEC: RFC 9180 section 5.2).

const (
	flagMore  byte = 0
	flagFinal byte = 1

	frameHeaderSize = 5
)

// Digest describes a stream's plaintext. Compare it with the AttachmentRef
// in the signed header (Digest.Matches) before trusting an opened stream.
type Digest struct {
	// Size is the plaintext length in bytes.
	Size int64
	// SHA256 is the hex SHA-256 of the plaintext.
	SHA256 string
}

// Matches reports whether d describes the plaintext that a names.
func (d Digest) Matches(a AttachmentRef) bool {
	return d.Size == a.Size && d.SHA256 == a.SHA256
}

// AttachmentInfo returns the HPKE info to use with SealStream and
// OpenStream for attachment index of envelope envelopeID, so that an
// encrypted attachment cannot be passed off as another one.
func AttachmentInfo(envelopeID string, index int) []byte {
	return []byte(attachmentInfoLabel + envelopeID + "\n" + strconv.Itoa(index))
}

// SealStream encrypts everything read from r to pub and writes the framed
// ciphertext to w. It returns the HPKE encapsulated key, which the
// recipient needs to open the stream and which travels next to it, and the
// plaintext's digest. info must be given identically to OpenStream; see
// AttachmentInfo. Memory use is O(StreamChunkSize).
func SealStream(w io.Writer, r io.Reader, pub hpke.PublicKey, info []byte) (enc []byte, d Digest, err error) {
	if err := checkKEM(pub); err != nil {
		return nil, Digest{}, fmt.Errorf("envelope: seal stream: %w", err)
	}
	enc, s, err := hpke.NewSender(pub, suiteKDF, suiteAEAD, streamInfo(info))
	if err != nil {
		return nil, Digest{}, fmt.Errorf("envelope: seal stream: %w", err)
	}
	h := sha256.New()
	var size int64
	// The buffered reader lets us peek one byte past a full chunk, to know
	// whether it is the final one before sealing it.
	br := bufio.NewReader(r)
	buf := make([]byte, StreamChunkSize)
	frame := make([]byte, 0, frameHeaderSize+StreamChunkSize+aeadOverhead)
	for {
		n, err := io.ReadFull(br, buf)
		var final bool
		switch {
		case err == nil:
			_, perr := br.Peek(1)
			if perr != nil && !errors.Is(perr, io.EOF) {
				return nil, Digest{}, fmt.Errorf("envelope: seal stream: read: %w", perr)
			}
			final = perr != nil
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			final = true
		default:
			return nil, Digest{}, fmt.Errorf("envelope: seal stream: read: %w", err)
		}
		chunk := buf[:n]
		h.Write(chunk)
		size += int64(n)

		flag := flagMore
		if final {
			flag = flagFinal
		}
		ct, err := s.Seal([]byte{flag}, chunk)
		if err != nil {
			return nil, Digest{}, fmt.Errorf("envelope: seal stream: %w", err)
		}
		frame = append(frame[:0], flag)
		frame = binary.BigEndian.AppendUint32(frame, uint32(len(ct)))
		frame = append(frame, ct...)
		if _, err := w.Write(frame); err != nil {
			return nil, Digest{}, fmt.Errorf("envelope: seal stream: write: %w", err)
		}
		if final {
			return enc, digest(h, size), nil
		}
	}
}

// OpenStream decrypts a stream written by SealStream, reading frames from r
// and writing plaintext to w, and returns the plaintext's digest. Memory
// use is O(StreamChunkSize).
//
// Plaintext is written chunk by chunk as each is authenticated, before the
// end of the stream is seen: until OpenStream returns nil, and its Digest
// matches the signed AttachmentRef, what was written to w may be a
// truncated or foreign file and must not be used (write to a temporary
// file, rename on success). Errors: ErrDecrypt if a chunk fails to
// authenticate (wrong key or info, altered, reordered or replayed chunks);
// ErrMalformed for bad framing, a missing final chunk, or data after it.
func OpenStream(w io.Writer, r io.Reader, priv hpke.PrivateKey, enc, info []byte) (Digest, error) {
	if err := checkKEM(priv); err != nil {
		return Digest{}, fmt.Errorf("envelope: open stream: %w", err)
	}
	rc, err := hpke.NewRecipient(enc, priv, suiteKDF, suiteAEAD, streamInfo(info))
	if err != nil {
		return Digest{}, fmt.Errorf("envelope: open stream: %w: %w", ErrDecrypt, err)
	}
	h := sha256.New()
	var size int64
	var hdr [frameHeaderSize]byte
	buf := make([]byte, StreamChunkSize+aeadOverhead)
	for chunk := 0; ; chunk++ {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return Digest{}, fmt.Errorf("envelope: open stream: %w: truncated before the final chunk", ErrMalformed)
			}
			return Digest{}, fmt.Errorf("envelope: open stream: read: %w", err)
		}
		flag, n := hdr[0], binary.BigEndian.Uint32(hdr[1:])
		switch {
		case flag != flagMore && flag != flagFinal:
			return Digest{}, fmt.Errorf("envelope: open stream: %w: chunk %d: bad flag %d", ErrMalformed, chunk, flag)
		case flag == flagMore && n != StreamChunkSize+aeadOverhead,
			flag == flagFinal && (n < aeadOverhead || n > StreamChunkSize+aeadOverhead):
			return Digest{}, fmt.Errorf("envelope: open stream: %w: chunk %d: bad length %d", ErrMalformed, chunk, n)
		}
		ct := buf[:n]
		if _, err := io.ReadFull(r, ct); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return Digest{}, fmt.Errorf("envelope: open stream: %w: truncated in chunk %d", ErrMalformed, chunk)
			}
			return Digest{}, fmt.Errorf("envelope: open stream: read: %w", err)
		}
		pt, err := rc.Open([]byte{flag}, ct)
		if err != nil {
			return Digest{}, fmt.Errorf("envelope: open stream: %w: chunk %d: %w", ErrDecrypt, chunk, err)
		}
		if _, err := w.Write(pt); err != nil {
			return Digest{}, fmt.Errorf("envelope: open stream: write: %w", err)
		}
		h.Write(pt)
		size += int64(len(pt))
		if flag == flagFinal {
			break
		}
	}
	var extra [1]byte
	switch n, err := io.ReadFull(r, extra[:]); {
	case n > 0:
		return Digest{}, fmt.Errorf("envelope: open stream: %w: data after the final chunk", ErrMalformed)
	case !errors.Is(err, io.EOF):
		return Digest{}, fmt.Errorf("envelope: open stream: read: %w", err)
	}
	return digest(h, size), nil
}

func digest(h hash.Hash, size int64) Digest {
	return Digest{Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}
}

// streamInfo separates stream contexts from envelope contexts, whatever
// info the caller passes.
func streamInfo(info []byte) []byte {
	return append([]byte(streamInfoPrefix), info...)
}
