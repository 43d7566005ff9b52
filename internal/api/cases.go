package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/casework"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/validation"
)

// PartyRequest names a party.
type PartyRequest struct {
	Party string `json:"party"`
	Note  string `json:"note,omitempty"`
}

// PermissionDecision grants or refuses onward sharing of an item.
type PermissionDecision struct {
	Party string `json:"party"`
	Grant bool   `json:"grant"`
	Note  string `json:"note,omitempty"`
}

// LeadDecision declines a lead with its reason (accept needs none).
type LeadDecision struct {
	Reason string `json:"reason,omitempty"`
}

// CategoryInfo is a category of the taxonomy with its task template.
type CategoryInfo struct {
	Code     casework.Category       `json:"code"`
	Title    string                  `json:"title"`
	Template []casework.TaskTemplate `json:"template"`
}

func init() { routes = append(routes, caseRoutes...) }

// caseHandler adapts a handler that returns a value to write with status.
func caseJSON(status int, fn func(s *Server, r *http.Request, p *auth.Principal) (any, error)) func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
		v, err := fn(s, r, p)
		if err != nil {
			return caseError(w, r, err)
		}
		writeJSON(w, status, v)
		return nil
	}
}

// caseBody decodes a JSON body into a new T and calls fn.
func caseBody[T any](status int, fn func(s *Server, r *http.Request, p *auth.Principal, in T) (any, error)) func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
		var in T
		if err := decode(w, r, s.MaxBody, &in); err != nil {
			return err
		}
		v, err := fn(s, r, p, in)
		if err != nil {
			return caseError(w, r, err)
		}
		writeJSON(w, status, v)
		return nil
	}
}

var caseRoutes = []Route{
	{Method: "GET", Path: "/cases/categories", Perm: auth.CaseRead, Summary: "The crime taxonomy of joint cases, each with its task template", Response: []CategoryInfo{},
		handle: caseJSON(200, func(s *Server, r *http.Request, p *auth.Principal) (any, error) {
			out := []CategoryInfo{}
			for _, c := range casework.Categories {
				t := casework.Templates[c.Code]
				if t == nil {
					t = []casework.TaskTemplate{}
				}
				out = append(out, CategoryInfo{Code: c.Code, Title: c.Title, Template: t})
			}
			return out, nil
		})},
	{Method: "GET", Path: "/cases", Perm: auth.CaseRead, Summary: "Search the cases the caller may see: ?q= (full text) &category=&status=&party=&limit=", Response: []casework.Summary{},
		handle: caseJSON(200, func(s *Server, r *http.Request, p *auth.Principal) (any, error) {
			q := r.URL.Query()
			f := casework.Filter{Text: q.Get("q"), Category: q.Get("category"), Status: q.Get("status"), Party: q.Get("party"), Limit: 100}
			if v := q.Get("limit"); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > store.ListLimit {
					return nil, validation.Errors{{Field: "limit", Detail: fmt.Sprintf("must be between 1 and %d", store.ListLimit)}}
				}
				f.Limit = n
			}
			return s.Cases.List(r.Context(), p, f)
		})},
	{Method: "POST", Path: "/cases", Perm: auth.CaseWrite, Summary: "Open a joint case with other parties (tasks from the category's template)", Body: casework.OpenInput{}, Response: casework.View{}, Status: http.StatusCreated,
		handle: caseBody(201, func(s *Server, r *http.Request, p *auth.Principal, in casework.OpenInput) (any, error) {
			return s.Cases.Open(r.Context(), p, in)
		})},
	{Method: "POST", Path: "/cases/bec", Perm: auth.CaseWrite, Summary: "BEC action plan: a report with the kill-chain fields opens a joint case with the beneficiary's party and sends it an emergency wire-recall request (72 hours from the transfer)", Body: casework.BECReport{}, Response: casework.BECResult{}, Status: http.StatusCreated,
		handle: caseBody(201, func(s *Server, r *http.Request, p *auth.Principal, in casework.BECReport) (any, error) {
			return s.Cases.ReportBEC(r.Context(), p, in)
		})},
	{Method: "GET", Path: "/cases/{id}", Perm: auth.CaseRead, Summary: "A case: header, parties, items, tasks concerning this party, money trail, timeline, correlation flags", Response: casework.View{},
		handle: caseJSON(200, func(s *Server, r *http.Request, p *auth.Principal) (any, error) {
			return s.Cases.Get(r.Context(), p, r.PathValue("id"))
		})},
	{Method: "POST", Path: "/cases/{id}/update", Perm: auth.CaseWrite, Summary: "Change title, summary, sub-categories or status (the opening party)", Body: casework.UpdateInput{}, Response: casework.View{},
		handle: caseBody(200, func(s *Server, r *http.Request, p *auth.Principal, in casework.UpdateInput) (any, error) {
			return s.Cases.Update(r.Context(), p, r.PathValue("id"), in)
		})},
	{Method: "POST", Path: "/cases/{id}/party", Perm: auth.CaseWrite, Summary: "This party's own case number, lead officer and agencies", Body: casework.PartyInfo{}, Response: casework.View{},
		handle: caseBody(200, func(s *Server, r *http.Request, p *auth.Principal, in casework.PartyInfo) (any, error) {
			return s.Cases.SetPartyInfo(r.Context(), p, r.PathValue("id"), in)
		})},
	{Method: "POST", Path: "/cases/{id}/items", Perm: auth.CaseWrite, Summary: "Share an item (note, indicator, account, wallet, email, hash, grading, reference, or a link to a request, intel object, sample or lead) with TLP, handling conditions and Admiralty evaluation", Body: casework.Item{}, Response: casework.View{}, Status: http.StatusCreated,
		handle: caseBody(201, func(s *Server, r *http.Request, p *auth.Principal, in casework.Item) (any, error) {
			return s.Cases.AddItem(r.Context(), p, r.PathValue("id"), in)
		})},
	{Method: "POST", Path: "/cases/{id}/trail", Perm: auth.CaseWrite, Summary: "Add an account to the money trail", Body: casework.Hop{}, Response: casework.View{}, Status: http.StatusCreated,
		handle: caseBody(201, func(s *Server, r *http.Request, p *auth.Principal, in casework.Hop) (any, error) {
			return s.Cases.AddHop(r.Context(), p, r.PathValue("id"), in)
		})},
	{Method: "POST", Path: "/cases/{id}/tasks", Perm: auth.CaseWrite, Summary: "Create a task (no id) or change one (owner, due, status); seen by the parties it concerns", Body: casework.Task{}, Response: casework.View{},
		handle: caseBody(200, func(s *Server, r *http.Request, p *auth.Principal, in casework.Task) (any, error) {
			return s.Cases.SaveTask(r.Context(), p, r.PathValue("id"), in)
		})},
	{Method: "POST", Path: "/cases/{id}/participants", Perm: auth.CaseWrite, Summary: "Add a participating party; it receives the history its handling allows", Body: PartyRequest{}, Response: casework.View{},
		handle: caseBody(200, func(s *Server, r *http.Request, p *auth.Principal, in PartyRequest) (any, error) {
			return s.Cases.AddParticipant(r.Context(), p, r.PathValue("id"), in.Party)
		})},
	{Method: "POST", Path: "/cases/{id}/items/{item}/share", Perm: auth.CaseWrite, Summary: "Share an item with a participant that lacks it; onward sharing needs the originator's permission unless the handling allows it (409)", Body: PartyRequest{}, Response: casework.View{},
		handle: caseBody(200, func(s *Server, r *http.Request, p *auth.Principal, in PartyRequest) (any, error) {
			return s.Cases.Share(r.Context(), p, r.PathValue("id"), r.PathValue("item"), in.Party)
		})},
	{Method: "POST", Path: "/cases/{id}/items/{item}/permission", Perm: auth.CaseWrite, Summary: "Ask the item's originator for permission to share it with a party", Body: PartyRequest{}, Response: casework.View{},
		handle: caseBody(200, func(s *Server, r *http.Request, p *auth.Principal, in PartyRequest) (any, error) {
			return s.Cases.RequestPermission(r.Context(), p, r.PathValue("id"), r.PathValue("item"), in.Party, in.Note)
		})},
	{Method: "POST", Path: "/cases/{id}/items/{item}/permission/decision", Perm: auth.CaseWrite, Summary: "Grant or refuse onward sharing of an item this party originated", Body: PermissionDecision{}, Response: casework.View{},
		handle: caseBody(200, func(s *Server, r *http.Request, p *auth.Principal, in PermissionDecision) (any, error) {
			return s.Cases.DecidePermission(r.Context(), p, r.PathValue("id"), r.PathValue("item"), in.Party, in.Grant, in.Note)
		})},
	{Method: "POST", Path: "/cases/{id}/attachments", Perm: auth.CaseWrite, Summary: "Add a file (raw body; ?name=&tlp=&source=&credibility=&conditions=); refused in CSAM cases, which take hashes only", Response: casework.View{}, Status: http.StatusCreated,
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			q := r.URL.Query()
			cred, _ := strconv.Atoi(q.Get("credibility"))
			h := casework.Handling{TLP: q.Get("tlp"), Source: q.Get("source"), Credibility: cred, Conditions: q["conditions"], Purpose: q.Get("purpose")}
			v, err := s.Cases.AddAttachment(r.Context(), p, r.PathValue("id"), q.Get("name"), h, http.MaxBytesReader(w, r.Body, casework.MaxAttachment))
			if err != nil {
				return caseError(w, r, err)
			}
			writeJSON(w, http.StatusCreated, v)
			return nil
		}},
	{Method: "GET", Path: "/cases/{id}/attachments/{att}", Perm: auth.CaseRead, Summary: "Download a case file",
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			a, rc, err := s.Cases.OpenAttachment(r.Context(), p, r.PathValue("id"), r.PathValue("att"))
			if err != nil {
				return caseError(w, r, err)
			}
			defer rc.Close()
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", a.Name))
			w.Header().Set("Content-Length", strconv.FormatInt(a.Size, 10))
			w.Header().Set("X-Content-SHA256", a.SHA256)
			_, err = io.Copy(w, rc)
			return err
		}},
	{Method: "GET", Path: "/leads", Perm: auth.CaseRead, Summary: "Leads sent and received, newest first; ?status=sent|accepted|declined&direction=in|out", Response: []casework.LeadView{},
		handle: caseJSON(200, func(s *Server, r *http.Request, p *auth.Principal) (any, error) {
			return s.Cases.ListLeads(r.Context(), p, r.URL.Query().Get("status"), r.URL.Query().Get("direction"))
		})},
	{Method: "POST", Path: "/leads", Perm: auth.CaseWrite, Summary: "Send a lead to a party, into a case (case_id) or as a proposal for a new one", Body: casework.LeadDraft{}, Response: casework.LeadView{}, Status: http.StatusCreated,
		handle: caseBody(201, func(s *Server, r *http.Request, p *auth.Principal, in casework.LeadDraft) (any, error) {
			return s.Cases.SendLead(r.Context(), p, in)
		})},
	{Method: "GET", Path: "/leads/{id}", Perm: auth.CaseRead, Summary: "A lead", Response: casework.LeadView{},
		handle: caseJSON(200, func(s *Server, r *http.Request, p *auth.Principal) (any, error) {
			return s.Cases.GetLead(r.Context(), p, r.PathValue("id"))
		})},
	{Method: "POST", Path: "/leads/{id}/accept", Perm: auth.CaseWrite, Summary: "Accept a received lead: a proposal opens a case with the sender; a lead into a case joins it", Body: LeadDecision{}, Response: casework.LeadView{},
		handle: caseBody(200, func(s *Server, r *http.Request, p *auth.Principal, in LeadDecision) (any, error) {
			return s.Cases.DecideLead(r.Context(), p, r.PathValue("id"), true, in.Reason)
		})},
	{Method: "POST", Path: "/leads/{id}/decline", Perm: auth.CaseWrite, Summary: "Decline a received lead, giving the reason", Body: LeadDecision{}, Response: casework.LeadView{},
		handle: caseBody(200, func(s *Server, r *http.Request, p *auth.Principal, in LeadDecision) (any, error) {
			return s.Cases.DecideLead(r.Context(), p, r.PathValue("id"), false, in.Reason)
		})},
}

// caseError writes the problems particular to cases and hands every other
// error back to writeError.
func caseError(w http.ResponseWriter, r *http.Request, err error) error {
	switch {
	case errors.Is(err, casework.ErrMedia):
		writeProblem(w, r, Problem{Type: ProblemType + "media-refused", Title: "Media refused", Status: http.StatusUnprocessableEntity,
			Detail: casework.ErrMedia.Error(), Errors: []validation.FieldError{{Field: "file", Detail: "CSAM cases take hashes, grading and reference ids only"}}})
	case errors.Is(err, casework.ErrHandling):
		writeProblem(w, r, Problem{Type: ProblemType + "handling", Title: "Onward sharing not permitted", Status: http.StatusConflict,
			Detail: "the item's handling conditions or TLP forbid sharing it with that party without its originator's permission; ask for it with POST .../permission"})
	case errors.Is(err, casework.ErrState):
		writeProblem(w, r, Problem{Type: ProblemType + "conflict", Status: http.StatusConflict, Detail: err.Error()})
	default:
		return err
	}
	return nil
}
