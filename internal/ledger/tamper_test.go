package ledger

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/liaison-dev/liaison/pkg/verify"
)

func exportLog(t *testing.T, l *Log) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := l.Export(t.Context(), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func lines(b []byte) []string { return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") }

func unlines(ls []string) []byte { return []byte(strings.Join(ls, "\n") + "\n") }

// editEntry rewrites entry line i (1-based lines: 0 is the header).
func editEntry(t *testing.T, ls []string, i int, edit func(e *verify.Entry)) []string {
	t.Helper()
	var e verify.Entry
	if err := json.Unmarshal([]byte(ls[i]), &e); err != nil {
		t.Fatal(err)
	}
	edit(&e)
	b, _ := json.Marshal(e)
	out := append([]string(nil), ls...)
	out[i] = string(b)
	return out
}

func TestExportVerifiesAndTamperingIsDetected(t *testing.T) {
	st := openStore(t)
	l := openLog(t, st, "US", testKey(1))
	appendN(t, st, 0, 100)
	exp := exportLog(t, l)
	rep, err := verify.VerifyExport(bytes.NewReader(exp), l.Verifier())
	if err != nil {
		t.Fatalf("untouched export: %v", err)
	}
	if rep.Size != 100 || rep.Kinds[KindAudit] != 20 || rep.Exercise != 15 || rep.Bodies != 50 {
		t.Fatalf("report = %+v", rep)
	}
	ls := lines(exp)
	other, _ := verify.NewLogVerifier(mustVKey(t, "US", testKey(2)))
	for name, tc := range map[string]struct {
		export []byte
		key    note.Verifier
		want   error
	}{
		"changed kind":          {unlines(editEntry(t, ls, 5, func(e *verify.Entry) { e.Kind = KindReceipt })), nil, verify.ErrRootMismatch},
		"changed object":        {unlines(editEntry(t, ls, 50, func(e *verify.Entry) { e.ObjectID = "obj-x" })), nil, verify.ErrRootMismatch},
		"changed time":          {unlines(editEntry(t, ls, 100, func(e *verify.Entry) { e.TimeMicros++ })), nil, verify.ErrRootMismatch},
		"exercise flag":         {unlines(editEntry(t, ls, 2, func(e *verify.Entry) { e.Exercise = !e.Exercise })), nil, verify.ErrRootMismatch},
		"body changed":          {unlines(editEntry(t, ls, 1, func(e *verify.Entry) { e.Body = []byte(`{"n":1}`) })), nil, verify.ErrRootMismatch},
		"body and its hash":     {unlines(editEntry(t, ls, 1, func(e *verify.Entry) { e.Body = []byte("x"); e.BodyHash = verify.BodyHash(e.Body) })), nil, verify.ErrRootMismatch},
		"entry removed":         {unlines(append(append([]string(nil), ls[:40]...), ls[41:]...)), nil, verify.ErrMalformed},
		"last entry removed":    {unlines(ls[:100]), nil, verify.ErrMalformed},
		"entry added":           {unlines(append(append([]string(nil), ls...), ls[100])), nil, verify.ErrMalformed},
		"entries reordered":     {unlines(swap(ls, 10, 11)), nil, verify.ErrMalformed},
		"reordered, renumbered": {unlines(renumber(t, swap(ls, 10, 11))), nil, verify.ErrRootMismatch},
		"wrong key":             {exp, other, verify.ErrSignature},
		"checkpoint edited":     {[]byte(strings.Replace(string(exp), `\n100\n`, `\n99\n`, 1)), nil, verify.ErrSignature},
		"header only":           {unlines(ls[:1]), nil, verify.ErrMalformed},
		"empty":                 {nil, nil, verify.ErrMalformed},
	} {
		key := tc.key
		if key == nil {
			key = l.Verifier()
		}
		if _, err := verify.VerifyExport(bytes.NewReader(tc.export), key); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
}

func swap(ls []string, i, j int) []string {
	out := append([]string(nil), ls...)
	out[i], out[j] = out[j], out[i]
	return out
}

// renumber gives entries consecutive indexes again, as a careful forger
// reordering entries would.
func renumber(t *testing.T, ls []string) []string {
	out := append([]string(nil), ls...)
	for i := 1; i < len(out); i++ {
		out = editEntry(t, out, i, func(e *verify.Entry) { e.Index = uint64(i - 1) })
	}
	return out
}

func mustVKey(t *testing.T, party string, k ed25519.PrivateKey) string {
	t.Helper()
	v, err := LogVerifierKey(party, k.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return v
}
