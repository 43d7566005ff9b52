package progress

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
)

// The report's HTML is one self-contained file: inline CSS, charts as
// inline SVG drawn here, no script, no external asset. Its figures travel
// with it as JSON in a non-executed <script type="application/json"> block
// (ReadReport extracts them), so the file is also what `liaison report
// verify` checks.

const reportScriptOpen = `<script type="application/json" id="liaison-report">`

// WriteHTML writes the report as a self-contained HTML page.
func WriteHTML(w io.Writer, rep *Report) error {
	data, err := json.Marshal(rep) // escapes <, > and & as \u003c...: safe inside <script>
	if err != nil {
		return err
	}
	v := htmlView{R: rep, JSON: template.JS(data)}
	v.Charts = []template.HTML{
		shareChart("Share acknowledged within deadline", rep, func(f RequestFigures) float64 { return f.AckShare }),
		shareChart("Share answered within deadline", rep, func(f RequestFigures) float64 { return f.AnswerShare }),
		timeChart("Median time to answer (hours)", rep, func(f RequestFigures) float64 { return f.AnswerMedianS / 3600 }),
	}
	return reportTmpl.Execute(w, v)
}

type htmlView struct {
	R      *Report
	JSON   template.JS
	Charts []template.HTML
}

// Trend is a direction's figures now and in the previous period.
type Trend struct {
	Cur, Prev RequestFigures
}

// Trends pairs each direction of the current period with the previous one.
func (r *Report) Trends() []Trend {
	prev := map[string]RequestFigures{}
	if r.Figures.Previous != nil {
		for _, f := range r.Figures.Previous.Directions {
			prev[f.From+f.To] = f
		}
	}
	var out []Trend
	for _, f := range r.Figures.Current.Directions {
		p := prev[f.From+f.To]
		if p.From == "" {
			p.From, p.To = f.From, f.To
		}
		out = append(out, Trend{Cur: f, Prev: p})
		delete(prev, f.From+f.To)
	}
	for _, p := range prev {
		out = append(out, Trend{Cur: RequestFigures{From: p.From, To: p.To}, Prev: p})
	}
	return out
}

var funcs = template.FuncMap{
	"pct":   func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
	"dur":   humanDuration,
	"date":  func(t interface{ Format(string) string }) string { return t.Format("2006-01-02 15:04 MST") },
	"delta": func(a, b float64) string { return signed(a - b) },
	"deltai": func(a, b int) string {
		return signed(float64(a - b))
	},
	"deltapct": func(a, b float64) string {
		d := (a - b) * 100
		if d == 0 {
			return "±0"
		}
		return fmt.Sprintf("%+.1f pt", d)
	},
	"deltadur": func(a, b float64) string {
		if a == b {
			return "±0"
		}
		s := humanDuration(math.Abs(a - b))
		if a < b {
			return "−" + s
		}
		return "+" + s
	},
	"refusals": func(m map[string]int) string {
		var parts []string
		for k, v := range m {
			parts = append(parts, fmt.Sprintf("%s: %d", k, v))
		}
		sortStrings(parts)
		return strings.Join(parts, ", ")
	},
}

func signed(d float64) string {
	if d == 0 {
		return "±0"
	}
	return fmt.Sprintf("%+g", d)
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func humanDuration(sec float64) string {
	switch {
	case sec == 0:
		return "—"
	case sec < 120:
		return fmt.Sprintf("%.1f s", sec)
	case sec < 2*3600:
		return fmt.Sprintf("%.1f min", sec/60)
	case sec < 3*86400:
		return fmt.Sprintf("%.1f h", sec/3600)
	}
	return fmt.Sprintf("%.1f d", sec/86400)
}

// svgBars draws grouped bars: for each label, the current value (dark) and
// the previous (light), scaled to max.
func svgBars(title string, labels []string, cur, prev []float64, max float64, format func(float64) string) template.HTML {
	const w, rowH, left = 640, 34, 120
	h := 40 + rowH*len(labels) + 20
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		w, h, w, h, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<text x="0" y="18" font-size="14" font-weight="bold">%s</text>`, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<rect x="%d" y="26" width="10" height="10" fill="#1f4e79"/><text x="%d" y="35" font-size="11">this round</text>`, left, left+14)
	fmt.Fprintf(&b, `<rect x="%d" y="26" width="10" height="10" fill="#9dc3e6"/><text x="%d" y="35" font-size="11">previous round</text>`, left+100, left+114)
	if max <= 0 {
		max = 1
	}
	span := float64(w - left - 90)
	for i, l := range labels {
		y := 44 + i*rowH
		fmt.Fprintf(&b, `<text x="0" y="%d" font-size="12">%s</text>`, y+16, template.HTMLEscapeString(l))
		cw := int(span * cur[i] / max)
		pw := int(span * prev[i] / max)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="13" fill="#1f4e79"/>`, left, y+2, cw)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11">%s</text>`, left+cw+4, y+13, format(cur[i]))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="13" fill="#9dc3e6"/>`, left, y+16, pw)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11">%s</text>`, left+pw+4, y+27, format(prev[i]))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func chartData(r *Report, val func(RequestFigures) float64) (labels []string, cur, prev []float64, max float64) {
	for _, t := range r.Trends() {
		labels = append(labels, t.Cur.From+" → "+t.Cur.To)
		c, p := val(t.Cur), val(t.Prev)
		cur, prev = append(cur, c), append(prev, p)
		max = math.Max(max, math.Max(c, p))
	}
	return
}

func shareChart(title string, r *Report, val func(RequestFigures) float64) template.HTML {
	labels, cur, prev, _ := chartData(r, val)
	return svgBars(title, labels, cur, prev, 1, func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) })
}

func timeChart(title string, r *Report, val func(RequestFigures) float64) template.HTML {
	labels, cur, prev, max := chartData(r, val)
	return svgBars(title, labels, cur, prev, max, func(f float64) string { return fmt.Sprintf("%.2f", f) })
}

// ReadReport extracts the report embedded in an HTML report, or reads a
// report given as JSON.
func ReadReport(data []byte) (*Report, error) {
	body := bytes.TrimSpace(data)
	if i := bytes.Index(data, []byte(reportScriptOpen)); i >= 0 {
		rest := data[i+len(reportScriptOpen):]
		j := bytes.Index(rest, []byte("</script>"))
		if j < 0 {
			return nil, ErrNoReport
		}
		body = rest[:j]
	} else if len(body) == 0 || body[0] != '{' {
		return nil, ErrNoReport
	}
	var r Report
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoReport, err)
	}
	return &r, nil
}

var reportTmpl = template.Must(template.New("report").Funcs(funcs).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Progress report — round {{.R.Figures.Round}} — {{.R.Figures.Origin}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;width:100%;font-size:.9em;margin:.5em 0}th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f3f6fa}td.n{text-align:right;font-variant-numeric:tabular-nums}
.status-done{color:#0a6b2d;font-weight:bold}.status-open{color:#7a5b00}.status-in_progress{color:#1f4e79}.status-lapsed,.status-missed{color:#a00}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:.8em}.note{color:#555;font-size:.9em}
</style></head><body>
<h1>Progress report: {{.R.Round.Title}}</h1>
<p>Round {{.R.Figures.Round}} ({{.R.Round.Date}}, {{.R.Round.Place}}){{range .R.Round.CoChairs}}; co-chair {{.Party}}: {{.Name}}{{end}}.</p>
<p>Figures of the period {{date .R.Figures.Current.From}} — {{date .R.Figures.Current.To}}{{with .R.Figures.Previous}}, compared with round {{.Round}} ({{date .From}} — {{date .To}}){{end}}.
Prepared by <b>{{.R.Figures.Origin}}</b> on {{date .R.Generated}}; exercise traffic excluded.</p>

<h2>Commitments</h2>
<table><tr><th>Commitment</th><th>Owners</th><th>Due</th><th>Status</th><th>Evidence</th></tr>
{{range .R.Round.Commitments}}<tr><td>{{.Text}}</td><td>{{range $i, $o := .Owners}}{{if $i}}, {{end}}{{$o.Party}}{{with $o.Agency}} ({{.}}){{end}}{{end}}</td>
<td>{{.Due}}</td><td class="status-{{.Status}}">{{.Status}}</td><td>{{range .Evidence}}{{.Kind}}: {{.Ref}}{{with .Date}} ({{.}}){{end}}{{with .Note}} — {{.}}{{end}}<br>{{end}}</td></tr>
{{else}}<tr><td colspan="5">No commitments recorded for this round.</td></tr>{{end}}
</table>

<h2>Requests by direction, with the trend against the previous round</h2>
<table><tr><th>Direction</th><th>Sent</th><th>Δ</th><th>Acknowledged in time</th><th>Δ</th><th>Answered in time</th><th>Δ</th>
<th>Median / p90 to acknowledge</th><th>Median / p90 to answer</th><th>Δ median answer</th><th>Refusals</th></tr>
{{range .R.Trends}}<tr><td>{{.Cur.From}} → {{.Cur.To}}</td><td class="n">{{.Cur.Sent}}</td><td class="n">{{deltai .Cur.Sent .Prev.Sent}}</td>
<td class="n">{{pct .Cur.AckShare}} ({{.Cur.AckOnTime}}/{{.Cur.AckDue}})</td><td class="n">{{deltapct .Cur.AckShare .Prev.AckShare}}</td>
<td class="n">{{pct .Cur.AnswerShare}} ({{.Cur.AnswerOnTime}}/{{.Cur.AnswerDue}})</td><td class="n">{{deltapct .Cur.AnswerShare .Prev.AnswerShare}}</td>
<td class="n">{{dur .Cur.AckMedianS}} / {{dur .Cur.AckP90S}}</td><td class="n">{{dur .Cur.AnswerMedianS}} / {{dur .Cur.AnswerP90S}}</td>
<td class="n">{{deltadur .Cur.AnswerMedianS .Prev.AnswerMedianS}}</td><td>{{.Cur.Refused}}{{with .Cur.RefusedBy}} ({{refusals .}}){{end}}</td></tr>
{{else}}<tr><td colspan="11">No requests in either period.</td></tr>{{end}}
</table>
{{range .Charts}}<figure>{{.}}</figure>{{end}}

<h2>Requests by type, priority and category</h2>
<table><tr><th>Direction</th><th>Type</th><th>Priority</th><th>Category</th><th>Sent</th><th>Ack. in time</th><th>Answered in time</th><th>Median ack.</th><th>Median answer</th><th>p90 answer</th><th>Refused</th></tr>
{{range .R.Figures.Current.Requests}}<tr><td>{{.From}} → {{.To}}</td><td>{{.Type}}</td><td>{{.Priority}}</td><td>{{.Category}}</td><td class="n">{{.Sent}}</td>
<td class="n">{{pct .AckShare}}</td><td class="n">{{pct .AnswerShare}}</td><td class="n">{{dur .AckMedianS}}</td><td class="n">{{dur .AnswerMedianS}}</td><td class="n">{{dur .AnswerP90S}}</td><td class="n">{{.Refused}}</td></tr>
{{else}}<tr><td colspan="11">No requests in this period.</td></tr>{{end}}
</table>

<h2>Hotline drills, intelligence shared and leads</h2>
<p class="note">Part of the signed figures, recomputed by the other party from its own record: drills from the call to its acknowledgement, intelligence envelopes delivered (with a receipt), leads between two parties.</p>
<table><tr><th>Caller</th><th>Called</th><th>Drills</th><th>Acknowledged</th><th>Median</th><th>p90</th><th>Slowest</th></tr>
{{range .R.Figures.Current.Drills}}<tr><td>{{.From}}</td><td>{{.To}}</td><td class="n">{{.Drills}}</td><td class="n">{{.Acked}}</td><td class="n">{{dur .MedianS}}</td><td class="n">{{dur .P90S}}</td><td class="n">{{dur .MaxS}}</td></tr>
{{else}}<tr><td colspan="7">No drills in this period.</td></tr>{{end}}</table>
<table><tr><th>From</th><th>To</th><th>Type</th><th>Envelopes</th></tr>
{{range .R.Figures.Current.Intel}}<tr><td>{{.From}}</td><td>{{.To}}</td><td>{{.Type}}</td><td class="n">{{.Count}}</td></tr>
{{else}}<tr><td colspan="4">No intelligence shared in this period.</td></tr>{{end}}</table>
<table><tr><th>From</th><th>To</th><th>Category</th><th>Leads sent</th><th>Accepted</th><th>Declined</th></tr>
{{range .R.Figures.Current.Leads}}<tr><td>{{.From}}</td><td>{{.To}}</td><td>{{.Category}}</td><td class="n">{{.Sent}}</td><td class="n">{{.Accepted}}</td><td class="n">{{.Declined}}</td></tr>
{{else}}<tr><td colspan="6">No leads in this period.</td></tr>{{end}}</table>
<h2>Joint cases</h2>
<p class="note">As recorded at {{.R.Figures.Origin}}'s node (a case counted by the party that opened it; the other party holds only the cases shared with it); shown, not part of the signed figures. Closed: status closed, last updated in the period.</p>
<table><tr><th>Opened by</th><th>Category</th><th>Opened</th><th>Closed</th></tr>
{{range .R.Local.Cases}}<tr><td>{{.Party}}</td><td>{{.Category}}</td><td class="n">{{.Opened}}</td><td class="n">{{.Closed}}</td></tr>
{{else}}<tr><td colspan="4">No cases opened or closed in this period.</td></tr>{{end}}</table>

<h2>The record these figures were computed at</h2>
<p>Checkpoint of <code>{{.R.Figures.Checkpoint.Origin}}</code>, size {{.R.Figures.Checkpoint.Size}}, root <code>{{.R.Figures.Checkpoint.Root}}</code>, signed {{date .R.Figures.Checkpoint.At}}:</p>
<pre>{{.R.Figures.Checkpoint.Note}}</pre>
<p>Signed by {{.R.Figures.Origin}}{{range .R.Cosignatures}}; cosigned by {{.Party}} on {{date .At}}{{else}}; not yet cosigned{{end}}.
The other party checks it with <code>liaison report verify FILE --dir DIR</code>, which recomputes every signed figure from its own record.</p>
` + reportScriptOpen + `{{.JSON}}</script>
</body></html>
`))
