package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/directory"
	"github.com/liaison-dev/liaison/internal/hotline"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/store"
)

// dashboardData is the desk's overview.
type dashboardData struct {
	Waiting  []hotline.CallView
	DueSoon  []request.View
	Overdue  []request.View
	OnCall   directory.OnCall
	Services bool
}

func (s *Server) openCalls(r *http.Request) ([]hotline.CallView, error) {
	if s.Hotline == nil {
		return nil, nil
	}
	calls, err := s.Hotline.Calls(r.Context(), store.CallFilter{Open: true, Limit: 50})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(calls, func(c hotline.CallView) bool { return c.Direction != "in" }), nil
}

// dashboardData loads what the dashboard shows, each part only for the
// roles that may see it.
func (s *Server) dashboardData(r *http.Request) (dashboardData, error) {
	p := fromContext(r.Context()).P
	var d dashboardData
	var err error
	d.Services = s.Requests != nil && s.Hotline != nil
	if p.Can(auth.HotlineRead) {
		if d.Waiting, err = s.openCalls(r); err != nil {
			return d, err
		}
	}
	if s.Requests != nil && p.Can(auth.RequestRead) {
		if d.Overdue, err = s.Requests.List(r.Context(), p, request.Filter{Overdue: true, Limit: 50}); err != nil {
			return d, err
		}
		soon, err := s.Requests.List(r.Context(), p, request.Filter{DueWithin: time.Hour, Limit: 50})
		if err != nil {
			return d, err
		}
		for _, rq := range soon {
			if !rq.Clock.Overdue {
				d.DueSoon = append(d.DueSoon, rq)
			}
		}
	}
	return d, nil
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "dash.title")
	d, err := s.dashboardData(r)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if d.OnCall, err = s.Directory.OnCallAt(r.Context(), s.now()); err != nil {
		s.internal(w, r, err)
		return
	}
	v.D = d
	s.render(w, r, http.StatusOK, "dashboard", v)
}

// dashboardLists is the dashboard's live part (the counts and the lists
// of waiting calls, overdue requests and those due within the hour), which
// the console's script fetches again when the hotline's calls change.
func (s *Server) dashboardLists(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "dash.title")
	d, err := s.dashboardData(r)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	v.D = d
	s.renderTemplate(w, r, http.StatusOK, "dashboard", "dashlists", v)
}

type hotlineData struct {
	OnCall   directory.OnCall
	Open     []hotline.CallView
	Recent   []hotline.CallView
	Drills   []hotline.CallView
	Peers    []store.Peer
	Disabled bool
}

func (s *Server) hotlinePage(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "hotline.title")
	var d hotlineData
	var err error
	ctx := r.Context()
	if d.OnCall, err = s.Directory.OnCallAt(ctx, s.now()); err != nil {
		s.internal(w, r, err)
		return
	}
	if d.Peers, err = s.Store.ListPeers(ctx); err != nil {
		s.internal(w, r, err)
		return
	}
	if s.Hotline == nil {
		d.Disabled = true
	} else {
		if d.Open, err = s.openCalls(r); err != nil {
			s.internal(w, r, err)
			return
		}
		if d.Recent, err = s.Hotline.Calls(ctx, store.CallFilter{Limit: 50}); err != nil {
			s.internal(w, r, err)
			return
		}
		drill := true
		if d.Drills, err = s.Hotline.Calls(ctx, store.CallFilter{Drill: &drill, Limit: 50}); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	v.D = d
	v.Flash = r.URL.Query().Get("flash")
	if !strings.HasPrefix(v.Flash, "flash.") {
		v.Flash = ""
	}
	s.render(w, r, http.StatusOK, "hotline", v)
}

// hotlineOpen is the hotline page's table of open calls, which the
// console's script fetches again when the calls change.
func (s *Server) hotlineOpen(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "hotline.title")
	var d hotlineData
	if s.Hotline == nil {
		d.Disabled = true
	} else {
		var err error
		if d.Open, err = s.openCalls(r); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	v.D = d
	s.renderTemplate(w, r, http.StatusOK, "hotline", "opencalls", v)
}

func (s *Server) ackCall(w http.ResponseWriter, r *http.Request) {
	if s.Hotline == nil {
		s.fail(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	p := fromContext(r.Context()).P
	id := r.PathValue("id")
	call, err := s.Store.GetCall(r.Context(), id)
	if err != nil {
		s.domainErr(w, r, err)
		return
	}
	// A call for a request is answered by acknowledging the request, which
	// also stops the ringing; a drill, or a request this role may not act
	// on, is acknowledged as a call.
	acked := false
	if call.RequestID != "" && s.Requests != nil && !call.Outgoing && call.Acked.IsZero() {
		rv, gerr := s.Requests.Get(r.Context(), p, call.RequestID)
		if gerr == nil && slices.Contains(rv.Allowed, request.Acknowledge) {
			_, err := s.Requests.Act(r.Context(), p, call.RequestID, request.Acknowledge, request.ActInput{})
			var te *request.TransitionError
			switch {
			case errors.As(err, &te):
				// Someone acted on the request since the page was drawn.
				s.fail(w, r, http.StatusConflict, "err.conflict")
				return
			case err != nil:
				s.domainErr(w, r, err)
				return
			}
			acked = true
		}
	}
	if !acked {
		_, err = s.Hotline.Ack(r.Context(), p.Actor(), id)
	}
	switch {
	case errors.Is(err, hotline.ErrNotIncoming):
		s.fail(w, r, http.StatusConflict, "err.notincoming")
		return
	case err != nil:
		s.domainErr(w, r, err)
		return
	}
	next := safeNext(r.PostFormValue("next"))
	if next == "/" || next == "/hotline" {
		next += "?flash=flash.acked"
	}
	redirect(w, r, next)
}

func (s *Server) drill(w http.ResponseWriter, r *http.Request) {
	if s.Hotline == nil {
		s.fail(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	p := fromContext(r.Context()).P
	peer := r.PostFormValue("peer")
	if _, err := s.Store.GetPeer(r.Context(), peer); err != nil {
		s.domainErr(w, r, err)
		return
	}
	if _, err := s.Hotline.Drill(r.Context(), p.Actor(), peer); err != nil {
		s.domainErr(w, r, err)
		return
	}
	redirect(w, r, "/hotline?flash=flash.drill")
}

// events streams the hotline's open incoming calls as Server-Sent Events:
// an "alerts" event, whenever a call arrives, is acknowledged or
// escalates, carries the ids and the rendered alert banner; the script
// then fetches the page's live parts again (data-fragment). Browsers
// reconnect on their own; a stream lasts at most maxStream and ends when
// the node drains.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	// The server's write timeout is for ordinary pages; a stream lives
	// longer.
	_ = rc.SetWriteDeadline(time.Now().Add(maxStream + 30*time.Second))
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	p := fromContext(r.Context()).P
	canSee := p.Can(auth.HotlineRead)
	tick := time.NewTicker(s.Poll)
	defer tick.Stop()
	end := time.NewTimer(maxStream)
	defer end.Stop()
	last, beat := "-", time.Now()
	for {
		if canSee {
			calls, err := s.openCalls(r)
			if err != nil {
				if r.Context().Err() == nil {
					s.Log.Warn("web: events", "err", err)
				}
				return
			}
			ids, levels := make([]string, len(calls)), make([]string, len(calls))
			for i, c := range calls {
				ids[i], levels[i] = c.ID, c.ID+":"+strconv.Itoa(c.Level)
			}
			if key := strings.Join(levels, ","); key != last {
				last = key
				v := s.view(r, "hotline.title")
				v.D = calls
				var buf bytes.Buffer
				if err := s.execute(&buf, "hotline", "alerts", v); err != nil {
					s.Log.Error("web: alerts template", "err", err)
					return
				}
				msg, _ := json.Marshal(map[string]any{"ids": ids, "html": buf.String()})
				fmt.Fprintf(w, "event: alerts\ndata: %s\n\n", msg)
				if rc.Flush() != nil {
					return
				}
				beat = time.Now()
			}
		}
		if time.Since(beat) > 15*time.Second {
			fmt.Fprint(w, ": keep-alive\n\n")
			if rc.Flush() != nil {
				return
			}
			beat = time.Now()
		}
		select {
		case <-r.Context().Done():
			return
		case <-s.stop:
			return
		case <-end.C:
			return
		case <-tick.C:
		}
	}
}
