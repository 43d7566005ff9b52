package web

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/liaison-dev/liaison/internal/progress"
)

// Progress: dialogue rounds, their commitments, and the timeliness figures
// computed from the record.

type progressData struct {
	Rounds  []progress.RoundSummary
	Round   progress.RoundDetail
	Metrics *progress.Metrics
	Days    int
}

// progressDays is the period of the figures shown.
const progressDays = 90

func (s *Server) progressPage(w http.ResponseWriter, r *http.Request) {
	if s.Progress == nil {
		s.fail(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	v := s.view(r, "progress.title")
	d := progressData{Days: progressDays}
	var err error
	if d.Rounds, err = s.Progress.Rounds(r.Context()); err != nil {
		s.internal(w, r, err)
		return
	}
	if len(d.Rounds) > 0 {
		n := d.Rounds[len(d.Rounds)-1].Number
		if q := r.URL.Query().Get("round"); q != "" {
			if n, err = strconv.Atoi(q); err != nil {
				s.fail(w, r, http.StatusNotFound, "err.notfound")
				return
			}
		}
		if d.Round, err = s.Progress.Round(r.Context(), n); err != nil {
			s.domainErr(w, r, err)
			return
		}
	}
	now := s.Clock.Now()
	if d.Metrics, err = s.Progress.Metrics(r.Context(), now.Add(-progressDays*24*time.Hour), now); err != nil {
		s.internal(w, r, err)
		return
	}
	v.D = d
	s.render(w, r, http.StatusOK, "progress", v)
}

// progressReport serves the self-contained HTML progress report of a round.
func (s *Server) progressReport(w http.ResponseWriter, r *http.Request) {
	if s.Progress == nil {
		s.fail(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	n, err := strconv.Atoi(r.URL.Query().Get("round"))
	if err != nil {
		s.fail(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	rep, err := s.Progress.Report(r.Context(), n)
	if err != nil {
		s.domainErr(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := progress.WriteHTML(&buf, rep); err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="liaison-progress-round-`+strconv.Itoa(n)+`.html"`)
	w.Write(buf.Bytes())
}
