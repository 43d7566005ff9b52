package progress

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// A small PDF 1.4 writer for the report: text in the standard Helvetica and
// Courier fonts (WinAnsiEncoding; characters outside Latin-1 become "?"),
// filled rectangles for the charts, A4 pages. No dependency, no font file,
// nothing fetched: the output is as self-contained as the HTML.

type pdfDoc struct {
	pages []*bytes.Buffer
	cur   *bytes.Buffer
	y     float64
}

const (
	pageW, pageH = 595.0, 842.0
	margin       = 50.0
)

func (d *pdfDoc) newPage() {
	d.cur = &bytes.Buffer{}
	d.pages = append(d.pages, d.cur)
	d.y = pageH - margin
}

func (d *pdfDoc) need(h float64) {
	if d.cur == nil || d.y-h < margin {
		d.newPage()
	}
}

func pdfText(s string) string {
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
		case r == '±':
			b.WriteString("\\261")
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

// line writes one line of text at the left margin plus indent.
func (d *pdfDoc) line(font string, size, indent float64, s string) {
	d.need(size + 4)
	d.y -= size + 4
	fmt.Fprintf(d.cur, "BT /%s %.1f Tf %.1f %.1f Td (%s) Tj ET\n", font, size, margin+indent, d.y, pdfText(s))
}

// para wraps s to the page width.
func (d *pdfDoc) para(font string, size, indent float64, s string) {
	max := int((pageW - 2*margin - indent) / (size * 0.5))
	for _, raw := range strings.Split(s, "\n") {
		words := strings.Fields(raw)
		var cur string
		for _, w := range words {
			if cur != "" && utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(w) > max {
				d.line(font, size, indent, cur)
				cur = ""
			}
			if cur != "" {
				cur += " "
			}
			cur += w
		}
		if cur != "" || len(words) == 0 {
			d.line(font, size, indent, cur)
		}
	}
}

func (d *pdfDoc) gap(h float64) { d.need(h); d.y -= h }

func (d *pdfDoc) rect(x, y, w, h float64, r, g, b float64) {
	fmt.Fprintf(d.cur, "%.3f %.3f %.3f rg %.1f %.1f %.1f %.1f re f 0 0 0 rg\n", r, g, b, x, y, w, h)
}

// bars draws the chart of svgBars in PDF.
func (d *pdfDoc) bars(title string, labels []string, cur, prev []float64, max float64, format func(float64) string) {
	d.need(30 + 30*float64(len(labels)))
	d.line("F2", 11, 0, title)
	if max <= 0 {
		max = 1
	}
	span := pageW - 2*margin - 200
	for i, l := range labels {
		d.y -= 28
		fmt.Fprintf(d.cur, "BT /F1 9 Tf %.1f %.1f Td (%s) Tj ET\n", margin, d.y+8, pdfText(l))
		cw, pw := span*cur[i]/max, span*prev[i]/max
		d.rect(margin+110, d.y+12, cw, 10, 0.12, 0.31, 0.47)
		fmt.Fprintf(d.cur, "BT /F1 8 Tf %.1f %.1f Td (%s) Tj ET\n", margin+114+cw, d.y+13, pdfText(format(cur[i])+" this round"))
		d.rect(margin+110, d.y, pw, 10, 0.62, 0.76, 0.9)
		fmt.Fprintf(d.cur, "BT /F1 8 Tf %.1f %.1f Td (%s) Tj ET\n", margin+114+pw, d.y+1, pdfText(format(prev[i])+" previous"))
	}
	d.gap(10)
}

// WritePDF writes the report as a PDF: the same sections as the HTML, the
// charts drawn as vector rectangles. The figures' JSON is not embedded:
// the HTML file is the one to verify.
func WritePDF(w io.Writer, rep *Report) error {
	d := &pdfDoc{}
	f := rep.Figures
	d.para("F2", 16, 0, "Progress report: "+rep.Round.Title)
	d.para("F1", 10, 0, fmt.Sprintf("Round %d (%s, %s). Prepared by %s on %s; exercise traffic excluded.", f.Round, rep.Round.Date,
		rep.Round.Place, f.Origin, rep.Generated.Format("2006-01-02 15:04 MST")))
	per := fmt.Sprintf("Period %s - %s", f.Current.From.Format("2006-01-02"), f.Current.To.Format("2006-01-02 15:04"))
	if f.Previous != nil {
		per += fmt.Sprintf(", compared with round %d (%s - %s)", f.Previous.Round, f.Previous.From.Format("2006-01-02"), f.Previous.To.Format("2006-01-02"))
	}
	d.para("F1", 10, 0, per+".")
	d.gap(8)
	d.line("F2", 13, 0, "Commitments")
	for _, c := range rep.Round.Commitments {
		var owners []string
		for _, o := range c.Owners {
			owners = append(owners, strings.TrimSuffix(o.Party+" "+o.Agency, " "))
		}
		d.para("F1", 9, 0, fmt.Sprintf("[%s] %s (owners %s%s)", strings.ToUpper(c.Status), c.Text, strings.Join(owners, ", "),
			map[bool]string{true: "; due " + c.Due, false: ""}[c.Due != ""]))
		for _, e := range c.Evidence {
			d.para("F1", 8, 14, fmt.Sprintf("evidence: %s %s %s %s", e.Kind, e.Ref, e.Date, e.Note))
		}
	}
	if len(rep.Round.Commitments) == 0 {
		d.line("F1", 9, 0, "No commitments recorded for this round.")
	}
	d.gap(8)
	d.line("F2", 13, 0, "Requests by direction (trend against the previous round)")
	for _, t := range rep.Trends() {
		c, p := t.Cur, t.Prev
		d.para("F1", 9, 0, fmt.Sprintf("%s -> %s: sent %d (%s); acknowledged in time %.1f%% (%d/%d, %s); answered in time %.1f%% (%d/%d, %s); "+
			"median/p90 to acknowledge %s/%s; to answer %s/%s (median %s); refused %d %s",
			c.From, c.To, c.Sent, funcs["deltai"].(func(int, int) string)(c.Sent, p.Sent), c.AckShare*100, c.AckOnTime, c.AckDue,
			funcs["deltapct"].(func(float64, float64) string)(c.AckShare, p.AckShare), c.AnswerShare*100, c.AnswerOnTime, c.AnswerDue,
			funcs["deltapct"].(func(float64, float64) string)(c.AnswerShare, p.AnswerShare), humanDuration(c.AckMedianS), humanDuration(c.AckP90S),
			humanDuration(c.AnswerMedianS), humanDuration(c.AnswerP90S), funcs["deltadur"].(func(float64, float64) string)(c.AnswerMedianS, p.AnswerMedianS),
			c.Refused, funcs["refusals"].(func(map[string]int) string)(c.RefusedBy)))
	}
	d.gap(6)
	pct := func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }
	l, cu, pr, _ := chartData(rep, func(f RequestFigures) float64 { return f.AckShare })
	d.bars("Share acknowledged within deadline", l, cu, pr, 1, pct)
	l, cu, pr, _ = chartData(rep, func(f RequestFigures) float64 { return f.AnswerShare })
	d.bars("Share answered within deadline", l, cu, pr, 1, pct)
	l, cu, pr, mx := chartData(rep, func(f RequestFigures) float64 { return f.AnswerMedianS / 3600 })
	d.bars("Median time to answer (hours)", l, cu, pr, mx, func(f float64) string { return fmt.Sprintf("%.2f h", f) })
	d.line("F2", 13, 0, "Requests by type, priority and category")
	for _, r := range f.Current.Requests {
		d.para("F1", 9, 0, fmt.Sprintf("%s -> %s %s %s %s: sent %d, ack. in time %.1f%%, answered in time %.1f%%, median answer %s, p90 %s, refused %d",
			r.From, r.To, r.Type, r.Priority, r.Category, r.Sent, r.AckShare*100, r.AnswerShare*100, humanDuration(r.AnswerMedianS),
			humanDuration(r.AnswerP90S), r.Refused))
	}
	d.gap(6)
	d.line("F2", 13, 0, "Hotline drills and intelligence shared (measured at "+f.Origin+", not signed)")
	for _, dr := range rep.Local.Drills {
		d.para("F1", 9, 0, fmt.Sprintf("drills with %s: %d, acknowledged %d, median %s, p90 %s, slowest %s", dr.Peer, dr.Drills, dr.Acked,
			humanDuration(dr.MedianS), humanDuration(dr.P90S), humanDuration(dr.MaxS)))
	}
	for _, in := range rep.Local.Intel {
		d.para("F1", 9, 0, fmt.Sprintf("%s -> %s %s: %d envelopes", in.From, in.To, in.Type, in.Count))
	}
	d.gap(6)
	d.line("F2", 13, 0, "Joint cases and leads (as recorded at "+f.Origin+", not signed)")
	for _, c := range rep.Local.Cases {
		d.para("F1", 9, 0, fmt.Sprintf("cases opened by %s, %s: %d opened, %d closed", c.Party, c.Category, c.Opened, c.Closed))
	}
	for _, l := range rep.Local.Leads {
		d.para("F1", 9, 0, fmt.Sprintf("leads %s -> %s, %s: %d sent, %d accepted, %d declined", l.From, l.To, l.Category, l.Sent, l.Accepted, l.Declined))
	}
	if len(rep.Local.Cases)+len(rep.Local.Leads) == 0 {
		d.line("F1", 9, 0, "No cases or leads in this period.")
	}
	d.gap(6)
	d.line("F2", 13, 0, "The record these figures were computed at")
	d.para("F1", 9, 0, fmt.Sprintf("Checkpoint of %s, size %d, root %s, signed %s:", f.Checkpoint.Origin, f.Checkpoint.Size, f.Checkpoint.Root,
		f.Checkpoint.At.Format("2006-01-02 15:04:05 MST")))
	for _, ln := range strings.Split(strings.TrimRight(f.Checkpoint.Note, "\n"), "\n") {
		d.line("F3", 7, 10, ln)
	}
	sig := "Signed by " + f.Origin
	for _, c := range rep.Cosignatures {
		sig += "; cosigned by " + c.Party
	}
	d.para("F1", 9, 0, sig+". Verify the HTML report with `liaison report verify FILE --dir DIR`.")
	return d.write(w)
}

func (d *pdfDoc) write(w io.Writer) error {
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
			pageW, pageH, 7+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", p.Len(), p.Bytes()))
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&out, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	_, err := w.Write(out.Bytes())
	return err
}
