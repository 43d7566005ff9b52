package web

import (
	"net/http"
	"strings"

	"github.com/liaison-dev/liaison/internal/casework"
)

// Cases.

type casesData struct {
	Cases      []casework.Summary
	Q          string
	Category   string
	Categories []casework.Category
}

func categoryCodes() []casework.Category {
	out := make([]casework.Category, len(casework.Categories))
	for i, c := range casework.Categories {
		out[i] = c.Code
	}
	return out
}

func (s *Server) casesPage(w http.ResponseWriter, r *http.Request) {
	if s.Cases == nil {
		s.fail(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	v := s.view(r, "case.title")
	q := r.URL.Query()
	d := casesData{Q: strings.TrimSpace(q.Get("q")), Category: q.Get("category"), Categories: categoryCodes()}
	var err error
	d.Cases, err = s.Cases.List(r.Context(), fromContext(r.Context()).P, casework.Filter{Text: d.Q, Category: d.Category, Limit: 200})
	if err != nil {
		s.domainErr(w, r, err)
		return
	}
	v.D = d
	s.render(w, r, http.StatusOK, "cases", v)
}

func (s *Server) caseDetail(w http.ResponseWriter, r *http.Request) {
	if s.Cases == nil {
		s.fail(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	v := s.view(r, "case.detail")
	c, err := s.Cases.Get(r.Context(), fromContext(r.Context()).P, r.PathValue("id"))
	if err != nil {
		s.domainErr(w, r, err)
		return
	}
	v.D = c
	s.render(w, r, http.StatusOK, "case", v)
}
