// Package exercise runs tabletop exercises and drills through the real
// channel: a scenario file (YAML, docs/exercises.md) lists the parties and
// their roles and a time line of injects — requests of any type, leads,
// incident notifications, threat-intelligence shares, hotline calls and
// follow-ups that depend on earlier answers — each with the response
// expected, who should give it and by when.
//
// Run plays a scenario against live nodes or a demo world, in real time or
// accelerated, through each node's HTTPS API: every request it makes
// carries the exercise flag (and an "EXERCISE" title prefix), so it is
// shown as such, excluded from real figures, marked in the ledger and
// removable afterwards (store.PurgeExercise) without touching real data.
// Automated responders can play any party's roles from the scenario's
// play instructions, so a scenario runs unattended in tests. Every inject
// is scored per party — delivered, routed to the right role, acknowledged
// and answered within deadline, answer complete, hotline rung — and
// Report writes a self-contained HTML after-action report.
package exercise

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/validation"
	"github.com/liaison-dev/liaison/internal/yamlfile"
)

// Format names the scenario file format.
const Format = "liaison-exercise/1"

// MaxFileSize bounds a scenario file.
const MaxFileSize = 1 << 20

// Inject kinds. lead, incident and intel are requests of type
// information, incident and spontaneous; hotline rings the peer's hotline.
const (
	KindRequest  = "request"
	KindLead     = "lead"
	KindIncident = "incident"
	KindIntel    = "intel"
	KindHotline  = "hotline"
)

// Kinds lists the inject kinds.
var Kinds = []string{KindRequest, KindLead, KindIncident, KindIntel, KindHotline}

// Responses an inject may expect.
var Responses = []string{"answer", "refuse", "accept_conditions", "decline_conditions", "ask_info", "none"}

// Outcomes a follow-up may depend on.
var Outcomes = []string{"any", "acknowledged", "answered", "refused", "missed"}

// Scenario is a parsed, validated scenario file.
type Scenario struct {
	Format      string   `yaml:"format" json:"format"`
	ID          string   `yaml:"id" json:"id"`
	Title       string   `yaml:"title" json:"title"`
	Description string   `yaml:"description" json:"description,omitempty"`
	Parties     []Party  `yaml:"parties" json:"parties"`
	Lessons     []string `yaml:"lessons" json:"lessons,omitempty"`
	Injects     []Inject `yaml:"injects" json:"injects"`
}

// Party is a participating party and the roles that take part.
type Party struct {
	Code  string   `yaml:"code" json:"code"`
	Name  string   `yaml:"name" json:"name,omitempty"`
	Roles []string `yaml:"roles" json:"roles"`
}

// Inject is one event of the time line.
type Inject struct {
	ID    string `yaml:"id" json:"id"`
	Title string `yaml:"title" json:"title,omitempty"`
	// At is the offset from the start, or from the response to After.
	At   Duration `yaml:"at" json:"at"`
	Kind string   `yaml:"kind" json:"kind"`
	From string   `yaml:"from" json:"from"`
	To   string   `yaml:"to" json:"to"`
	// Role is the sender's role (officer, or central_authority for MLA).
	Role string `yaml:"role" json:"role,omitempty"`
	// After names an earlier inject this one follows; When is the outcome
	// of that inject it needs (any by default).
	After       string       `yaml:"after" json:"after,omitempty"`
	When        string       `yaml:"when" json:"when,omitempty"`
	Request     *Draft       `yaml:"request" json:"request,omitempty"`
	Attachments []Attachment `yaml:"attachments" json:"attachments,omitempty"`
	Expect      Expect       `yaml:"expect" json:"expect"`
	Play        *Play        `yaml:"play" json:"play,omitempty"`
	// Note explains the inject to the exercise controller and in the report.
	Note string `yaml:"note" json:"note,omitempty"`
}

// Draft is the request an inject sends. String field values may use
// ${start}, ${start-2h} or ${start+30m}: the run's start time shifted.
type Draft struct {
	Type       request.Type     `yaml:"type" json:"type"`
	Priority   request.Priority `yaml:"priority" json:"priority"`
	Title      string           `yaml:"title" json:"title"`
	Conditions []string         `yaml:"conditions" json:"conditions,omitempty"`
	Fields     map[string]any   `yaml:"fields" json:"fields"`
}

// Attachment is an evidence file sent with the request.
type Attachment struct {
	Name    string `yaml:"name" json:"name"`
	Content string `yaml:"content" json:"content"`
	// MustBeRefused: the file must not cross (child sexual abuse media:
	// hashes travel, the material never does).
	MustBeRefused bool `yaml:"must_be_refused" json:"must_be_refused,omitempty"`
}

// Expect is the response expected from the receiving party.
type Expect struct {
	// Role is who should act at the receiver (default: the type's desk).
	Role string `yaml:"role" json:"role,omitempty"`
	// Acknowledge is the acknowledgement deadline after delivery.
	Acknowledge Duration `yaml:"acknowledge" json:"acknowledge,omitempty"`
	// Respond is the response expected (answer, refuse, ...) and Within
	// its deadline after delivery.
	Respond      string   `yaml:"respond" json:"respond,omitempty"`
	Within       Duration `yaml:"within" json:"within,omitempty"`
	Completeness string   `yaml:"completeness" json:"completeness,omitempty"`
	Ground       string   `yaml:"ground" json:"ground,omitempty"`
	// Hotline: the receiver's hotline must ring for this inject.
	Hotline bool `yaml:"hotline" json:"hotline,omitempty"`
}

// Play is how an automated responder plays the receiving party: after
// how long it acknowledges and responds (absent: never), and with what.
type Play struct {
	Acknowledge  Duration `yaml:"acknowledge" json:"acknowledge,omitempty"`
	Respond      Duration `yaml:"respond" json:"respond,omitempty"`
	Action       string   `yaml:"action" json:"action,omitempty"`
	Answer       string   `yaml:"answer" json:"answer,omitempty"`
	Completeness string   `yaml:"completeness" json:"completeness,omitempty"`
	Ground       string   `yaml:"ground" json:"ground,omitempty"`
	Reasons      string   `yaml:"reasons" json:"reasons,omitempty"`
	Note         string   `yaml:"note" json:"note,omitempty"`
}

// Duration is a span written as a Go duration or a number of days ("3d").
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(d.String())), nil }

func (d Duration) String() string { return FormatDuration(time.Duration(d)) }

// ParseDuration reads "90s", "15m", "1h30m", "3d" or "3d12h".
func ParseDuration(s string) (time.Duration, error) {
	var days time.Duration
	if n, rest, ok := strings.Cut(s, "d"); ok {
		v, err := strconv.Atoi(n)
		if err != nil || v < 0 || v > 3650 {
			return 0, fmt.Errorf("%q is not a duration such as 15m, 2h or 3d", s)
		}
		days, s = time.Duration(v)*24*time.Hour, rest
		if s == "" {
			return days, nil
		}
	}
	v, err := time.ParseDuration(s)
	v += days
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a duration such as 15m, 2h or 3d", s)
	}
	return v, nil
}

// FormatDuration writes d briefly: 1d2h, 15m, 90s.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	var b strings.Builder
	if days := d / (24 * time.Hour); days > 0 {
		fmt.Fprintf(&b, "%dd", days)
		d -= days * 24 * time.Hour
	}
	if h := d / time.Hour; h > 0 {
		fmt.Fprintf(&b, "%dh", h)
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		fmt.Fprintf(&b, "%dm", m)
		d -= m * time.Minute
	}
	if s := d.Round(time.Second) / time.Second; s > 0 {
		fmt.Fprintf(&b, "%ds", s)
	}
	return b.String()
}

// RequestType is the request type an inject sends ("" for hotline).
func (in *Inject) RequestType() request.Type {
	switch in.Kind {
	case KindLead:
		return request.Information
	case KindIncident:
		return request.Incident
	case KindIntel:
		return request.Spontaneous
	case KindRequest:
		if in.Request != nil {
			return in.Request.Type
		}
	}
	return ""
}

// ExpectRole is the role that should act at the receiver.
func (in *Inject) ExpectRole() auth.Role {
	if in.Expect.Role != "" {
		return auth.Role(in.Expect.Role)
	}
	return request.ActorRoles(in.RequestType())[0]
}

// SenderRole is the role that sends the inject.
func (in *Inject) SenderRole() auth.Role {
	if in.Role != "" {
		return auth.Role(in.Role)
	}
	return request.ActorRoles(in.RequestType())[0]
}

// Parse parses and validates a scenario file. Nothing is sent for an
// invalid scenario: every problem is reported at once, each as a
// validation.FieldError whose field names the file, the line and the
// field, e.g. "bec.yaml:12 injects[1].expect.within".
func Parse(name string, r io.Reader) (*Scenario, error) {
	var sc Scenario
	doc, err := yamlfile.Decode(name, r, MaxFileSize, &sc)
	if err != nil {
		return nil, err
	}
	c := &checker{yamlfile.Checker{Doc: doc}}
	c.check(&sc)
	if err := c.Errs.Err(); err != nil {
		return nil, err
	}
	return &sc, nil
}

// checker checks a scenario, each problem at its line.
type checker struct{ yamlfile.Checker }

var (
	slugRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	partyRE = regexp.MustCompile(`^[A-Z][A-Z0-9-]{1,15}$`)
)

// validationStart is the start time drafts are validated against.
var validationStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func (c *checker) check(sc *Scenario) {
	if sc.Format != Format {
		c.Add("format", "must be "+Format)
	}
	if !slugRE.MatchString(sc.ID) {
		c.Add("id", "must be a slug: lower-case letters, digits and '-'")
	}
	c.Required("title", sc.Title, 200)
	if len(sc.Parties) < 2 {
		c.Add("parties", "at least two parties take part")
	}
	roles := map[string][]string{}
	for i, p := range sc.Parties {
		pp := fmt.Sprintf("parties[%d]", i)
		if !partyRE.MatchString(p.Code) {
			c.Add(pp+".code", "must be a party code such as US or CN")
		} else if _, dup := roles[p.Code]; dup {
			c.Add(pp+".code", "party "+p.Code+" is listed twice")
		}
		if len(p.Roles) == 0 {
			c.Add(pp+".roles", "name the roles that take part")
		}
		for j, r := range p.Roles {
			if !auth.ValidRole(r) {
				c.Add(fmt.Sprintf("%s.roles[%d]", pp, j), fmt.Sprintf("%q is not a role", r))
			}
		}
		roles[p.Code] = p.Roles
	}
	if len(sc.Injects) == 0 {
		c.Add("injects", "a scenario has at least one inject")
	}
	if len(sc.Injects) > 200 {
		c.Add("injects", "at most 200 injects")
	}
	seen := map[string]bool{}
	for i := range sc.Injects {
		c.inject(fmt.Sprintf("injects[%d]", i), &sc.Injects[i], roles, seen)
		seen[sc.Injects[i].ID] = true
	}
}

func (c *checker) role(path, r string, party string, roles map[string][]string) {
	if !auth.ValidRole(r) {
		c.Add(path, fmt.Sprintf("%q is not a role", r))
	} else if rs, ok := roles[party]; ok && !slices.Contains(rs, r) {
		c.Add(path, fmt.Sprintf("%s does not take part for %s (parties lists %s)", r, party, strings.Join(rs, ", ")))
	}
}

func (c *checker) inject(ip string, in *Inject, roles map[string][]string, earlier map[string]bool) {
	if !slugRE.MatchString(in.ID) {
		c.Add(ip+".id", "must be a slug: lower-case letters, digits and '-'")
	} else if earlier[in.ID] {
		c.Add(ip+".id", "inject "+in.ID+" is defined twice")
	}
	c.OneOf(ip+".kind", in.Kind, Kinds)
	for _, f := range []struct{ name, v string }{{"from", in.From}, {"to", in.To}} {
		if _, ok := roles[f.v]; !ok {
			c.Add(ip+"."+f.name, fmt.Sprintf("%q is not a participating party", f.v))
		}
	}
	if in.From == in.To && in.From != "" {
		c.Add(ip+".to", "an inject goes to another party")
	}
	if in.After != "" && !earlier[in.After] {
		c.Add(ip+".after", fmt.Sprintf("%q is not an earlier inject", in.After))
	}
	if in.When != "" {
		c.OneOf(ip+".when", in.When, Outcomes)
		if in.After == "" {
			c.Add(ip+".when", "needs after: the inject whose outcome it depends on")
		}
	}
	if time.Duration(in.At) > 30*24*time.Hour {
		c.Add(ip+".at", "at most 30 days into the exercise")
	}
	if len([]rune(in.Title)) > 200 || len([]rune(in.Note)) > 2000 {
		c.Add(ip+".title", "title at most 200 characters, note at most 2000")
	}
	e, ep := &in.Expect, ip+".expect"
	if in.Kind == KindHotline {
		if in.Request != nil {
			c.Add(ip+".request", "a hotline call carries no request")
		}
		if len(in.Attachments) > 0 {
			c.Add(ip+".attachments", "a hotline call carries no files")
		}
		if e.Respond != "" && e.Respond != "none" {
			c.Add(ep+".respond", "a hotline call is only acknowledged")
		}
		if e.Acknowledge == 0 {
			c.Add(ep+".acknowledge", "is required for a hotline call (15m by default policy)")
		}
		for _, r := range []struct{ p, v string }{{ip + ".role", in.Role}, {ep + ".role", e.Role}} {
			if r.v != "" && r.v != string(auth.Officer) && r.v != string(auth.Supervisor) {
				c.Add(r.p, "the hotline is operated by officer or supervisor")
			}
		}
		if in.Play != nil && (in.Play.Respond != 0 || in.Play.Action != "") {
			c.Add(ip+".play", "a hotline call is only acknowledged")
		}
		return
	}
	if in.Request == nil {
		c.Add(ip+".request", "is required: the request the inject sends")
		return
	}
	d := in.Request
	rp := ip + ".request"
	switch in.Kind {
	case KindLead, KindIncident, KindIntel:
		if d.Type == "" {
			d.Type = in.RequestType()
		} else if d.Type != in.RequestType() {
			c.Add(rp+".type", fmt.Sprintf("a %s inject sends a %s request", in.Kind, in.RequestType()))
		}
	}
	draft := request.Draft{Type: d.Type, Priority: d.Priority, To: in.To, Title: "EXERCISE " + d.Title, Conditions: d.Conditions,
		Exercise: true, Fields: expand(d.Fields, validationStart)}
	if d.Title == "" {
		draft.Title = ""
	}
	if err := draft.Validate(); err != nil {
		fe, _ := validation.As(err)
		for _, f := range fe {
			if f.Field == "to" {
				continue
			}
			c.Add(rp+"."+f.Field, f.Detail)
		}
	}
	if _, ok := request.Lookup(d.Type); !ok {
		return
	}
	if in.Role != "" {
		c.role(ip+".role", in.Role, in.From, roles)
		if !request.CanAct(d.Type, []string{in.Role}) {
			c.Add(ip+".role", fmt.Sprintf("%s requests are sent by %v", d.Type, request.ActorRoles(d.Type)))
		}
	}
	if e.Role != "" {
		c.role(ep+".role", e.Role, in.To, roles)
		if !request.CanAct(d.Type, []string{e.Role}) {
			c.Add(ep+".role", fmt.Sprintf("%s requests are handled by %v, not %s", d.Type, request.ActorRoles(d.Type), e.Role))
		}
	}
	if e.Respond == "" {
		c.Add(ep+".respond", "is required: "+strings.Join(Responses, ", "))
	} else {
		c.OneOf(ep+".respond", e.Respond, Responses)
	}
	spont := d.Type == request.Spontaneous
	if spont && (e.Respond == "answer" || e.Respond == "refuse" || e.Respond == "ask_info") {
		c.Add(ep+".respond", "spontaneous information is accepted or declined (accept_conditions, decline_conditions)")
	}
	if !spont && (e.Respond == "accept_conditions" || e.Respond == "decline_conditions") {
		c.Add(ep+".respond", "only spontaneous information has use conditions to accept or decline")
	}
	if e.Respond != "" && e.Respond != "none" && e.Within == 0 {
		c.Add(ep+".within", "is required: the response deadline after delivery")
	}
	if e.Acknowledge > 0 && e.Within > 0 && e.Acknowledge > e.Within {
		c.Add(ep+".acknowledge", "is later than the response deadline")
	}
	if e.Completeness != "" {
		c.OneOf(ep+".completeness", e.Completeness, []string{"full", "partial"})
		if e.Respond != "answer" {
			c.Add(ep+".completeness", "applies to an answer")
		}
	}
	if e.Ground != "" {
		c.OneOf(ep+".ground", e.Ground, request.Grounds)
		if e.Respond != "refuse" {
			c.Add(ep+".ground", "applies to a refusal")
		}
	}
	for k, a := range in.Attachments {
		c.Required(fmt.Sprintf("%s.attachments[%d].name", ip, k), a.Name, 200)
		if len(a.Content) > 64<<10 {
			c.Add(fmt.Sprintf("%s.attachments[%d].content", ip, k), "at most 64 KiB inline")
		}
	}
	if p := in.Play; p != nil {
		pp := ip + ".play"
		if p.Action != "" {
			c.OneOf(pp+".action", p.Action, Responses)
		}
		act := p.Action
		if act == "" {
			act = e.Respond
		}
		if p.Respond > 0 && act == "answer" && p.Answer == "" {
			c.Add(pp+".answer", "is required to play an answer")
		}
		if p.Respond > 0 && act == "refuse" && (p.Ground == "" || p.Reasons == "") {
			c.Add(pp+".ground", "a played refusal names a ground and gives reasons")
		}
		if p.Ground != "" {
			c.OneOf(pp+".ground", p.Ground, request.Grounds)
		}
		if p.Completeness != "" {
			c.OneOf(pp+".completeness", p.Completeness, []string{"full", "partial"})
		}
		if p.Acknowledge > 0 && p.Respond > 0 && p.Respond < p.Acknowledge {
			c.Add(pp+".respond", "a played response comes after the acknowledgement")
		}
	}
}

var startRE = regexp.MustCompile(`^\$\{start(?:([+-])([0-9a-z]+))?\}$`)

// expand replaces ${start±D} string values with the start time shifted.
func expand(fields map[string]any, start time.Time) map[string]any {
	out := make(map[string]any, len(fields))
	for k, v := range fields {
		if s, ok := v.(string); ok {
			if g := startRE.FindStringSubmatch(s); g != nil {
				t := start
				if g[1] != "" {
					if d, err := ParseDuration(g[2]); err == nil {
						if g[1] == "-" {
							d = -d
						}
						t = t.Add(d)
					}
				}
				v = t.UTC().Format(time.RFC3339)
			}
		}
		out[k] = v
	}
	return out
}
