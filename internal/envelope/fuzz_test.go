package envelope

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// The fuzz targets check that the decoders of peer input never panic,
// return either a value or an error wrapping ErrMalformed or ErrTooLarge,
// and that whatever they accept re-encodes to exactly the input.

func checkDecodeErr(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error wraps neither ErrMalformed nor ErrTooLarge: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	fr, de, cn := newParty(f, "FR", 1), newParty(f, "DE", 2), newParty(f, "CN", 3)
	for _, payload := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("payload "), 100)} {
		for _, env := range sealed(f, payload, fr, de, cn) {
			b, err := env.Marshal()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"header":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := Unmarshal(b)
		if err != nil {
			checkDecodeErr(t, err)
			return
		}
		again, err := env.Marshal()
		if err != nil {
			t.Fatalf("accepted envelope does not marshal: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted envelope re-encodes differently:\n in %q\nout %q", b, again)
		}
		// Whatever was accepted must be safe to verify and open.
		_ = env.Verify(fr.signPub)
		_, _ = env.Open(de.encKey)
	})
}

func FuzzParseHeader(f *testing.F) {
	for _, h := range []Header{validHeader(), func() Header {
		h := validHeader()
		h.Attachments, h.InReplyTo, h.Conversation, h.Marking, h.Exercise = nil, "", "", "", true
		return h
	}()} {
		b, err := h.Canonical()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			checkDecodeErr(t, err)
			return
		}
		again, err := h.Canonical()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted header re-encodes differently (%v):\n in %q\nout %q", err, b, again)
		}
	})
}

func FuzzDecodeReceipt(f *testing.F) {
	fr, de := newParty(f, "FR", 1), newParty(f, "DE", 2)
	env := sealed(f, []byte("x"), fr, de)["DE"]
	for _, at := range []time.Time{receivedAt, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)} {
		r, err := NewReceipt(env, "DE", at, de.signKey)
		if err != nil {
			f.Fatal(err)
		}
		b, err := r.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := UnmarshalReceipt(b)
		if err != nil {
			checkDecodeErr(t, err)
			return
		}
		again, err := r.Marshal()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted receipt re-encodes differently (%v):\n in %q\nout %q", err, b, again)
		}
		_ = r.Verify(de.signPub)
		_ = r.Acknowledges(env)
	})
}

// FuzzOpenStream feeds arbitrary bytes as a stream: OpenStream must fail
// cleanly, never panic or accept them.
func FuzzOpenStream(f *testing.F) {
	de := newParty(f, "DE", 2)
	var ct bytes.Buffer
	enc, _, err := SealStream(&ct, bytes.NewReader([]byte("hello, stream")), de.encPub, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ct.Bytes())
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0, 16})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := OpenStream(&bytes.Buffer{}, bytes.NewReader(b), de.encKey, enc, nil)
		if err == nil && !bytes.Equal(b, ct.Bytes()) {
			t.Fatalf("OpenStream accepted a forged stream %q", b)
		}
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrDecrypt) {
			t.Fatalf("unexpected error: %v", err)
		}
	})
}

func FuzzUnmarshalSigned(f *testing.F) {
	fr, de := newParty(f, "FR", 1), newParty(f, "DE", 2)
	ss, _ := signedN(f, 2, fr, de)
	for _, s := range ss {
		b, err := s.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0, 0, 0, 2, '{', '}'})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := UnmarshalSigned(b)
		if err != nil {
			checkDecodeErr(t, err)
			return
		}
		again, err := s.Marshal()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted signed envelope re-encodes differently (%v)", err)
		}
		_ = s.Verify(fr.signPub)
	})
}

func FuzzUnmarshalBatchHeader(f *testing.F) {
	fr, de := newParty(f, "FR", 1), newParty(f, "DE", 2)
	ss, ps := signedN(f, 1, fr, de)
	hdr, _ := sealBatch(f, ss, ps, fr, de)
	b, err := hdr.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:20])
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := UnmarshalBatchHeader(b)
		if err != nil {
			checkDecodeErr(t, err)
			return
		}
		again, err := h.Marshal()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted batch header re-encodes differently (%v)", err)
		}
		if o, err := OpenBatch(h, de.encKey); err == nil {
			_ = o.Broken()
		}
	})
}

func FuzzUnmarshalBatchEnvelope(f *testing.F) {
	fr, de := newParty(f, "FR", 1), newParty(f, "DE", 2)
	ss, ps := signedN(f, 3, fr, de)
	hdr, raws := sealBatch(f, ss, ps, fr, de)
	for _, r := range raws {
		f.Add(r)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := UnmarshalBatchEnvelope(b)
		if err != nil {
			checkDecodeErr(t, err)
			return
		}
		again, err := e.Marshal()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted batch envelope re-encodes differently (%v)", err)
		}
		_ = e.Verify(fr.signPub)
		// Opening anything as the first envelope of the batch must fail
		// or succeed cleanly.
		if o, err := OpenBatch(hdr, de.encKey); err == nil {
			_, _ = o.Open(e)
		}
	})
}

func FuzzUnmarshalBatchReceipt(f *testing.F) {
	de := newParty(f, "DE", 2)
	for _, n := range []int{1, 3} {
		br, err := NewBatchReceipt(batchID, "FR", "DE", goldenEntries(n), de.signKey)
		if err != nil {
			f.Fatal(err)
		}
		b, _ := br.Marshal()
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := UnmarshalBatchReceipt(b)
		if err != nil {
			checkDecodeErr(t, err)
			return
		}
		again, err := r.Marshal()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted batch receipt re-encodes differently (%v)", err)
		}
		_ = r.Verify(de.signPub, batchID, "FR", goldenEntries(3))
		_, _ = r.Receipts(goldenEntries(int(min(max(r.Size, 1), 16))))
	})
}
