package sample

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// decryptEntry undoes ZipCrypto over an entry's raw bytes, the way an
// unzip tool does: it checks the header's check byte and returns the
// (still compressed) body.
func decryptEntry(t *testing.T, raw []byte, password string, check byte) []byte {
	t.Helper()
	z := newZipCrypto(password)
	var hdr [12]byte
	for i := range hdr {
		hdr[i] = z.decrypt(raw[i])
	}
	if hdr[11] != check {
		t.Fatalf("check byte %#x, want %#x: wrong password or header", hdr[11], check)
	}
	out := make([]byte, len(raw)-12)
	for i, c := range raw[12:] {
		out[i] = z.decrypt(c)
	}
	return out
}

func TestWriteZipRoundTrip(t *testing.T) {
	payload := make([]byte, 200_000)
	rand.Read(payload[:100_000]) // half random, half zeros: compressible
	var buf bytes.Buffer
	mod := time.Date(2026, 11, 2, 13, 45, 22, 0, time.UTC)
	if err := WriteZip(&buf, "sample.bin", mod, ZipPassword, bytes.NewReader(payload)); err != nil {
		t.Fatal(err)
	}
	zr, err := zipReader(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "sample.bin" || zr.File[0].Flags&1 == 0 {
		t.Fatalf("archive: %+v", zr.File)
	}
	f := zr.File[0]
	rc, err := f.OpenRaw()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(rc)
	_, clock := msDosTime(mod)
	body := decryptEntry(t, raw, ZipPassword, byte(clock>>8))
	got, err := io.ReadAll(flateReader(body))
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("decrypted content differs (%d bytes, %v)", len(got), err)
	}
	if f.CRC32 != crc32IEEE(payload) || f.UncompressedSize64 != uint64(len(payload)) {
		t.Fatalf("CRC or size wrong: %+v", f.FileHeader)
	}
	// A wrong password fails the check byte (with probability 255/256).
	z := newZipCrypto("not-infected")
	var hdr [12]byte
	for i := range hdr {
		hdr[i] = z.decrypt(raw[i])
	}
	if hdr[11] == byte(clock>>8) {
		t.Log("wrong password passed the check byte (1 in 256); CRC would catch it")
	}
}

// TestZipOpensWithInfoZIP checks interoperability with the unzip most
// analysts have; skipped where it is not installed.
func TestZipOpensWithInfoZIP(t *testing.T) {
	unzip, err := exec.LookPath("unzip")
	if err != nil {
		t.Skip("unzip not installed")
	}
	dir := t.TempDir()
	payload := bytes.Repeat([]byte("MZ not really malware "), 5000)
	zf := filepath.Join(dir, "s.zip")
	f, _ := os.Create(zf)
	if err := WriteZip(f, "x.bin", time.Now(), ZipPassword, bytes.NewReader(payload)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, err := exec.CommandContext(t.Context(), unzip, "-p", "-P", ZipPassword, zf).Output()
	if err != nil || !bytes.Equal(out, payload) {
		t.Fatalf("unzip -P infected: %v (%d bytes)", err, len(out))
	}
	if err := exec.CommandContext(t.Context(), unzip, "-p", "-P", "wrong", zf).Run(); err == nil {
		t.Fatal("unzip accepted a wrong password")
	}
}
