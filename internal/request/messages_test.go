package request

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/validation"
)

// coded checks that every field error carries a code whose message,
// expanded, is the English detail.
func coded(t *testing.T, errs validation.Errors) {
	t.Helper()
	byCode := map[string]validation.Message{}
	for _, m := range validation.Messages() {
		byCode[m.Code] = m
	}
	for _, fe := range errs {
		m, ok := byCode[fe.Code]
		if !ok {
			t.Errorf("%s: %q has no message code", fe.Field, fe.Detail)
			continue
		}
		if got := validation.Expand(m.Text, fe.Params); got != fe.Detail {
			t.Errorf("%s: detail %q, message %s gives %q", fe.Field, fe.Detail, fe.Code, got)
		}
	}
}

// TestMessagesCoded: the errors of drafts, field values, actions and
// transitions carry codes, and their English is what the API showed
// before codes existed.
func TestMessagesCoded(t *testing.T) {
	d := ValidDraft(Preservation)
	d.Type, d.Priority, d.To, d.Title = "telepathy", "whenever", "cn", ""
	d.VisibleTo, d.Conditions = []string{"king"}, []string{"be nice"}
	errs, _ := validation.As(d.Validate())
	coded(t, errs)
	want := `invalid input: type: must be one of ` + strings.Join(Types(), ", ") + `; priority: must be routine, urgent or emergency; ` +
		`to: must be the requested party's code, such as CN; title: is required; visible_to: "king" is not a role; ` +
		`conditions: "be nice" must be one of purpose_only, no_judicial_use_without_permission, no_onward_sharing_without_permission, or "other: " and the condition`
	if errs.Error() != want {
		t.Errorf("draft errors:\n%s\nwant\n%s", errs.Error(), want)
	}

	v := ValidDraft(Preservation)
	v.Fields["requesting_email"] = "not an address"
	v.Fields["requesting_phone"] = "555-0100"
	v.Fields["time_zone"] = "Mars/Olympus"
	v.Fields["offences"] = []any{"x", 3}
	v.Fields["mla_to_follow"] = false
	v.Fields["preferred_channel"] = "pigeon"
	v.Fields["summary"] = 7
	v.Fields["colour"] = "red"
	delete(v.Fields, "custodian")
	errs, _ = validation.As(v.Validate())
	coded(t, errs)
	for _, s := range []string{"fields.requesting_email: must be a plain e-mail address", "fields.offences: item 2 must be a non-empty string",
		"fields.time_zone: must be an IANA time zone such as Asia/Shanghai", "fields.summary: must be a string",
		"fields.colour: is not a field of preservation requests", "fields.custodian: is required: ", "fields.mla_to_follow: must be true: "} {
		if !strings.Contains(errs.Error(), s) {
			t.Errorf("value errors lack %q:\n%s", s, errs.Error())
		}
	}

	for _, body := range []string{`{"type":"mla","surprise":1}`, `{"type":7}`, `{"type":"mla"`, `{} {}`} {
		_, err := DecodeDraft([]byte(body))
		errs, _ := validation.As(err)
		coded(t, errs)
	}

	// What an action carries.
	c := content(Preservation)
	st := State{Status: Acknowledged}
	errs = checkData(c, &st, &Event{Action: Refuse, At: t0})
	coded(t, errs)
	if errs.Error() != "invalid input: ground: must be one of "+strings.Join(Grounds, ", ")+"; reasons: is required" {
		t.Errorf("refusal without ground: %s", errs.Error())
	}
	errs = checkData(c, &st, &Event{Action: Answer, At: t0, Data: EventData{Completeness: "full", Answer: "done", PreservedUntil: t0.Add(MinPreservation / 2)}})
	coded(t, errs)
	if errs.Error() != "invalid input: preserved_until: data are preserved at least 60 days (Budapest Art. 29(7))" {
		t.Errorf("short preservation: %s", errs.Error())
	}

	// Transitions, and the void events of a lost race.
	var te *TransitionError
	err := refusal(Answer, Delivered, check(c, &State{Status: Delivered}, Requested, Answer), []Action{Acknowledge, Refuse})
	if !errors.As(error(err), &te) || te.Code != "request.not_from" || te.Params["status"] != "delivered" ||
		err.Error() != "cannot answer a request that is delivered: not from delivered; allowed now: acknowledge, refuse" {
		t.Errorf("transition: %v %s %v", err, te.Code, te.Params)
	}
	if why := check(c, &State{Status: Delivered}, Requesting, Answer); why.Code != "request.wrong_side" || why.Detail != "only the requested party may answer" {
		t.Errorf("wrong side: %+v", why)
	}
	tl := &timeline{c: content(Subscriber), at: t0}
	tl.do("US", Send, EventData{})
	tl.do("CN", Deliver, EventData{})
	tl.do("CN", Refuse, EventData{Ground: "sovereignty"})
	tl.do("CN", Start, EventData{})
	_, evs := Fold(tl.c, tl.evs)
	if evs[2].Void == "" || len(evs[2].VoidWhy) == 0 || evs[2].VoidWhy[0].Code != "request.ground" {
		t.Errorf("void refusal: %q %+v", evs[2].Void, evs[2].VoidWhy)
	}
	coded(t, evs[2].VoidWhy)
	if evs[3].Void != "not from delivered" || len(evs[3].VoidWhy) != 1 || evs[3].VoidWhy[0].Code != "request.not_from" {
		t.Errorf("void start: %q %+v", evs[3].Void, evs[3].VoidWhy)
	}
	// Codes stay out of the JSON the API and the peers see.
	b, _ := json.Marshal(evs[2])
	if strings.Contains(string(b), "request.ground") {
		t.Errorf("event JSON carries the code: %s", b)
	}
}
