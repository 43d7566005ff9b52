package pdf

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func sample() *Doc {
	d := &Doc{}
	d.Para(Bold, 16, 0, "After-action report: BEC wire fraud (EXERCISE)")
	d.Para(Regular, 10, 0, strings.Repeat("Requests for information and assistance will receive timely responses. ", 40))
	d.Bars("Score by party", []string{"US", "CN"}, []float64{0.9, 0.6}, nil, 1, "", "", func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) })
	d.Bars("Trend", []string{"US → CN"}, []float64{3}, []float64{2}, 4, "this round", "previous", func(f float64) string { return fmt.Sprint(f) })
	for i := range 80 {
		d.Line(Mono, 8, 10, fmt.Sprintf("line %d (with parentheses) and a backslash \\ and 中文", i))
	}
	return d
}

// TestStructure checks the file is well formed: header, every xref offset
// pointing at its object, and the trailer.
func TestStructure(t *testing.T) {
	var b bytes.Buffer
	if _, err := sample().WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	out := b.Bytes()
	if !bytes.HasPrefix(out, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(out, []byte("%%EOF\n")) {
		t.Fatal("header or trailer missing")
	}
	m := regexp.MustCompile(`startxref\n(\d+)\n`).FindSubmatch(out)
	if m == nil {
		t.Fatal("no startxref")
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(out[xref:], []byte("xref\n")) {
		t.Fatal("startxref does not point at the xref table")
	}
	entries := regexp.MustCompile(`(\d{10}) 00000 n `).FindAllSubmatch(out[xref:], -1)
	if len(entries) < 7 {
		t.Fatalf("%d objects", len(entries))
	}
	for i, e := range entries {
		off, _ := strconv.Atoi(string(e[1]))
		if want := fmt.Sprintf("%d 0 obj\n", i+1); !bytes.HasPrefix(out[off:], []byte(want)) {
			t.Fatalf("object %d not at its offset", i+1)
		}
	}
	if pages := bytes.Count(out, []byte("/Type /Page ")); pages < 2 {
		t.Fatalf("%d pages; the long text should have overflowed", pages)
	}
	// With poppler installed, the text is extractable as written.
	if _, err := exec.LookPath("pdftotext"); err == nil {
		cmd := exec.Command("pdftotext", "-", "-")
		cmd.Stdin = bytes.NewReader(out)
		txt, err := cmd.Output()
		if err != nil || !strings.Contains(string(txt), "After-action report") || !strings.Contains(string(txt), "(with parentheses)") {
			t.Fatalf("pdftotext: %v %.200s", err, txt)
		}
	}
}

func TestText(t *testing.T) {
	for in, want := range map[string]string{"a(b)c": `a\(b\)c`, `x\y`: `x\\y`, "é": `\351`, "中": "?", "A → B": "A -> B"} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}
