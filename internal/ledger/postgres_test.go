package ledger

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/liaison-dev/liaison/internal/store/postgres"
	"github.com/liaison-dev/liaison/pkg/verify"
)

// TestLogOnPostgres runs a log, its proofs, an export and a cosigning round
// on PostgreSQL (LIAISON_TEST_POSTGRES_URL; skipped without it, as the
// store's own PostgreSQL suite is).
func TestLogOnPostgres(t *testing.T) {
	base := os.Getenv("LIAISON_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("LIAISON_TEST_POSTGRES_URL not set")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "liaison_ledger_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`) })
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	st, err := postgres.Open(t.Context(), postgres.Config{URL: u.String()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	l := openLog(t, st, "US", testKey(1))
	appendN(t, st, 0, 300)
	cp, err := l.Checkpoint(t.Context())
	if err != nil || cp.Size != 300 || !bytes.Equal(cp.Root, refRoot(t, 300)) {
		t.Fatalf("checkpoint = %d %x, %v", cp.Size, cp.Root, err)
	}
	for _, i := range []uint64{0, 15, 16, 255, 256, 299} {
		p, err := l.Prove(t.Context(), i)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Verify(l.Verifier()); err != nil {
			t.Fatalf("proof %d: %v", i, err)
		}
	}
	if _, err := verify.VerifyExport(bytes.NewReader(exportLog(t, l)), l.Verifier()); err != nil {
		t.Fatal(err)
	}
	witness := openLog(t, openStore(t), "CN", testKey(2))
	if _, err := witness.Witness(t.Context(), l.Verifier(), cp.Note, nil); err != nil {
		t.Fatal(err)
	}
}
