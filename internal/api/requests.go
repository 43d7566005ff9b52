package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/hotline"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/validation"
)

// TypeInfo is a request type's declaration with its JSON Schema.
type TypeInfo struct {
	request.Schema
	JSONSchema map[string]any `json:"json_schema"`
	// Deadlines are the default limits per priority.
	Deadlines map[string]string `json:"deadlines"`
}

// ActionRequest is the body of a request action. Which fields matter
// depends on the action: refuse needs ground and reasons; answer needs
// completeness and answer (and preserved_until for a full answer to a
// preservation request); ask_info, provide_info, postpone and withdraw
// need a note; link needs linked_mla.
type ActionRequest struct {
	Note           string `json:"note,omitempty"`
	Ground         string `json:"ground,omitempty"`
	Reasons        string `json:"reasons,omitempty"`
	Completeness   string `json:"completeness,omitempty"`
	Answer         string `json:"answer,omitempty"`
	PreservedUntil string `json:"preserved_until,omitempty" format:"date-time"`
	LinkedMLA      string `json:"linked_mla,omitempty"`
	// Attach sends the files added since the last action.
	Attach bool `json:"attach,omitempty"`
}

// DrillRequest asks for a hotline drill with a peer.
type DrillRequest struct {
	Peer string `json:"peer"`
}

// ScheduleRequest schedules drills with a peer.
type ScheduleRequest struct {
	Peer string `json:"peer"`
	// Every is a Go duration, at least 1h ("168h" for weekly).
	Every string `json:"every"`
	// First is the first drill's time (RFC 3339); empty for now + every.
	First string `json:"first,omitempty" format:"date-time"`
}

// NoticeView is a notice of the hotline.
type NoticeView struct {
	ID        string    `json:"id"`
	CallID    string    `json:"call_id,omitempty"`
	RequestID string    `json:"request_id,omitempty"`
	Kind      string    `json:"kind"`
	Level     int       `json:"level"`
	Audience  string    `json:"audience"`
	Channel   string    `json:"channel"`
	Target    string    `json:"target"`
	Subject   string    `json:"subject"`
	Created   time.Time `json:"created"`
	State     string    `json:"state"`
	Attempts  int       `json:"attempts"`
	Sent      time.Time `json:"sent,omitzero"`
}

func init() {
	routes = append(routes, requestRoutes...)
	schemaHooks = append(schemaHooks, requestFieldSchemas)
}

// requestFieldSchemas publishes each request type's fields schema, the
// same declaration that validates them, and ties Draft.fields to them.
func requestFieldSchemas(schemas map[string]any) {
	var refs []any
	for _, sc := range request.Schemas() {
		name := "RequestFields_" + strings.ReplaceAll(string(sc.Type), "-", "_")
		js := sc.JSONSchema()
		js["title"] = sc.Title + " (" + sc.Basis + ")"
		schemas[name] = js
		refs = append(refs, map[string]any{"$ref": "#/components/schemas/" + name})
	}
	draft, _ := schemas["Draft"].(map[string]any)
	if props, ok := draft["properties"].(map[string]any); ok {
		props["fields"] = map[string]any{"oneOf": refs, "description": "the fields of the request's type (see RequestFields_<type>); every missing or malformed field is named in the 422 problem"}
	}
}

var requestRoutes = []Route{
	{Method: "GET", Path: "/requests/types", Perm: auth.RequestRead, Summary: "Request types: legal basis, routing, fields (with JSON Schema) and default deadlines", Response: []TypeInfo{},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			out := []TypeInfo{}
			for _, sc := range request.Schemas() {
				ti := TypeInfo{Schema: sc, JSONSchema: sc.JSONSchema(), Deadlines: map[string]string{}}
				for _, pr := range request.Priorities {
					ti.Deadlines[string(pr)] = request.DefaultLimits(sc.Type, pr).String()
				}
				out = append(out, ti)
			}
			writeJSON(w, http.StatusOK, out)
			return nil
		}},
	{Method: "GET", Path: "/requests", Perm: auth.RequestRead, Summary: "Requests the caller may see, newest first; filter by ?status=&type=&party=&priority=&direction=in|out&overdue=true&due_within=1h&limit=", Response: []request.View{},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			q := r.URL.Query()
			f := request.Filter{Type: request.Type(q.Get("type")), Party: q.Get("party"), Priority: request.Priority(q.Get("priority")), Direction: q.Get("direction"), Limit: 100}
			for _, st := range q["status"] {
				for _, x := range strings.Split(st, ",") {
					f.Status = append(f.Status, request.Status(x))
				}
			}
			var errs validation.Errors
			if v := q.Get("overdue"); v != "" {
				b, err := strconv.ParseBool(v)
				if err != nil {
					errs.Add("overdue", "must be true or false")
				}
				f.Overdue = b
			}
			if v := q.Get("due_within"); v != "" {
				d, err := time.ParseDuration(v)
				if err != nil || d <= 0 {
					errs.Add("due_within", "must be a positive duration such as 1h")
				}
				f.DueWithin = d
			}
			if v := q.Get("limit"); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > store.ListLimit {
					errs.Add("limit", fmt.Sprintf("must be between 1 and %d", store.ListLimit))
				}
				f.Limit = n
			}
			if f.Direction != "" && f.Direction != "in" && f.Direction != "out" {
				errs.Add("direction", "must be in or out")
			}
			if err := errs.Err(); err != nil {
				return err
			}
			l, err := s.Requests.List(r.Context(), p, f)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, l)
			return nil
		}},
	{Method: "POST", Path: "/requests", Perm: auth.RequestWrite, Summary: "Create a draft request; fields are validated against the type's schema (GET /requests/types)", Body: request.Draft{}, Response: request.View{}, Status: http.StatusCreated,
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			var d request.Draft
			if err := decode(w, r, s.MaxBody, &d); err != nil {
				return err
			}
			v, err := s.Requests.Create(r.Context(), p, d)
			if err != nil {
				return requestError(w, r, err)
			}
			writeJSON(w, http.StatusCreated, v)
			return nil
		}},
	{Method: "GET", Path: "/requests/{id}", Perm: auth.RequestRead, Summary: "A request with its state, deadline clock, allowed actions and full timeline", Response: request.View{},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			v, err := s.Requests.Get(r.Context(), p, r.PathValue("id"))
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, v)
			return nil
		}},
	{Method: "POST", Path: "/requests/{id}/actions/{action}", Perm: auth.RequestWrite, Summary: "Take an action: send, acknowledge, start, ask_info, provide_info, postpone, resume, answer, refuse, extend, withdraw, close, link, accept_conditions, decline_conditions (409 lists the allowed ones)", Body: ActionRequest{}, Response: request.View{},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			var a ActionRequest
			if err := decode(w, r, s.MaxBody, &a); err != nil {
				return err
			}
			in := request.ActInput{EventData: request.EventData{Note: a.Note, Ground: a.Ground, Reasons: a.Reasons, Completeness: a.Completeness,
				Answer: a.Answer, LinkedMLA: a.LinkedMLA}, Attach: a.Attach}
			if a.PreservedUntil != "" {
				t, err := parseTimes(map[string]string{"preserved_until": a.PreservedUntil})
				if err != nil {
					return err
				}
				in.PreservedUntil = t["preserved_until"]
			}
			v, err := s.Requests.Act(r.Context(), p, r.PathValue("id"), request.Action(r.PathValue("action")), in)
			if err != nil {
				return requestError(w, r, err)
			}
			writeJSON(w, http.StatusOK, v)
			return nil
		}},
	{Method: "POST", Path: "/requests/{id}/attachments", Perm: auth.RequestWrite, Summary: "Add an evidence file (raw body, ?name=FILE); it is sent with the next action that attaches files", Response: store.RequestAttachment{}, Status: http.StatusCreated,
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			a, err := s.Requests.AddAttachment(r.Context(), p, r.PathValue("id"), r.URL.Query().Get("name"), http.MaxBytesReader(w, r.Body, request.MaxAttachment))
			if err != nil {
				return requestError(w, r, err)
			}
			writeJSON(w, http.StatusCreated, a)
			return nil
		}},
	{Method: "GET", Path: "/requests/{id}/attachments/{att}", Perm: auth.RequestRead, Summary: "Download an evidence file (recorded in its chain of custody)",
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			a, rc, err := s.Requests.OpenAttachment(r.Context(), p, r.PathValue("id"), r.PathValue("att"))
			if err != nil {
				return requestError(w, r, err)
			}
			defer rc.Close()
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", a.Name))
			w.Header().Set("Content-Length", strconv.FormatInt(a.Size, 10))
			w.Header().Set("X-Content-SHA256", a.SHA256)
			_, err = io.Copy(w, rc)
			return err
		}},
	{Method: "GET", Path: "/requests/{id}/attachments/{att}/custody", Perm: auth.RequestRead, Summary: "An evidence file's chain of custody", Response: []store.CustodyEntry{},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			l, err := s.Requests.Custody(r.Context(), p, r.PathValue("id"), r.PathValue("att"))
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, l)
			return nil
		}},
	{Method: "GET", Path: "/hotline/calls", Perm: auth.HotlineRead, Summary: "Hotline calls, newest first; ?open=true&drill=true|false&peer=", Response: []hotline.CallView{},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			q := r.URL.Query()
			f := store.CallFilter{Open: q.Get("open") == "true", Peer: q.Get("peer"), Limit: 200}
			if v := q.Get("drill"); v != "" {
				b := v == "true"
				f.Drill = &b
			}
			l, err := s.Hotline.Calls(r.Context(), f)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, l)
			return nil
		}},
	{Method: "POST", Path: "/hotline/calls/{id}/ack", Perm: auth.HotlineOperate, Summary: "Acknowledge an incoming call (a drill's acknowledgement goes back to the caller)", Response: hotline.CallView{},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			v, err := s.Hotline.Ack(r.Context(), p.Actor(), r.PathValue("id"))
			if err != nil {
				return requestError(w, r, err)
			}
			writeJSON(w, http.StatusOK, v)
			return nil
		}},
	{Method: "GET", Path: "/hotline/drills", Perm: auth.HotlineRead, Summary: "Drill results: every drill with its time to acknowledgement", Response: []hotline.CallView{},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			yes := true
			l, err := s.Hotline.Calls(r.Context(), store.CallFilter{Drill: &yes, Peer: r.URL.Query().Get("peer"), Limit: 200})
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, l)
			return nil
		}},
	{Method: "POST", Path: "/hotline/drills", Perm: auth.HotlineOperate, Summary: "Ring a peer's hotline as a drill (flagged as a test); the time to acknowledge is recorded", Body: DrillRequest{}, Response: hotline.CallView{}, Status: http.StatusCreated,
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			var d DrillRequest
			if err := decode(w, r, s.MaxBody, &d); err != nil {
				return err
			}
			if d.Peer == "" {
				return validation.Errors{{Field: "peer", Detail: "is required"}}
			}
			v, err := s.Hotline.Drill(r.Context(), p.Actor(), d.Peer)
			if err != nil {
				return requestError(w, r, err)
			}
			writeJSON(w, http.StatusCreated, v)
			return nil
		}},
	{Method: "POST", Path: "/hotline/schedules", Perm: auth.HotlineOperate, Summary: "Schedule recurring drills with a peer", Body: ScheduleRequest{}, Response: store.DrillSchedule{}, Status: http.StatusCreated,
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			var sr ScheduleRequest
			if err := decode(w, r, s.MaxBody, &sr); err != nil {
				return err
			}
			var errs validation.Errors
			if sr.Peer == "" {
				errs.Add("peer", "is required")
			}
			every, err := time.ParseDuration(sr.Every)
			if err != nil || every < time.Hour {
				errs.Add("every", "must be a duration of at least 1h, such as 168h")
			}
			first := s.Auth.Clock.Now().Add(every)
			if sr.First != "" {
				ts, err := parseTimes(map[string]string{"first": sr.First})
				if err != nil {
					fe, _ := validation.As(err)
					errs = append(errs, fe...)
				}
				first = ts["first"]
			}
			if err := errs.Err(); err != nil {
				return err
			}
			d, err := s.Hotline.Schedule(r.Context(), p.Actor(), sr.Peer, every, first)
			if err != nil {
				return requestError(w, r, err)
			}
			writeJSON(w, http.StatusCreated, d)
			return nil
		}},
	{Method: "GET", Path: "/hotline/notices", Perm: auth.HotlineRead, Summary: "Notices sent for calls, escalations and deadline breaches; ?call=&request=", Response: []NoticeView{},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			l, err := s.Store.ListNotices(r.Context(), r.URL.Query().Get("call"), r.URL.Query().Get("request"), 200)
			if err != nil {
				return err
			}
			out := make([]NoticeView, len(l))
			for i, n := range l {
				out[i] = NoticeView{ID: n.ID, CallID: n.CallID, RequestID: n.RequestID, Kind: n.Kind, Level: n.Level, Audience: n.Audience,
					Channel: n.Channel, Target: n.Target, Subject: n.Subject, Created: n.Created, State: []string{"pending", "sent", "failed"}[n.State],
					Attempts: n.Attempts, Sent: n.Sent}
			}
			writeJSON(w, http.StatusOK, out)
			return nil
		}},
}

// requestError writes the problems particular to requests and the
// hotline, and hands every other error back to writeError.
func requestError(w http.ResponseWriter, r *http.Request, err error) error {
	var te *request.TransitionError
	switch {
	case errors.As(err, &te):
		allowed := make([]string, len(te.Allowed))
		for i, a := range te.Allowed {
			allowed[i] = string(a)
		}
		writeProblem(w, r, Problem{Type: ProblemType + "transition", Title: "Action not allowed now", Status: http.StatusConflict, Detail: te.Error(),
			Errors: []validation.FieldError{{Field: "action", Detail: "allowed now: " + strings.Join(allowed, ", ")}}})
	case errors.Is(err, request.ErrConditions):
		writeProblem(w, r, Problem{Type: ProblemType + "conditions", Status: http.StatusConflict, Detail: "accept the use conditions before opening this information"})
	case errors.Is(err, hotline.ErrNotIncoming):
		writeProblem(w, r, Problem{Type: ProblemType + "conflict", Status: http.StatusConflict, Detail: "only the called party acknowledges a call"})
	case errors.Is(err, hotline.ErrSchedule), errors.Is(err, federation.ErrUnknownPeer), errors.Is(err, store.ErrNotFound) && strings.HasPrefix(err.Error(), "peer "):
		writeProblem(w, r, Problem{Type: ProblemType + "validation", Title: "Invalid input", Status: http.StatusUnprocessableEntity,
			Errors: []validation.FieldError{{Field: "peer", Detail: "not a paired peer"}}})
	default:
		return err
	}
	return nil
}
