// Package validation collects field-level errors for input crossing into
// the domain, so a user sees every bad field at once, each by name. The API
// turns Errors into an RFC 9457 problem with one entry per field; the CLI
// prints them one per line.
package validation

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// FieldError says what is wrong with one field.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
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

// Add records a problem with field.
func (e *Errors) Add(field, detail string) { *e = append(*e, FieldError{field, detail}) }

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

// Required adds an error when v is blank, and one when it exceeds max runes.
func (e *Errors) Required(field, v string, max int) {
	if strings.TrimSpace(v) == "" {
		e.Add(field, "is required")
		return
	}
	e.MaxLen(field, v, max)
}

// MaxLen adds an error when v exceeds max runes.
func (e *Errors) MaxLen(field, v string, max int) {
	if len([]rune(v)) > max {
		e.Add(field, "is longer than "+strconv.Itoa(max)+" characters")
	}
}

// Match adds an error when v does not match re.
func (e *Errors) Match(field, v string, re *regexp.Regexp, want string) {
	if !re.MatchString(v) {
		e.Add(field, "must be "+want)
	}
}

// TimeZone adds an error when v is not an IANA time zone.
func (e *Errors) TimeZone(field, v string) {
	if v == "" {
		e.Add(field, "is required (an IANA time zone such as Asia/Shanghai)")
		return
	}
	if _, err := time.LoadLocation(v); err != nil || strings.Contains(v, "..") {
		e.Add(field, "must be an IANA time zone such as Asia/Shanghai")
	}
}
