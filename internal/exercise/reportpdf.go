package exercise

import (
	"fmt"
	"io"
	"time"

	"github.com/liaison-dev/liaison/internal/pdf"
)

// ReportPDF writes the after-action report as a PDF with the sections of
// the HTML report: scores, a bar chart per party, the time line of each
// inject, missed deadlines, weak points and lessons. Like the HTML, it is
// marked EXERCISE and needs nothing outside itself.
func ReportPDF(w io.Writer, res *Result) error {
	d := &pdf.Doc{}
	d.Para(pdf.Bold, 16, 0, "EXERCISE - After-action report: "+res.Title)
	d.Para(pdf.Regular, 10, 0, fmt.Sprintf("Scenario %s, run %s, parties %v. Played %s to %s (exercise clock).", res.Scenario, res.RunID, res.Parties,
		res.Started.UTC().Format("2006-01-02 15:04 MST"), res.Finished.UTC().Format("15:04 MST")))
	d.Para(pdf.Bold, 12, 0, fmt.Sprintf("Overall score %s (%d of %d checks passed)", pct(res.Score), res.Passed, res.Total))
	d.Gap(6)
	labels := make([]string, len(res.Scores))
	scores := make([]float64, len(res.Scores))
	for i, ps := range res.Scores {
		labels[i] = fmt.Sprintf("%s (%d/%d)", ps.Party, ps.Passed, ps.Total)
		scores[i] = ps.Score
	}
	d.Bars("Score by party", labels, scores, nil, 1, "", "", pct)
	d.Line(pdf.Bold, 13, 0, "Injects and responses")
	for _, ir := range res.Injects {
		d.Para(pdf.Bold, 9, 0, fmt.Sprintf("%s  %s  %s -> %s  %s", ir.ID, ir.Kind, ir.From, ir.To, ir.Title))
		if ir.Skipped != "" {
			d.Para(pdf.Regular, 8, 14, "skipped: "+ir.Skipped)
			continue
		}
		at := func(label string, t time.Time) {
			if !t.IsZero() {
				d.Line(pdf.Regular, 8, 14, fmt.Sprintf("%-13s T+%s", label, FormatDuration(t.Sub(res.Started).Truncate(time.Second))))
			}
		}
		at("sent", ir.Sent)
		at("delivered", ir.Delivered)
		at("ack. due", ir.AckDue)
		at("acknowledged", ir.Acknowledged)
		at("response due", ir.RespondDue)
		at("responded", ir.Responded)
		for _, c := range ir.Checks {
			mark := "PASS"
			if !c.Pass {
				mark = "FAIL"
			}
			d.Para(pdf.Regular, 8, 14, fmt.Sprintf("[%s] %s (%s) %s", mark, c.Name, c.Party, c.Detail))
		}
	}
	section := func(title string, lines []string) {
		d.Gap(6)
		d.Line(pdf.Bold, 13, 0, title)
		if len(lines) == 0 {
			d.Line(pdf.Regular, 9, 0, "None.")
		}
		for _, l := range lines {
			d.Para(pdf.Regular, 9, 0, "- "+l)
		}
	}
	section("Missed deadlines", missed(res))
	section("Weak points", res.Weak)
	section("Lessons", res.Lessons)
	d.Gap(6)
	d.Para(pdf.Regular, 8, 0, "Exercise traffic is flagged end to end and excluded from the progress figures.")
	_, err := d.WriteTo(w)
	return err
}
