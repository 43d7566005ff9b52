package progress

import (
	"fmt"
	"io"
	"strings"

	"github.com/liaison-dev/liaison/internal/pdf"
)

// WritePDF writes the report as a PDF: the same sections as the HTML, the
// charts drawn as vector rectangles. The figures' JSON is not embedded:
// the HTML file is the one to verify.
func WritePDF(w io.Writer, rep *Report) error {
	d := &pdf.Doc{}
	f := rep.Figures
	d.Para(pdf.Bold, 16, 0, "Progress report: "+rep.Round.Title)
	d.Para(pdf.Regular, 10, 0, fmt.Sprintf("Round %d (%s, %s). Prepared by %s on %s; exercise traffic excluded.", f.Round, rep.Round.Date,
		rep.Round.Place, f.Origin, rep.Generated.Format("2006-01-02 15:04 MST")))
	per := fmt.Sprintf("Period %s - %s", f.Current.From.Format("2006-01-02"), f.Current.To.Format("2006-01-02 15:04"))
	if f.Previous != nil {
		per += fmt.Sprintf(", compared with round %d (%s - %s)", f.Previous.Round, f.Previous.From.Format("2006-01-02"), f.Previous.To.Format("2006-01-02"))
	}
	d.Para(pdf.Regular, 10, 0, per+".")
	d.Gap(8)
	d.Line(pdf.Bold, 13, 0, "Commitments")
	for _, c := range rep.Round.Commitments {
		var owners []string
		for _, o := range c.Owners {
			owners = append(owners, strings.TrimSuffix(o.Party+" "+o.Agency, " "))
		}
		d.Para(pdf.Regular, 9, 0, fmt.Sprintf("[%s] %s (owners %s%s)", strings.ToUpper(c.Status), c.Text, strings.Join(owners, ", "),
			map[bool]string{true: "; due " + c.Due, false: ""}[c.Due != ""]))
		for _, e := range c.Evidence {
			d.Para(pdf.Regular, 8, 14, fmt.Sprintf("evidence: %s %s %s %s", e.Kind, e.Ref, e.Date, e.Note))
		}
	}
	if len(rep.Round.Commitments) == 0 {
		d.Line(pdf.Regular, 9, 0, "No commitments recorded for this round.")
	}
	d.Gap(8)
	d.Line(pdf.Bold, 13, 0, "Requests by direction (trend against the previous round)")
	for _, t := range rep.Trends() {
		c, p := t.Cur, t.Prev
		d.Para(pdf.Regular, 9, 0, fmt.Sprintf("%s -> %s: sent %d (%s); acknowledged in time %.1f%% (%d/%d, %s); answered in time %.1f%% (%d/%d, %s); "+
			"median/p90 to acknowledge %s/%s; to answer %s/%s (median %s); refused %d %s",
			c.From, c.To, c.Sent, funcs["deltai"].(func(int, int) string)(c.Sent, p.Sent), c.AckShare*100, c.AckOnTime, c.AckDue,
			funcs["deltapct"].(func(float64, float64) string)(c.AckShare, p.AckShare), c.AnswerShare*100, c.AnswerOnTime, c.AnswerDue,
			funcs["deltapct"].(func(float64, float64) string)(c.AnswerShare, p.AnswerShare), humanDuration(c.AckMedianS), humanDuration(c.AckP90S),
			humanDuration(c.AnswerMedianS), humanDuration(c.AnswerP90S), funcs["deltadur"].(func(float64, float64) string)(c.AnswerMedianS, p.AnswerMedianS),
			c.Refused, funcs["refusals"].(func(map[string]int) string)(c.RefusedBy)))
	}
	d.Gap(6)
	pct := func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }
	l, cu, pr, _ := chartData(rep, func(f RequestFigures) float64 { return f.AckShare })
	d.Bars("Share acknowledged within deadline", l, cu, pr, 1, "this round", "previous", pct)
	l, cu, pr, _ = chartData(rep, func(f RequestFigures) float64 { return f.AnswerShare })
	d.Bars("Share answered within deadline", l, cu, pr, 1, "this round", "previous", pct)
	l, cu, pr, mx := chartData(rep, func(f RequestFigures) float64 { return f.AnswerMedianS / 3600 })
	d.Bars("Median time to answer (hours)", l, cu, pr, mx, "this round", "previous", func(f float64) string { return fmt.Sprintf("%.2f h", f) })
	d.Line(pdf.Bold, 13, 0, "Requests by type, priority and category")
	for _, r := range f.Current.Requests {
		d.Para(pdf.Regular, 9, 0, fmt.Sprintf("%s -> %s %s %s %s: sent %d, ack. in time %.1f%%, answered in time %.1f%%, median answer %s, p90 %s, refused %d",
			r.From, r.To, r.Type, r.Priority, r.Category, r.Sent, r.AckShare*100, r.AnswerShare*100, humanDuration(r.AnswerMedianS),
			humanDuration(r.AnswerP90S), r.Refused))
	}
	d.Gap(6)
	d.Line(pdf.Bold, 13, 0, "Hotline drills, intelligence shared and leads (signed)")
	for _, dr := range f.Current.Drills {
		d.Para(pdf.Regular, 9, 0, fmt.Sprintf("drills %s -> %s: %d, acknowledged %d, median %s, p90 %s, slowest %s", dr.From, dr.To, dr.Drills, dr.Acked,
			humanDuration(dr.MedianS), humanDuration(dr.P90S), humanDuration(dr.MaxS)))
	}
	for _, in := range f.Current.Intel {
		d.Para(pdf.Regular, 9, 0, fmt.Sprintf("%s -> %s %s: %d envelopes delivered", in.From, in.To, in.Type, in.Count))
	}
	for _, l := range f.Current.Leads {
		d.Para(pdf.Regular, 9, 0, fmt.Sprintf("leads %s -> %s, %s: %d sent, %d accepted, %d declined", l.From, l.To, l.Category, l.Sent, l.Accepted, l.Declined))
	}
	if len(f.Current.Drills)+len(f.Current.Intel)+len(f.Current.Leads) == 0 {
		d.Line(pdf.Regular, 9, 0, "No drills, no intelligence shared and no leads in this period.")
	}
	d.Gap(6)
	d.Line(pdf.Bold, 13, 0, "Joint cases (as recorded at "+f.Origin+", not signed)")
	for _, c := range rep.Local.Cases {
		d.Para(pdf.Regular, 9, 0, fmt.Sprintf("cases opened by %s, %s: %d opened, %d closed", c.Party, c.Category, c.Opened, c.Closed))
	}
	if len(rep.Local.Cases) == 0 {
		d.Line(pdf.Regular, 9, 0, "No cases opened or closed in this period.")
	}
	d.Gap(6)
	d.Line(pdf.Bold, 13, 0, "The record these figures were computed at")
	d.Para(pdf.Regular, 9, 0, fmt.Sprintf("Checkpoint of %s, size %d, root %s, signed %s:", f.Checkpoint.Origin, f.Checkpoint.Size, f.Checkpoint.Root,
		f.Checkpoint.At.Format("2006-01-02 15:04:05 MST")))
	for _, ln := range strings.Split(strings.TrimRight(f.Checkpoint.Note, "\n"), "\n") {
		d.Line(pdf.Mono, 7, 10, ln)
	}
	sig := "Signed by " + f.Origin
	for _, c := range rep.Cosignatures {
		sig += "; cosigned by " + c.Party
	}
	d.Para(pdf.Regular, 9, 0, sig+". Verify the HTML report with `liaison report verify FILE --dir DIR`.")
	_, err := d.WriteTo(w)
	return err
}
