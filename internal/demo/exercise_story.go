package demo

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/exercise"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/store"
)

// The exercise part of the story: the hotline drill schedule and the
// ransomware scenario are played accelerated through the real nodes,
// scored, reported, and shown to stay out of real figures.
func init() {
	Steps = append(Steps,
		Step{"exercise: the ransomware tabletop plays through US and CN, scores the late emergency acknowledgement, writes the report; no exercise request is listed as real", stepExercise},
	)
}

// Targets are the world's nodes as the exercise runner reaches them:
// each node's API with its pinned certificate and a demo login per role.
func (w *World) Targets() ([]*exercise.Target, error) {
	var out []*exercise.Target
	for _, r := range w.Nodes {
		c, err := NewClient(r)
		if err != nil {
			return nil, err
		}
		t := &exercise.Target{Party: r.Party.Code, URL: r.URL(), HTTP: c.HTTP, Logins: map[auth.Role]exercise.Login{}, Store: r.Node.Store}
		for _, a := range r.Party.Accounts {
			t.Logins[a.Role] = exercise.Login{User: a.Username, Password: Password}
		}
		out = append(out, t)
	}
	return out, nil
}

func stepExercise(ctx context.Context, s *Story) error {
	sc, err := exercise.LoadBundled("ransomware-hospital")
	if err != nil {
		return err
	}
	targets, err := s.World.Targets()
	if err != nil {
		return err
	}
	res, err := exercise.Run(ctx, sc, exercise.Options{Targets: targets, Play: []string{"US", "CN"},
		Clock: exercise.NewStepping(time.Now().UTC())})
	if err != nil {
		return err
	}
	if res.Total == 0 || res.Passed != res.Total-1 {
		return fmt.Errorf("score %d/%d, want all but the late acknowledgement: %v", res.Passed, res.Total, res.Weak)
	}
	html, err := exercise.ReportHTML(res)
	if err != nil {
		return err
	}
	if !bytes.Contains(html, []byte("EXERCISE")) || !bytes.Contains(html, []byte("<svg")) {
		return fmt.Errorf("report lacks the EXERCISE banner or its time line")
	}
	if err := exercise.Record(ctx, s.Node("US").Node.Store, s.World.Clock, "demo", res, html); err != nil {
		return err
	}
	real := false
	us := s.Node("US").Node
	views, err := us.Requests.List(ctx, &auth.Principal{User: store.User{Roles: []string{string(auth.Officer)}}}, request.Filter{Exercise: &real})
	if err != nil {
		return err
	}
	for _, v := range views {
		if v.Exercise {
			return fmt.Errorf("exercise request %s listed as real", v.Reference)
		}
	}
	return nil
}
