// Package pdf writes simple, self-contained PDF 1.4 documents: wrapped
// text in the standard Helvetica and Courier fonts (WinAnsiEncoding;
// characters outside Latin-1 become "?") and filled rectangles for bar
// charts, on A4 pages. It has no dependency and embeds no font file, so a
// report made on an air-gapped node needs nothing from anywhere else.
package pdf

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Fonts available to Line and Para.
const (
	Regular = "F1" // Helvetica
	Bold    = "F2" // Helvetica-Bold
	Mono    = "F3" // Courier
)

// Page geometry, in points.
const (
	PageWidth, PageHeight = 595.0, 842.0
	Margin                = 50.0
)

// Doc is a document being written top to bottom.
type Doc struct {
	pages []*bytes.Buffer
	cur   *bytes.Buffer
	y     float64
}

func (d *Doc) newPage() {
	d.cur = &bytes.Buffer{}
	d.pages = append(d.pages, d.cur)
	d.y = PageHeight - Margin
}

// need starts a new page unless h points fit on this one.
func (d *Doc) need(h float64) {
	if d.cur == nil || d.y-h < Margin {
		d.newPage()
	}
}

// Text escapes s for a PDF string in WinAnsiEncoding.
func Text(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '(' || r == ')' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '→':
			b.WriteString("->")
		case r == '—' || r == '–' || r == '−':
			b.WriteByte('-')
		case r == '’' || r == '‘':
			b.WriteByte('\'')
		case r == '“' || r == '”':
			b.WriteByte('"')
		case r >= 32 && r < 127:
			b.WriteRune(r)
		case r >= 160 && r < 256:
			fmt.Fprintf(&b, "\\%03o", r)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// Line writes one line of text at the left margin plus indent.
func (d *Doc) Line(font string, size, indent float64, s string) {
	d.need(size + 4)
	d.y -= size + 4
	fmt.Fprintf(d.cur, "BT /%s %.1f Tf %.1f %.1f Td (%s) Tj ET\n", font, size, Margin+indent, d.y, Text(s))
}

// Para writes s wrapped to the page width; newlines start new lines.
func (d *Doc) Para(font string, size, indent float64, s string) {
	max := int((PageWidth - 2*Margin - indent) / (size * 0.5))
	for _, raw := range strings.Split(s, "\n") {
		words := strings.Fields(raw)
		var cur string
		for _, w := range words {
			if cur != "" && utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(w) > max {
				d.Line(font, size, indent, cur)
				cur = ""
			}
			if cur != "" {
				cur += " "
			}
			cur += w
		}
		if cur != "" || len(words) == 0 {
			d.Line(font, size, indent, cur)
		}
	}
}

// Gap leaves h points of space.
func (d *Doc) Gap(h float64) { d.need(h); d.y -= h }

// Rect fills a rectangle with an RGB colour (components 0-1).
func (d *Doc) Rect(x, y, w, h float64, r, g, b float64) {
	d.need(0)
	fmt.Fprintf(d.cur, "%.3f %.3f %.3f rg %.1f %.1f %.1f %.1f re f 0 0 0 rg\n", r, g, b, x, y, w, h)
}

// Bars draws a horizontal bar chart: one labelled row per value, with an
// optional second, lighter bar per row for a comparison series (prev may
// be nil). max scales the bars; format labels the values.
func (d *Doc) Bars(title string, labels []string, cur, prev []float64, max float64, curLabel, prevLabel string, format func(float64) string) {
	row := 16.0
	if prev != nil {
		row = 28
	}
	d.need(30 + row*float64(len(labels)))
	d.Line(Bold, 11, 0, title)
	if max <= 0 {
		max = 1
	}
	span := PageWidth - 2*Margin - 200
	for i, l := range labels {
		d.y -= row
		fmt.Fprintf(d.cur, "BT /F1 9 Tf %.1f %.1f Td (%s) Tj ET\n", Margin, d.y+row-20, Text(l))
		cw := span * cur[i] / max
		top := d.y + row - 16
		d.Rect(Margin+110, top, cw, 10, 0.12, 0.31, 0.47)
		fmt.Fprintf(d.cur, "BT /F1 8 Tf %.1f %.1f Td (%s) Tj ET\n", Margin+114+cw, top+1, Text(strings.TrimSpace(format(cur[i])+" "+curLabel)))
		if prev != nil {
			pw := span * prev[i] / max
			d.Rect(Margin+110, top-12, pw, 10, 0.62, 0.76, 0.9)
			fmt.Fprintf(d.cur, "BT /F1 8 Tf %.1f %.1f Td (%s) Tj ET\n", Margin+114+pw, top-11, Text(strings.TrimSpace(format(prev[i])+" "+prevLabel)))
		}
	}
	d.Gap(10)
}

// WriteTo writes the document.
func (d *Doc) WriteTo(w io.Writer) (int64, error) {
	if len(d.pages) == 0 {
		d.newPage()
	}
	var out bytes.Buffer
	var offs []int
	obj := func(body string) {
		offs = append(offs, out.Len())
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", len(offs), body)
	}
	out.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	n := len(d.pages)
	// 1 catalog, 2 pages, 3-5 fonts, then (page, content) pairs.
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	var kids []string
	for i := range n {
		kids = append(kids, fmt.Sprintf("%d 0 R", 6+2*i))
	}
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>")
	for i, p := range d.pages {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.0f %.0f] /Resources << /Font << /F1 3 0 R /F2 4 0 R /F3 5 0 R >> >> /Contents %d 0 R >>",
			PageWidth, PageHeight, 7+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", p.Len(), p.Bytes()))
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&out, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return out.WriteTo(w)
}
