package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/validation"
)

// listData is the inbox/outbox page.
type listData struct {
	Requests []request.View
	Dir      string
	Filter   url.Values
	Types    []string
	Statuses []request.Status
	Disabled bool
}

func (s *Server) requestList(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "req.title")
	q := r.URL.Query()
	d := listData{Dir: q.Get("dir"), Filter: q, Types: request.Types(), Statuses: request.Statuses}
	if d.Dir != "out" && d.Dir != "all" {
		d.Dir = "in"
	}
	if s.Requests == nil {
		d.Disabled = true
		v.D = d
		s.render(w, r, http.StatusOK, "requests", v)
		return
	}
	f := request.Filter{Type: request.Type(q.Get("type")), Priority: request.Priority(q.Get("priority")), Party: q.Get("party"), Limit: 200}
	if d.Dir != "all" {
		f.Direction = d.Dir
	}
	if st := q.Get("status"); st != "" {
		f.Status = []request.Status{request.Status(st)}
	}
	switch q.Get("due") {
	case "overdue":
		f.Overdue = true
	case "hour":
		f.DueWithin = time.Hour
	}
	var err error
	if d.Requests, err = s.Requests.List(r.Context(), fromContext(r.Context()).P, f); err != nil {
		s.internal(w, r, err)
		return
	}
	v.D = d
	s.render(w, r, http.StatusOK, "requests", v)
}

// composeData is the compose form, generated from the type's schema.
type composeData struct {
	Types      []request.Schema
	Schema     *request.Schema
	Peers      []store.Peer
	Priorities []request.Priority
	Conditions []string
	Roles      []auth.Role
	Values     url.Values
}

func (s *Server) composeData(r *http.Request, typ string) (composeData, error) {
	p := fromContext(r.Context()).P
	d := composeData{Priorities: request.Priorities, Conditions: request.Conditions, Roles: auth.Roles}
	for _, sc := range request.Schemas() {
		if request.CanAct(sc.Type, p.User.Roles) {
			d.Types = append(d.Types, sc)
		}
	}
	for i := range d.Types {
		if string(d.Types[i].Type) == typ {
			d.Schema = &d.Types[i]
		}
	}
	peers, err := s.Store.ListPeers(r.Context())
	d.Peers = peers
	return d, err
}

func (s *Server) composeForm(w http.ResponseWriter, r *http.Request) {
	if s.Requests == nil {
		s.fail(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	d, err := s.composeData(r, r.URL.Query().Get("type"))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	v := s.view(r, "compose.title")
	v.D = d
	v.Values = url.Values{"priority": {"routine"}}
	if d.Schema != nil && d.Schema.Type == request.EmergencyDisclosure {
		v.Values.Set("priority", "emergency")
	}
	s.render(w, r, http.StatusOK, "compose", v)
}

// fieldKey is the form name of a schema field.
func fieldKey(name string) string { return "f." + name }

// draftFromForm reads the compose form into a draft. Values are passed on
// as typed; the request package validates them and names bad fields.
func draftFromForm(form url.Values, sc *request.Schema, loc *time.Location) request.Draft {
	d := request.Draft{Type: sc.Type, Priority: request.Priority(form.Get("priority")), To: form.Get("to"),
		Title: strings.TrimSpace(form.Get("title")), Confidential: form.Get("confidential") == "on",
		VisibleTo: form["visible_to"], Exercise: form.Get("exercise") == "on", Fields: map[string]any{}}
	for _, c := range form["conditions"] {
		if slices.Contains(request.Conditions, c) {
			d.Conditions = append(d.Conditions, c)
		}
	}
	if o := strings.TrimSpace(form.Get("condition_other")); o != "" {
		d.Conditions = append(d.Conditions, "other: "+o)
	}
	for _, f := range sc.Fields {
		k := fieldKey(f.Name)
		raw := strings.TrimSpace(form.Get(k))
		switch f.Kind {
		case request.Bool:
			if form.Get(k) == "on" {
				d.Fields[f.Name] = true
			}
		case request.EnumList:
			if vs := form[k]; len(vs) > 0 {
				d.Fields[f.Name] = toAny(vs)
			}
		case request.List:
			var lines []string
			for l := range strings.SplitSeq(raw, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					lines = append(lines, l)
				}
			}
			if len(lines) > 0 {
				d.Fields[f.Name] = toAny(lines)
			}
		case request.Time:
			if raw == "" {
				continue
			}
			if t, err := time.ParseInLocation("2006-01-02T15:04", raw, loc); err == nil {
				d.Fields[f.Name] = t.Format(time.RFC3339)
			} else {
				d.Fields[f.Name] = raw
			}
		case request.LongText:
			if strings.TrimSpace(form.Get(k)) != "" {
				d.Fields[f.Name] = form.Get(k)
			}
		default:
			if raw != "" {
				d.Fields[f.Name] = raw
			}
		}
	}
	return d
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func (s *Server) compose(w http.ResponseWriter, r *http.Request) {
	if s.Requests == nil {
		s.fail(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	d, err := s.composeData(r, r.PostFormValue("type"))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if d.Schema == nil {
		s.fail(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	v := s.view(r, "compose.title")
	p := fromContext(r.Context()).P
	draft := draftFromForm(r.PostForm, d.Schema, v.loc)
	created, err := s.Requests.Create(r.Context(), p, draft)
	if errs, ok := validation.As(err); ok {
		v.D, v.Values, v.Errors = d, r.PostForm, v.formErrors(errs)
		s.render(w, r, http.StatusUnprocessableEntity, "compose", v)
		return
	}
	if err != nil {
		s.domainErr(w, r, err)
		return
	}
	if _, err := s.Requests.Act(r.Context(), p, created.ID, request.Send, request.ActInput{}); err != nil {
		s.Log.Warn("web: send after create", "request", created.ID, "err", err)
		redirect(w, r, "/requests/"+created.ID+"?flash=flash.notsent")
		return
	}
	redirect(w, r, "/requests/"+created.ID+"?flash=flash.sent")
}

// detailData is a request's page.
type detailData struct {
	R       request.View
	Schema  request.Schema
	Custody map[string][]store.CustodyEntry
	Grounds []string
	// Act is the action whose form had errors.
	Act string
	// Problem says why an action was refused, in the user's language.
	Problem string
	// PreserveDefault prefills "preserved until" (90 days on).
	PreserveDefault string
	// AnswerDue is the answer deadline with pauses added.
	AnswerDue time.Time
}

func (s *Server) loadDetail(r *http.Request, v *View) (detailData, error) {
	p := fromContext(r.Context()).P
	id := r.PathValue("id")
	rv, err := s.Requests.Get(r.Context(), p, id)
	if err != nil {
		return detailData{}, err
	}
	d := detailData{R: rv, Grounds: request.Grounds, Custody: map[string][]store.CustodyEntry{},
		PreserveDefault: s.now().Add(90 * 24 * time.Hour).In(v.loc).Format("2006-01-02T15:04")}
	d.Schema, _ = request.Lookup(rv.Type)
	d.AnswerDue = rv.State.AnswerDue()
	for _, a := range rv.Attachments {
		c, err := s.Requests.Custody(r.Context(), p, id, a.ID)
		if err != nil {
			return d, err
		}
		d.Custody[a.ID] = c
	}
	return d, nil
}

func (s *Server) requestDetail(w http.ResponseWriter, r *http.Request) {
	if s.Requests == nil {
		s.fail(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	v := s.view(r, "req.detail")
	d, err := s.loadDetail(r, v)
	if err != nil {
		s.domainErr(w, r, err)
		return
	}
	v.D = d
	if f := r.URL.Query().Get("flash"); strings.HasPrefix(f, "flash.") {
		v.Flash = f
	}
	s.render(w, r, http.StatusOK, "request", v)
}

func (s *Server) act(w http.ResponseWriter, r *http.Request) {
	if s.Requests == nil {
		s.fail(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	p := fromContext(r.Context()).P
	v := s.view(r, "req.detail")
	id, action := r.PathValue("id"), request.Action(r.PostFormValue("action"))
	f := r.PostForm
	in := request.ActInput{EventData: request.EventData{Note: strings.TrimSpace(f.Get("note")), Ground: f.Get("ground"),
		Reasons: strings.TrimSpace(f.Get("reasons")), Completeness: f.Get("completeness"), Answer: strings.TrimSpace(f.Get("answer")),
		LinkedMLA: strings.TrimSpace(f.Get("linked_mla"))}, Attach: f.Get("attach") == "on"}
	var bad validation.Errors
	if pu := f.Get("preserved_until"); pu != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", pu, v.loc)
		if err != nil {
			bad.Add("preserved_until", "err.datetime")
		}
		in.PreservedUntil = t.UTC()
	}
	var err error
	if len(bad) > 0 {
		err = bad
	} else {
		_, err = s.Requests.Act(r.Context(), p, id, action, in)
	}
	if err == nil {
		redirect(w, r, "/requests/"+id+"?flash=flash.done")
		return
	}
	var te *request.TransitionError
	errs, isValidation := validation.As(err)
	if !isValidation && !errors.As(err, &te) {
		s.domainErr(w, r, err)
		return
	}
	d, lerr := s.loadDetail(r, v)
	if lerr != nil {
		s.domainErr(w, r, lerr)
		return
	}
	d.Act = string(action)
	status := http.StatusUnprocessableEntity
	if te != nil {
		d.Problem, status = v.transition(te), http.StatusConflict
	} else {
		v.Errors = v.formErrors(errs)
	}
	v.D, v.Values = d, f
	s.render(w, r, status, "request", v)
}

// upload streams an evidence file onto the request. The form sends the
// CSRF token before the file, so the token is checked before a byte of
// the file is stored.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	if s.Requests == nil {
		s.fail(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	sess := fromContext(r.Context())
	mr := multipartFrom(r)
	if mr == nil {
		s.fail(w, r, http.StatusBadRequest, "err.badform")
		return
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "file" || part.FileName() == "" {
		s.fail(w, r, http.StatusBadRequest, "err.badform")
		return
	}
	id := r.PathValue("id")
	_, err = s.Requests.AddAttachment(r.Context(), sess.P, id, part.FileName(), part)
	if errs, ok := validation.As(err); ok {
		v := s.view(r, "req.detail")
		d, lerr := s.loadDetail(r, v)
		if lerr != nil {
			s.domainErr(w, r, lerr)
			return
		}
		v.D, v.Errors = d, map[string]string{"file": v.message(errs[0])}
		s.render(w, r, http.StatusUnprocessableEntity, "request", v)
		return
	}
	if err != nil {
		s.domainErr(w, r, err)
		return
	}
	redirect(w, r, "/requests/"+id+"?flash=flash.uploaded")
}

func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	if s.Requests == nil {
		s.fail(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	p := fromContext(r.Context()).P
	a, rc, err := s.Requests.OpenAttachment(r.Context(), p, r.PathValue("id"), r.PathValue("att"))
	if errors.Is(err, request.ErrConditions) {
		s.fail(w, r, http.StatusConflict, "err.conditions")
		return
	}
	if err != nil {
		s.domainErr(w, r, err)
		return
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Name}))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	io.Copy(w, rc)
}
