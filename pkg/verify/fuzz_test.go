package verify

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// sampleExport builds a valid export of n entries signed by key(1).
func sampleExport(t testing.TB, n int) ([]byte, string) {
	const origin = "liaison.invalid/US/log"
	s, vkey := signer(t, origin, key(1), false)
	var entries []Entry
	var leaves [][]byte
	for i := 0; i < n; i++ {
		body := []byte(fmt.Sprintf(`{"i":%d}`, i))
		e := Entry{Index: uint64(i), Kind: "envelope.sent", ObjectID: fmt.Sprint("env-", i), TimeMicros: int64(1e15) + int64(i), Exercise: i == 2, BodyHash: BodyHash(body)}
		if i%2 == 0 {
			e.Body = body
		}
		leaf, err := LeafHash(e)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
		leaves = append(leaves, leaf)
	}
	var buf bytes.Buffer
	w, err := NewExportWriter(&buf, Header{Origin: origin, Size: uint64(n), Checkpoint: string(signedCheckpoint(t, s, origin, uint64(n), mth(leaves)))})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), vkey
}

func TestSampleExportVerifies(t *testing.T) {
	exp, vkey := sampleExport(t, 5)
	lv, _ := NewLogVerifier(vkey)
	rep, err := VerifyExport(bytes.NewReader(exp), lv)
	if err != nil || rep.Size != 5 || rep.Bodies != 3 || rep.Exercise != 1 {
		t.Fatalf("VerifyExport = %+v, %v", rep, err)
	}
	// Unknown fields are refused: what is verified is exactly what is read.
	bad := strings.Replace(string(exp), `"kind":"envelope.sent"`, `"kind":"envelope.sent","extra":1`, 1)
	if _, err := VerifyExport(strings.NewReader(bad), lv); !errors.Is(err, ErrMalformed) {
		t.Fatalf("unknown field: %v", err)
	}
	var ee *EntryError
	if _, err := VerifyExport(strings.NewReader(bad), lv); !errors.As(err, &ee) || ee.Index != 0 {
		t.Fatalf("error does not name the entry: %v", err)
	}
}

func knownKind(err error) bool {
	for _, k := range []error{ErrMalformed, ErrSignature, ErrRootMismatch, ErrFork, ErrRollback} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

func FuzzVerifyExport(f *testing.F) {
	exp, vkey := sampleExport(f, 5)
	f.Add(exp)
	f.Add(exp[:len(exp)/2])
	f.Add([]byte(`{"format":"liaison-ledger-export/v1","origin":"x","size":0,"checkpoint":""}` + "\n"))
	f.Add([]byte("\n\n"))
	lv, err := NewLogVerifier(vkey)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := VerifyExport(bytes.NewReader(b), lv)
		if err != nil {
			if !knownKind(err) {
				t.Fatalf("error of no known kind: %v", err)
			}
			return
		}
		if rep.Size != rep.Checkpoint.Size {
			t.Fatalf("verified export of %d entries under a checkpoint of %d", rep.Size, rep.Checkpoint.Size)
		}
	})
}

func FuzzOpenCheckpoint(f *testing.F) {
	const origin = "liaison.invalid/US/log"
	s, vkey := signer(f, origin, key(1), false)
	ws, wkey := signer(f, "liaison.invalid/CN/witness", key(2), true)
	msg := signedCheckpoint(f, s, origin, 7, HashLeaf(nil))
	f.Add(msg)
	f.Add(append(append([]byte(nil), msg...), lastLine(signedCheckpoint(f, ws, origin, 7, HashLeaf(nil)))...))
	f.Add([]byte(origin + "\n7\n\n— x y\n"))
	lv, _ := NewLogVerifier(vkey)
	wv, _ := NewCosignerVerifier(wkey)
	f.Fuzz(func(t *testing.T, b []byte) {
		cp, err := OpenCheckpoint(b, lv, wv)
		if err != nil {
			if !knownKind(err) {
				t.Fatalf("error of no known kind: %v", err)
			}
			return
		}
		if cp.Origin != origin || len(cp.Root) != HashSize {
			t.Fatalf("accepted checkpoint %+v", cp)
		}
		if _, err := ParseCheckpointBody(b[:bytes.Index(b, []byte("\n\n"))+1]); err != nil {
			t.Fatalf("accepted a checkpoint whose body does not parse: %v", err)
		}
	})
}
