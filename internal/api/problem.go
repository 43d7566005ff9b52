package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/validation"
)

// Problem is an RFC 9457 problem details object. Errors lists the bad
// fields of a rejected input, each by name.
type Problem struct {
	Type     string                  `json:"type"`
	Title    string                  `json:"title"`
	Status   int                     `json:"status"`
	Detail   string                  `json:"detail,omitempty"`
	Instance string                  `json:"instance,omitempty"`
	Errors   []validation.FieldError `json:"errors,omitempty"`
}

// ProblemType is the base of the problem type URIs; they name the kind of
// problem and are documented in docs/api.md rather than fetched.
const ProblemType = "urn:liaison:problem:"

func writeProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	p.Instance = r.URL.Path
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// writeError maps an error from the domain to a problem. What the client
// sees is chosen here; the internal error text of a 5xx is logged, never
// sent.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if fe, ok := validation.As(err); ok {
		writeProblem(w, r, Problem{Type: ProblemType + "validation", Title: "Invalid input", Status: http.StatusUnprocessableEntity,
			Detail: fmt.Sprintf("%d field(s) are invalid", len(fe)), Errors: fe})
		return
	}
	var be *bodyError
	switch {
	case errors.As(err, &be):
		writeProblem(w, r, be.problem())
	case errors.Is(err, auth.ErrUnauthenticated):
		w.Header().Set("WWW-Authenticate", `Bearer realm="liaison", Basic realm="liaison", charset="UTF-8"`)
		writeProblem(w, r, Problem{Type: ProblemType + "unauthenticated", Status: http.StatusUnauthorized, Detail: "valid credentials are required: an API token (Authorization: Bearer) or a username and password (Basic)"})
	case errors.Is(err, auth.ErrForbidden):
		writeProblem(w, r, Problem{Type: ProblemType + "forbidden", Status: http.StatusForbidden, Detail: "your role does not allow this"})
	case errors.Is(err, store.ErrNotFound):
		writeProblem(w, r, Problem{Type: ProblemType + "not-found", Status: http.StatusNotFound, Detail: "no such object"})
	case errors.Is(err, store.ErrConflict):
		writeProblem(w, r, Problem{Type: ProblemType + "conflict", Status: http.StatusConflict, Detail: "the object already exists"})
	case errors.Is(err, errBadRequest):
		writeProblem(w, r, Problem{Type: ProblemType + "bad-request", Status: http.StatusBadRequest, Detail: strings.TrimPrefix(err.Error(), errBadRequest.Error()+": ")})
	default:
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeProblem(w, r, Problem{Type: ProblemType + "internal", Status: http.StatusInternalServerError, Detail: "the node could not complete the request; the error has been logged"})
	}
}

// errBadRequest wraps client errors whose text is safe to show.
var errBadRequest = errors.New("bad request")

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadRequest, fmt.Sprintf(format, args...))
}

// bodyError is a request body that could not be decoded.
type bodyError struct {
	status int
	field  string
	detail string
}

func (e *bodyError) Error() string { return e.detail }

func (e *bodyError) problem() Problem {
	p := Problem{Type: ProblemType + "malformed-body", Title: "Malformed request body", Status: e.status, Detail: e.detail}
	if e.status == http.StatusRequestEntityTooLarge {
		p.Type, p.Title = ProblemType+"too-large", "Request body too large"
	}
	if e.field != "" {
		p.Errors = []validation.FieldError{{Field: e.field, Detail: e.detail}}
	}
	return p
}

// decode reads one JSON object into v, rejecting unknown fields, trailing
// data, a wrong content type and bodies over limit, and naming the field at
// fault where there is one.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &bodyError{status: http.StatusUnsupportedMediaType, detail: "Content-Type must be application/json"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, err2 := dec.Token(); !errors.Is(err2, io.EOF) {
			return &bodyError{status: http.StatusBadRequest, detail: "body must hold exactly one JSON object"}
		}
		return nil
	}
	var (
		maxErr    *http.MaxBytesError
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &maxErr):
		return &bodyError{status: http.StatusRequestEntityTooLarge, detail: fmt.Sprintf("body is larger than %d bytes", limit)}
	case errors.Is(err, io.EOF):
		return &bodyError{status: http.StatusBadRequest, detail: "body is empty; a JSON object is required"}
	case errors.As(err, &syntaxErr):
		return &bodyError{status: http.StatusBadRequest, detail: fmt.Sprintf("malformed JSON at byte %d: %s", syntaxErr.Offset, syntaxErr.Error())}
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "(body)"
		}
		return &bodyError{status: http.StatusBadRequest, field: field, detail: fmt.Sprintf("%s must be %s, not %s", field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &bodyError{status: http.StatusBadRequest, field: field, detail: fmt.Sprintf("unknown field %q", field)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &bodyError{status: http.StatusBadRequest, detail: "malformed JSON: body ends early"}
	}
	return &bodyError{status: http.StatusBadRequest, detail: "malformed JSON: " + err.Error()}
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "bool":
		return "true or false"
	}
	return "a number"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
