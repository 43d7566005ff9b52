package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/web/locale"
)

// page is one parsed page: the layout, the shared partials and the page's
// own "content".
type page struct{ t *template.Template }

// View is what every template receives.
type View struct {
	Title    string // a locale key
	Lang     string
	User     *store.User
	Party    string
	NodeName string
	CSRF     string
	Path     string
	// Status, Message and Ref are set on error pages.
	Status  int
	Message string
	Ref     string
	// Errors maps form fields to messages (locale keys, or a domain
	// message shown as given); Values holds the submitted form.
	Errors map[string]string
	Values url.Values
	// Flash is a locale key shown once above the content.
	Flash string
	// Secret is shown once (a new API token).
	Secret string
	D      any

	p   locale.Printer
	loc *time.Location
}

// Can reports whether the user may do perm; templates use it to show only
// the links and buttons the user's role allows.
func (v *View) Can(perm string) bool {
	return v.User != nil && auth.Allowed(v.User.Roles, auth.Permission(perm))
}

// Err returns the message for a form field, translated.
func (v *View) Err(field string) string {
	m, ok := v.Errors[field]
	if !ok {
		return ""
	}
	return v.p.TOr(m, m)
}

// Val returns the submitted value of a form field.
func (v *View) Val(field string) string {
	if vs := v.Values[field]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// Checked reports whether a checkbox field was submitted with value.
func (v *View) Checked(field, value string) bool {
	for _, x := range v.Values[field] {
		if x == value {
			return true
		}
	}
	return false
}

func (s *Server) view(r *http.Request, title string) *View {
	v := &View{Title: title, Party: s.Party, NodeName: s.Name, Path: r.URL.Path, loc: time.UTC}
	if sess := fromContext(r.Context()); sess != nil {
		u := sess.P.User
		v.User, v.CSRF, v.Lang = &u, sess.CSRF, locale.Supported(u.Language)
		if l, err := time.LoadLocation(u.TimeZone); err == nil {
			v.loc = l
		}
	} else {
		v.Lang = locale.FromAcceptLanguage(r.Header.Get("Accept-Language"))
		if l := r.URL.Query().Get("lang"); l != "" {
			v.Lang = locale.Supported(l)
		}
	}
	v.p = locale.Printer{Lang: v.Lang}
	// A redirect after a form may name a message to show once.
	if f := r.URL.Query().Get("flash"); strings.HasPrefix(f, "flash.") && locale.Has(locale.Default, f) {
		v.Flash = f
	}
	return v
}

// funcs are the template functions; those bound to a request are
// replaced per request in render.
func funcs(v *View) template.FuncMap {
	if v == nil {
		v = &View{loc: time.UTC}
	}
	return template.FuncMap{
		"t":         v.p.T,
		"tor":       v.p.TOr,
		"when":      v.when,
		"countdown": v.countdown,
		"reason":    v.callReason,
		"dur":       v.dur,
		"csrf": func() template.HTML {
			return template.HTML(`<input type="hidden" name="` + csrfField + `" value="` + template.HTMLEscapeString(v.CSRF) + `">`)
		},
		"pretty": func(b []byte) string {
			var out bytes.Buffer
			if json.Indent(&out, b, "", "  ") != nil {
				return string(b)
			}
			return out.String()
		},
		"join":  strings.Join,
		"list3": func(a, b, c string) []string { return []string{a, b, c} },
		"fld": func(v *View, name, kind, label string, required bool) inputField {
			return inputField{V: v, Name: name, Kind: kind, Label: label, Required: required, Err: v.Err(name)}
		},
		"sfld": func(v *View, f request.Field) schemaField { return schemaField{V: v, F: f} },
		"afld": func(v *View, act, name, kind string) actField {
			return actField{V: v, Act: act, Name: name, Kind: kind}
		},
		"flabel": func(k string) string {
			if n, ok := strings.CutPrefix(k, "f."); ok {
				return v.p.T("field." + n)
			}
			return v.p.T("label." + k)
		},
		"value":    v.value,
		"contains": func(list []string, s string) bool { return contains(list, s) },
		"str":      func(x any) string { return fmt.Sprint(x) },
		"bytes":    humanBytes,
		"deref": func(b *bool) string {
			switch {
			case b == nil:
				return ""
			case *b:
				return "yes"
			}
			return "no"
		},
	}
}

type inputField struct {
	V                 *View
	Name, Kind, Label string
	Required          bool
	Err               string
}

type schemaField struct {
	V *View
	F request.Field
}

type actField struct {
	V          *View
	Name, Kind string
	Act        string
}

// value shows a request field's value.
func (v *View) value(x any) string {
	switch x := x.(type) {
	case bool:
		if x {
			return v.p.T("bool.yes")
		}
		return v.p.T("bool.no")
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			s := fmt.Sprint(e)
			parts[i] = v.p.TOr("value."+s, s)
		}
		return strings.Join(parts, "; ")
	case string:
		return v.p.TOr("value."+x, x)
	}
	return fmt.Sprint(x)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// when shows t in the user's time zone, with UTC on hover.
func (v *View) when(t time.Time) template.HTML {
	if t.IsZero() {
		return "—"
	}
	utc := t.UTC()
	return template.HTML(fmt.Sprintf(`<time datetime="%s" title="%s">%s</time>`, utc.Format(time.RFC3339),
		utc.Format("2006-01-02 15:04:05 UTC"), template.HTMLEscapeString(t.In(v.loc).Format("2006-01-02 15:04 MST"))))
}

// countdown shows the time left until due; the console's script keeps it
// ticking.
func (v *View) countdown(due time.Time) template.HTML {
	if due.IsZero() {
		return "—"
	}
	left := time.Until(due)
	text, class := v.p.T("time.left", v.dur(left)), "countdown"
	if left < 0 {
		text, class = v.p.T("time.overdue", v.dur(-left)), "countdown overdue"
	}
	utc := due.UTC()
	return template.HTML(fmt.Sprintf(`<time class="%s" datetime="%s" title="%s">%s</time>`, class, utc.Format(time.RFC3339),
		template.HTMLEscapeString(due.In(v.loc).Format("2006-01-02 15:04 MST")+" · "+utc.Format("15:04 UTC")), template.HTMLEscapeString(text)))
}

func (v *View) dur(d time.Duration) string {
	d = d.Round(time.Second)
	if d < 0 {
		d = -d
	}
	days := int(d / (24 * time.Hour))
	h, m, sec := int(d/time.Hour)%24, int(d/time.Minute)%60, int(d/time.Second)%60
	if days > 0 {
		return v.p.T("time.dhm", days, h, m)
	}
	return fmt.Sprintf("%02d:%02d:%02d", h, m, sec)
}

func mustParse() map[string]*page {
	names, err := fs.Glob(assets, "templates/pages/*.html")
	if err != nil || len(names) == 0 {
		panic("web: no page templates")
	}
	out := map[string]*page{}
	for _, n := range names {
		t, err := template.New("").Funcs(funcs(nil)).ParseFS(assets, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			panic("web: " + err.Error())
		}
		out[strings.TrimSuffix(path.Base(n), ".html")] = &page{t: t}
	}
	return out
}

// render executes a page into a buffer first, so a template failure
// becomes a clean error page rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, v *View) {
	s.renderTemplate(w, r, status, name, "layout", v)
}

func (s *Server) renderTemplate(w http.ResponseWriter, r *http.Request, status int, name, tmpl string, v *View) {
	var buf bytes.Buffer
	if err := s.execute(&buf, name, tmpl, v); err != nil {
		s.Log.Error("web: template", "page", name, "err", err)
		if name != "error" {
			s.internal(w, r, err)
		} else {
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", v.Lang)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) execute(buf *bytes.Buffer, name, tmpl string, v *View) error {
	pg, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("no page %q", name)
	}
	t, err := pg.t.Clone()
	if err != nil {
		return err
	}
	return t.Funcs(funcs(v)).ExecuteTemplate(buf, tmpl, v)
}
