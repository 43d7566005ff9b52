// Package validation collects field-level errors for input crossing into
// the domain, so a user sees every bad field at once, each by name. The API
// turns Errors into an RFC 9457 problem with one entry per field; the CLI
// prints them one per line.
//
// A field error says what is wrong twice: in English (Detail, what the API
// and the CLI show) and as a Message code with parameters, which the web
// console translates. Domain packages declare their messages with Define;
// Messages lists every one, so a test can check that each is translated.
package validation

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FieldError says what is wrong with one field.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
	// Code names the message Detail was made from and Params fill its
	// placeholders; Code is empty for a message given as free text.
	Code   string `json:"-"`
	Params Params `json:"-"`
}

// Params are a message's parameters by placeholder name.
type Params map[string]string

// Message is one kind of problem: a stable Code (lower case, dotted, such
// as "request.ground") and its English Text, in which "{name}" stands for
// the parameter name.
type Message struct {
	Code string
	Text string
}

var (
	mu       sync.Mutex
	messages = map[string]Message{}
)

// Define declares a message; call it to initialise a package-level
// variable. Defining a code twice with different texts panics.
func Define(code, text string) Message {
	mu.Lock()
	defer mu.Unlock()
	m := Message{Code: code, Text: text}
	if old, ok := messages[code]; ok && old != m {
		panic("validation: message " + code + " defined twice")
	}
	messages[code] = m
	return m
}

// Messages returns every message defined by the packages linked into the
// program, sorted by code.
func Messages() []Message {
	mu.Lock()
	defer mu.Unlock()
	out := make([]Message, 0, len(messages))
	for _, m := range messages {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Message) int { return strings.Compare(a.Code, b.Code) })
	return out
}

var placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)

// Expand fills the placeholders of text from p; a placeholder without a
// parameter is left as it is.
func Expand(text string, p Params) string {
	if len(p) == 0 {
		return text
	}
	return placeholder.ReplaceAllStringFunc(text, func(ph string) string {
		if v, ok := p[ph[1:len(ph)-1]]; ok {
			return v
		}
		return ph
	})
}

// Placeholders returns the sorted, distinct placeholder names of text.
func Placeholders(text string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// On returns the error of field with this message.
func (m Message) On(field string, p Params) FieldError {
	return FieldError{Field: field, Detail: Expand(m.Text, p), Code: m.Code, Params: p}
}

// Errors is a list of field errors; it is an error when not empty.
type Errors []FieldError

func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Field + ": " + f.Detail
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records a problem with field given as free text, which the console
// shows as it is; Report records one it can translate.
func (e *Errors) Add(field, detail string) { *e = append(*e, FieldError{Field: field, Detail: detail}) }

// Report records a problem with field as message m with parameters p.
func (e *Errors) Report(field string, m Message, p Params) { *e = append(*e, m.On(field, p)) }

// Err returns e as an error, or nil when there is nothing wrong.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// As extracts field errors from err.
func As(err error) (Errors, bool) {
	var v Errors
	ok := errors.As(err, &v)
	return v, ok
}

// Messages used by the checks below and across the domain packages.
var (
	MsgRequired         = Define("required", "is required")
	MsgTooLong          = Define("too_long", "is longer than {max} characters")
	MsgTimeZoneRequired = Define("time_zone_required", "is required (an IANA time zone such as Asia/Shanghai)")
	MsgTimeZone         = Define("time_zone", "must be an IANA time zone such as Asia/Shanghai")
	MsgPartyCode        = Define("party_code", "must be a party code")
	MsgHexID            = Define("hex_id", "must be 32 hex digits")
	MsgOutOfRange       = Define("out_of_range", "out of range")
	MsgEmail            = Define("email", "must be a plain e-mail address")
	MsgPhone            = Define("phone", "must be an international number starting with +")
	MsgTooLarge         = Define("too_large", "larger than {max} bytes")
	MsgFileName         = Define("file_name", "1-200 characters of letters, digits, space, '.', '_' and '-'")
)

// Required adds an error when v is blank, and one when it exceeds max runes.
func (e *Errors) Required(field, v string, max int) {
	if strings.TrimSpace(v) == "" {
		e.Report(field, MsgRequired, nil)
		return
	}
	e.MaxLen(field, v, max)
}

// MaxLen adds an error when v exceeds max runes.
func (e *Errors) MaxLen(field, v string, max int) {
	if len([]rune(v)) > max {
		e.Report(field, MsgTooLong, Params{"max": strconv.Itoa(max)})
	}
}

// Match adds m when v does not match re.
func (e *Errors) Match(field, v string, re *regexp.Regexp, m Message) {
	if !re.MatchString(v) {
		e.Report(field, m, nil)
	}
}

// TimeZone adds an error when v is not an IANA time zone.
func (e *Errors) TimeZone(field, v string) {
	if v == "" {
		e.Report(field, MsgTimeZoneRequired, nil)
		return
	}
	if _, err := time.LoadLocation(v); err != nil || strings.Contains(v, "..") {
		e.Report(field, MsgTimeZone, nil)
	}
}
