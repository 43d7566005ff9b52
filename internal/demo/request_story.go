package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-dev/liaison/internal/api"
	"github.com/liaison-dev/liaison/internal/hotline"
	"github.com/liaison-dev/liaison/internal/request"
)

// The requests-for-assistance part of the story (issue 4).

func requestFields(extra map[string]any) map[string]any {
	f := map[string]any{
		"requesting_authority": "FBI Cyber Division", "requesting_officer": "Dana Whitfield", "requesting_email": "duty@fbi.example",
		"requesting_phone": "+1 202 555 0141", "time_zone": "America/New_York", "legal_basis": "18 U.S.C. 2703(f); Budapest Convention Art. 29",
		"offences": []string{"18 U.S.C. 1030 computer intrusion"}, "summary": "Intrusion into a hospital network; the attacker staged data on a cloud server in the requested party.",
	}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

// poll asks get until ok or the deadline.
func poll(ctx context.Context, what string, get func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		ok, err := get()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			return fmt.Errorf("%s: timed out", what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func waitStatus(ctx context.Context, c *Client, id string, want request.Status) (request.View, error) {
	var v request.View
	err := poll(ctx, "request "+id+" to be "+string(want), func() (bool, error) {
		r, err := c.Do(ctx, "GET", "/api/v1/requests/"+id, nil)
		if err != nil || r.Status != 200 {
			return false, err
		}
		if err := r.JSON(&v); err != nil {
			return false, err
		}
		return v.State.Status == want, nil
	})
	return v, err
}

func createAndSend(ctx context.Context, c *Client, d request.Draft) (request.View, error) {
	var v request.View
	if _, err := c.Expect(ctx, 201, "POST", "/api/v1/requests", d, &v); err != nil {
		return v, err
	}
	_, err := c.Expect(ctx, 200, "POST", "/api/v1/requests/"+v.ID+"/actions/send", api.ActionRequest{}, &v)
	return v, err
}

func stepPreservation(ctx context.Context, s *Story) error {
	us, cn := s.Clients["US"].As("us-officer"), s.Clients["CN"].As("cn-officer")
	// A bad draft names every missing field at once.
	if err := expectProblem(ctx, us, 422, "POST", "/api/v1/requests", request.Draft{Type: request.Preservation, Priority: request.Routine,
		To: "CN", Title: "x", Fields: map[string]any{}}, "fields.custodian"); err != nil {
		return err
	}
	v, err := createAndSend(ctx, us, request.Draft{Type: request.Preservation, Priority: request.Routine, To: "CN",
		Title: "Preserve the staging server's logs", Fields: requestFields(map[string]any{
			"data_to_preserve": "Access and content logs of server 203.0.113.7, 2026-10-01 to 2026-11-01", "relation_to_offence": "The stolen records were staged there",
			"custodian": "Example Cloud Ltd., Hangzhou", "necessity": "Logs are deleted after 30 days", "mla_to_follow": true})})
	if err != nil {
		return err
	}
	got, err := waitStatus(ctx, cn, v.ID, request.Delivered)
	if err != nil {
		return err
	}
	if got.Clock.Phase != "acknowledge" || got.Clock.Due.IsZero() {
		return fmt.Errorf("CN's acknowledgement clock: %+v", got.Clock)
	}
	// Answering before acknowledging is refused, naming what is allowed.
	if err := expectProblem(ctx, cn, 409, "POST", "/api/v1/requests/"+v.ID+"/actions/answer", api.ActionRequest{Completeness: "full", Answer: "x"}, "action"); err != nil {
		return err
	}
	if _, err := cn.Expect(ctx, 200, "POST", "/api/v1/requests/"+v.ID+"/actions/acknowledge", api.ActionRequest{}, nil); err != nil {
		return err
	}
	until := time.Now().Add(90 * 24 * time.Hour).UTC().Format(time.RFC3339)
	if _, err := cn.Expect(ctx, 200, "POST", "/api/v1/requests/"+v.ID+"/actions/answer", api.ActionRequest{Completeness: "full",
		Answer: "Logs preserved; reference HZ-2026-1182", PreservedUntil: until}, nil); err != nil {
		return err
	}
	final, err := waitStatus(ctx, us, v.ID, request.Answered)
	if err != nil {
		return err
	}
	cnView, err := waitStatus(ctx, cn, v.ID, request.Answered)
	if err != nil {
		return err
	}
	if len(final.Timeline) != 4 || len(cnView.Timeline) != 4 || final.State.PreservedUntil.IsZero() || final.Clock.AckOnTime == nil || !*final.Clock.AckOnTime {
		return fmt.Errorf("US sees %d events, CN %d; state %+v", len(final.Timeline), len(cnView.Timeline), final.State)
	}
	return nil
}

func stepEmergencyEscalates(ctx context.Context, s *Story) error {
	us := s.Clients["US"].As("us-officer")
	cnSup := s.Clients["CN"].As("cn-supervisor")
	v, err := createAndSend(ctx, us, request.Draft{Type: request.EmergencyDisclosure, Priority: request.Emergency, To: "CN",
		Title: "Threat to a child's life", Fields: requestFields(map[string]any{
			"risk_facts": "A user announced a plan to harm a named child within hours", "relation_to_risk": "The account's subscriber and last IP locate the user",
			"data_sought": "Subscriber information and last login IP of account kid_hunter_88"})})
	if err != nil {
		return err
	}
	if _, err := waitStatus(ctx, cnSup, v.ID, request.Delivered); err != nil {
		return err
	}
	if _, err := waitStatus(ctx, us, v.ID, request.Delivered); err != nil {
		return err
	}
	var calls []hotline.CallView
	find := func(id string) (hotline.CallView, error) {
		if _, err := cnSup.Expect(ctx, 200, "GET", "/api/v1/hotline/calls?open=true", nil, &calls); err != nil {
			return hotline.CallView{}, err
		}
		for _, c := range calls {
			if c.RequestID == v.ID && (id == "" || c.ID == id) {
				return c, nil
			}
		}
		return hotline.CallView{}, fmt.Errorf("no hotline call for the emergency request at CN")
	}
	call, err := find("")
	if err != nil {
		return err
	}
	if call.Level != hotline.LevelPrimary {
		return fmt.Errorf("call starts at level %d", call.Level)
	}
	// Nobody at CN acknowledges. 31 minutes pass on the world's clock.
	s.World.Clock.Advance(31 * time.Minute)
	for _, code := range []string{"CN", "US"} {
		n := s.Node(code).Node
		for range 2 { // one level per sweep: backup, then supervisor
			if _, err := n.Hotline.Sweep(ctx); err != nil {
				return err
			}
		}
		if _, err := n.Requests.Sweep(ctx); err != nil {
			return err
		}
	}
	if call, err = find(call.ID); err != nil {
		return err
	}
	if call.Level != hotline.LevelSupervisor {
		return fmt.Errorf("after 31 minutes the call is at level %d, want the supervisor (2)", call.Level)
	}
	var notices []api.NoticeView
	if _, err := cnSup.Expect(ctx, 200, "GET", "/api/v1/hotline/notices?call="+call.ID, nil, &notices); err != nil {
		return err
	}
	audiences := map[string]bool{}
	for _, n := range notices {
		audiences[n.Audience] = true
	}
	if !audiences["on_call_primary"] || !audiences["on_call_backup"] || !audiences["supervisor"] {
		return fmt.Errorf("notices went to %v", audiences)
	}
	// The acknowledgement deadline breach is recorded on both sides.
	for code, c := range map[string]*Client{"CN": cnSup, "US": s.Clients["US"].As("us-supervisor")} {
		var got request.View
		if _, err := c.Expect(ctx, 200, "GET", "/api/v1/requests/"+v.ID, nil, &got); err != nil {
			return err
		}
		if !got.Clock.Overdue || len(got.Escalations) == 0 || got.Escalations[0].Phase != "acknowledge" {
			return fmt.Errorf("%s: overdue %v, escalations %+v", code, got.Clock.Overdue, got.Escalations)
		}
	}
	var overdue []request.View
	if _, err := cnSup.Expect(ctx, 200, "GET", "/api/v1/requests?overdue=true&priority=emergency", nil, &overdue); err != nil {
		return err
	}
	if len(overdue) != 1 || overdue[0].ID != v.ID {
		return fmt.Errorf("CN's overdue view: %d requests", len(overdue))
	}
	return nil
}

func stepDrill(ctx context.Context, s *Story) error {
	us, cn := s.Clients["US"].As("us-officer"), s.Clients["CN"].As("cn-officer")
	var call hotline.CallView
	if _, err := us.Expect(ctx, 201, "POST", "/api/v1/hotline/drills", api.DrillRequest{Peer: "CN"}, &call); err != nil {
		return err
	}
	err := poll(ctx, "the drill to ring at CN", func() (bool, error) {
		var l []hotline.CallView
		_, err := cn.Expect(ctx, 200, "GET", "/api/v1/hotline/calls?drill=true&open=true", nil, &l)
		for _, c := range l {
			if c.ID == call.ID {
				return true, nil
			}
		}
		return false, err
	})
	if err != nil {
		return err
	}
	if _, err := cn.Expect(ctx, 200, "POST", "/api/v1/hotline/calls/"+call.ID+"/ack", nil, nil); err != nil {
		return err
	}
	return poll(ctx, "the drill's acknowledgement to reach US", func() (bool, error) {
		var l []hotline.CallView
		_, err := us.Expect(ctx, 200, "GET", "/api/v1/hotline/drills?peer=CN", nil, &l)
		for _, c := range l {
			if c.ID == call.ID && !c.Acked.IsZero() && c.TimeToAck > 0 && c.Drill && c.AckedBy == "peer:CN/user:cn-officer" {
				return true, nil
			}
		}
		return false, err
	})
}
