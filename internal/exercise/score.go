package exercise

import (
	"fmt"
	"slices"
	"time"

	"github.com/liaison-dev/liaison/internal/request"
)

// PartyScore is one party's share of the checks.
type PartyScore struct {
	Party  string  `json:"party"`
	Passed int     `json:"passed"`
	Total  int     `json:"total"`
	Score  float64 `json:"score"`
}

// score turns what happened into checks, party scores, the overall score,
// the weak points and the lessons.
func score(sc *Scenario, res *Result) {
	res.Passed, res.Total, res.Weak = 0, 0, []string{}
	per := map[string]*PartyScore{}
	for _, p := range sc.Parties {
		per[p.Code] = &PartyScore{Party: p.Code}
	}
	missedAck, missedAnswer, misrouted := 0, 0, 0
	for _, ir := range res.Injects {
		ir.Checks = []Check{}
		if ir.Skipped != "" {
			continue
		}
		in := ir.in
		add := func(name, party string, pass bool, detail string) {
			ir.Checks = append(ir.Checks, Check{Name: name, Party: party, Pass: pass, Detail: detail})
		}
		delivered := !ir.Delivered.IsZero()
		add("delivered", in.From, delivered, ir.Error)
		if in.Kind != KindHotline {
			add("routed to "+string(in.ExpectRole()), in.To, delivered && ir.Routed == "", ir.Routed)
			if in.Expect.Hotline {
				add("hotline rang", in.To, ir.HotlineRang, "")
			}
		}
		if d := time.Duration(in.Expect.Acknowledge); d > 0 {
			ok := delivered && !ir.Acknowledged.IsZero() && !ir.Acknowledged.After(ir.AckDue)
			detail := ""
			switch {
			case !delivered:
			case ir.Acknowledged.IsZero():
				detail = "never acknowledged"
				missedAck++
			case !ok:
				detail = "acknowledged after " + FormatDuration(ir.Acknowledged.Sub(ir.Delivered)) + ", deadline " + FormatDuration(d)
				missedAck++
			}
			add("acknowledged within "+FormatDuration(d), in.To, ok, detail)
		}
		if e := in.Expect; e.Respond != "" && e.Respond != "none" {
			ok := delivered && ir.Response == e.Respond && !ir.Responded.After(ir.RespondDue)
			detail := ""
			switch {
			case !delivered:
			case ir.Response == "":
				detail = "no response"
				missedAnswer++
			case ir.Response != e.Respond:
				detail = "responded " + ir.Response + ", expected " + e.Respond
			case !ok:
				detail = e.Respond + " after " + FormatDuration(ir.Responded.Sub(ir.Delivered)) + ", deadline " + FormatDuration(time.Duration(e.Within))
				missedAnswer++
			}
			add(e.Respond+" within "+FormatDuration(time.Duration(e.Within)), in.To, ok, detail)
			if e.Completeness != "" || e.Ground != "" {
				ok := ir.Response == e.Respond && ir.Completeness == e.Completeness && ir.Ground == e.Ground
				detail := ""
				if !ok && ir.Response == e.Respond {
					detail = fmt.Sprintf("completeness %q ground %q, expected %q %q", ir.Completeness, ir.Ground, e.Completeness, e.Ground)
				}
				add("required fields complete", in.To, ok, detail)
			}
		}
		if hasRefusable(in) {
			detail := map[string]string{"node": "the node refused the upload", "party": "the receiving party refused the request",
				"": "the media crossed and the request was not refused"}[ir.MediaRefused]
			add("media refused", in.To, ir.MediaRefused != "", detail)
		}
		if in.RequestType() == request.MLA && ir.Routed != "" {
			misrouted++
		}
		for _, c := range ir.Checks {
			ps := per[c.Party]
			ps.Total++
			res.Total++
			if c.Pass {
				ps.Passed++
				res.Passed++
				continue
			}
			w := fmt.Sprintf("%s (%s): %s", ir.ID, c.Party, c.Name)
			if c.Detail != "" {
				w += " — " + c.Detail
			}
			res.Weak = append(res.Weak, w)
		}
	}
	res.Scores = []PartyScore{}
	for _, p := range sc.Parties {
		ps := per[p.Code]
		ps.Score = ratio(ps.Passed, ps.Total)
		res.Scores = append(res.Scores, *ps)
	}
	res.Score = ratio(res.Passed, res.Total)
	res.Lessons = slices.Clone(sc.Lessons)
	if missedAck > 0 {
		res.Lessons = append(res.Lessons, fmt.Sprintf("%d acknowledgement deadline(s) missed: check the 24/7 roster and that the on-call officer is rung and escalated to.", missedAck))
	}
	if missedAnswer > 0 {
		res.Lessons = append(res.Lessons, fmt.Sprintf("%d response(s) missing or late: agree who drafts answers and when to ask for more information instead of waiting.", missedAnswer))
	}
	if misrouted > 0 {
		res.Lessons = append(res.Lessons, "MLA requests must reach the central authority only: review the central authority's accounts and routing.")
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}
