package envelope

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Test vectors made once with -update and kept: they check that envelopes
// and streams sealed by an earlier build still verify and open, since
// HPKE encryption is randomized and a round trip alone would not notice a
// change on both sides at once. Keys come from fixed seeds (newParty).

const vectorPayload = `{"kind":"mla","text":"test vector"}`

func TestEnvelopeVector(t *testing.T) {
	fr, de := newParty(t, "FR", 1), newParty(t, "DE", 2)
	path := filepath.Join("testdata", "envelope.vector.json")
	if *update {
		b, err := sealed(t, []byte(vectorPayload), fr, de)["DE"].Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestEnvelopeVector -update)", err)
	}
	env, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Verify(fr.signPub); err != nil {
		t.Fatal(err)
	}
	pt, err := env.Open(de.encKey)
	if err != nil {
		t.Fatal(err)
	}
	if string(pt) != vectorPayload {
		t.Errorf("payload = %q, want %q", pt, vectorPayload)
	}
}

func TestStreamVector(t *testing.T) {
	de := newParty(t, "DE", 2)
	info := AttachmentInfo("0123456789abcdef0123456789abcdef", 0)
	plaintext := bytes.Repeat([]byte("0123456789abcdef"), StreamChunkSize/16+1)
	type vector struct {
		Enc    []byte `json:"enc"`
		Stream []byte `json:"stream"`
	}
	path := filepath.Join("testdata", "stream.vector.json")
	if *update {
		var ct bytes.Buffer
		enc, _, err := SealStream(&ct, bytes.NewReader(plaintext), de.encPub, info)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(vector{Enc: enc, Stream: ct.Bytes()})
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestStreamVector -update)", err)
	}
	var v vector
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := OpenStream(&out, bytes.NewReader(v.Stream), de.encKey, v.Enc, info); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), plaintext) {
		t.Error("stream vector decrypts to something else")
	}
}
