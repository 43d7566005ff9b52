package exercise

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

// Report writes the after-action report: one self-contained HTML page (no
// external assets, no scripts) with the time line of injects and
// responses as inline SVG, the scores per party and per inject, the
// missed deadlines, the weak points and the lessons. It is marked
// EXERCISE throughout.
func Report(w io.Writer, res *Result) error {
	return reportTmpl.Execute(w, map[string]any{"R": res, "Timeline": template.HTML(Timeline(res)), "Pct": pct,
		"Missed": missed(res)})
}

// ReportHTML is Report into memory.
func ReportHTML(res *Result) ([]byte, error) {
	var b bytes.Buffer
	err := Report(&b, res)
	return b.Bytes(), err
}

func pct(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }

// missed lists the deadlines that passed without the action.
func missed(res *Result) []string {
	var out []string
	for _, ir := range res.Injects {
		for _, c := range ir.Checks {
			if !c.Pass && strings.Contains(c.Name, " within ") {
				out = append(out, fmt.Sprintf("%s — %s (%s): %s", ir.ID, c.Name, c.Party, c.Detail))
			}
		}
	}
	return out
}

// Timeline draws the injects and responses on the exercise clock: one row
// per inject; a circle when it was sent, a bar up to its deadline, a
// diamond when acknowledged and a square when answered, green on time
// and red late. It returns an SVG element.
func Timeline(res *Result) string {
	const left, width, row, top = 200, 640, 26, 30
	end := res.Finished
	for _, ir := range res.Injects {
		end = maxTime(end, ir.AckDue, ir.RespondDue, ir.Responded, ir.Acknowledged)
	}
	span := end.Sub(res.Started)
	if span <= 0 {
		span = time.Minute
	}
	x := func(t time.Time) float64 { return left + float64(t.Sub(res.Started))/float64(span)*width }
	h := top + row*len(res.Injects) + 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="time line of injects and responses" font-family="sans-serif" font-size="11">`,
		left+width+40, h, left+width+40, h)
	fmt.Fprintf(&b, `<text x="%d" y="16" font-weight="bold" fill="#b00">EXERCISE</text>`, 4)
	for i := 0; i <= 4; i++ {
		xt := left + width*i/4
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#ddd"/><text x="%d" y="%d" text-anchor="middle" fill="#555">T+%s</text>`,
			xt, top-6, xt, h-24, xt, h-10, FormatDuration((span * time.Duration(i) / 4).Truncate(time.Second)))
	}
	for i, ir := range res.Injects {
		y := top + row*i + row/2
		fmt.Fprintf(&b, `<text x="4" y="%d" class="inject">%s</text>`, y+4, template.HTMLEscapeString(trunc(ir.ID+" "+ir.From+"→"+ir.To, 30)))
		if ir.Skipped != "" || ir.Sent.IsZero() {
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#888">%s</text>`, left, y+4, map[bool]string{true: "skipped", false: "not sent"}[ir.Skipped != ""])
			continue
		}
		due := maxTime(ir.AckDue, ir.RespondDue)
		if !due.IsZero() {
			fmt.Fprintf(&b, `<rect class="window" x="%.1f" y="%d" width="%.1f" height="6" fill="#cde"/>`, x(ir.Delivered), y-3, x(due)-x(ir.Delivered))
		}
		fmt.Fprintf(&b, `<circle class="sent" cx="%.1f" cy="%d" r="4" fill="#36c"><title>sent %s</title></circle>`, x(ir.Sent), y, ir.Sent.Format(time.RFC3339))
		if !ir.Acknowledged.IsZero() {
			col := onTime(ir.Acknowledged, ir.AckDue)
			fmt.Fprintf(&b, `<path class="ack" d="M%.1f %d l5 5 l-5 5 l-5 -5 z" fill="%s"><title>acknowledged</title></path>`, x(ir.Acknowledged), y-5, col)
		}
		if !ir.Responded.IsZero() {
			col := onTime(ir.Responded, ir.RespondDue)
			fmt.Fprintf(&b, `<rect class="response" x="%.1f" y="%d" width="8" height="8" fill="%s"><title>%s</title></rect>`, x(ir.Responded)-4, y-4, col, template.HTMLEscapeString(ir.Response))
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func onTime(t, due time.Time) string {
	if due.IsZero() || !t.After(due) {
		return "#2a2"
	}
	return "#c22"
}

func trunc(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"dur": func(a, b time.Time) string {
		if a.IsZero() || b.IsZero() {
			return "—"
		}
		return FormatDuration(b.Sub(a).Round(time.Second))
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>EXERCISE — after-action report: {{.R.Title}}</title>
<style>
body{font-family:sans-serif;margin:2em;color:#222;max-width:1000px}
.banner{background:#b00;color:#fff;padding:.4em 1em;font-weight:bold;letter-spacing:.1em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
.pass{color:#171}.fail{color:#b11;font-weight:bold}
</style></head><body>
<div class="banner">EXERCISE — not real traffic; excluded from every real figure</div>
<h1>After-action report: {{.R.Title}}</h1>
<p>Scenario <code>{{.R.Scenario}}</code>, run <code>{{.R.RunID}}</code>, parties {{range $i, $p := .R.Parties}}{{if $i}}, {{end}}{{$p}}{{end}}.
Started {{.R.Started.Format "2006-01-02 15:04:05 MST"}}, ended {{.R.Finished.Format "2006-01-02 15:04:05 MST"}} (exercise time).</p>
<h2>Overall score</h2>
<p id="overall" data-passed="{{.R.Passed}}" data-total="{{.R.Total}}"><strong>{{call .Pct .R.Score}}</strong> — {{.R.Passed}} of {{.R.Total}} checks passed.</p>
<table id="parties"><tr><th>Party</th><th>Passed</th><th>Checks</th><th>Score</th></tr>
{{range .R.Scores}}<tr><td>{{.Party}}</td><td>{{.Passed}}</td><td>{{.Total}}</td><td>{{call $.Pct .Score}}</td></tr>
{{end}}</table>
<h2>Time line</h2>
{{.Timeline}}
<p>● sent · ◆ acknowledged · ■ response — green on time, red late; the band runs from delivery to the last deadline.</p>
<h2>Injects</h2>
<table id="injects"><tr><th>Inject</th><th>From → to</th><th>Reference</th><th>To acknowledge</th><th>To respond</th><th>Checks</th></tr>
{{range .R.Injects}}<tr><td><strong>{{.ID}}</strong><br>{{.Title}}{{if .Type}}<br><small>{{.Type}}</small>{{end}}</td><td>{{.From}} → {{.To}}</td><td>{{.Reference}}</td>
<td>{{dur .Delivered .Acknowledged}}</td><td>{{dur .Delivered .Responded}} {{.Response}}</td>
<td>{{if .Skipped}}skipped: {{.Skipped}}{{end}}{{range .Checks}}<div class="{{if .Pass}}pass{{else}}fail{{end}}">{{if .Pass}}✓{{else}}✗{{end}} {{.Name}} ({{.Party}}){{if .Detail}} — {{.Detail}}{{end}}</div>{{end}}</td></tr>
{{end}}</table>
<h2>Missed deadlines</h2>
{{if .Missed}}<ul id="missed">{{range .Missed}}<li>{{.}}</li>{{end}}</ul>{{else}}<p id="missed">None.</p>{{end}}
<h2>Weak points</h2>
{{if .R.Weak}}<ul id="weak">{{range .R.Weak}}<li>{{.}}</li>{{end}}</ul>{{else}}<p id="weak">None found.</p>{{end}}
<h2>Lessons</h2>
<ul id="lessons">{{range .R.Lessons}}<li>{{.}}</li>{{end}}</ul>
<div class="banner">EXERCISE</div>
</body></html>
`))
