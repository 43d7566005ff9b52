// Package taxii serves TAXII 2.1 (OASIS TAXII Version 2.1, sections 3-5)
// under /taxii2/: discovery, one API root, collections, objects with their
// versions, manifests and add-request statuses. Every request is
// authenticated like the REST API and authorized twice: the caller's role
// must allow intelligence access, and the collection's grants must give
// the caller's agency read or write.
package taxii

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/intel"
	"github.com/liaison-dev/liaison/internal/intel/stix"
	"github.com/liaison-dev/liaison/internal/store"
)

// Media types (section 1.6.8).
const (
	MediaTAXII = "application/taxii+json;version=2.1"
	MediaSTIX  = "application/stix+json;version=2.1"
)

// Paths.
const (
	Prefix  = "/taxii2/"
	APIRoot = Prefix + "liaison/"
)

// Page sizes: the default when the client sets no limit, and the most the
// server returns in one page (section 3.6: the server may lower a limit).
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// MaxMatchValues bounds the values of one match[id] or match[type]
// filter, so that a filter always fits one SQL statement.
const MaxMatchValues = 1000

// Server is the TAXII HTTP surface.
type Server struct {
	Intel *intel.Service
	Auth  *auth.Service
	Log   *slog.Logger
	// Title and Contact describe the server in discovery.
	Title, Contact string
	// MaxContentLength bounds a request body (advertised in the API root).
	MaxContentLength int64
}

// Handler returns the TAXII handler, to be mounted at Prefix.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, fn func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error) {
		mux.Handle(pattern, s.wrap(fn))
	}
	h("GET "+Prefix+"{$}", s.discovery)
	h("GET "+APIRoot+"{$}", s.apiRoot)
	h("GET "+APIRoot+"status/{status}/{$}", s.status)
	h("GET "+APIRoot+"collections/{$}", s.collections)
	h("GET "+APIRoot+"collections/{cid}/{$}", s.collection)
	h("GET "+APIRoot+"collections/{cid}/objects/{$}", s.getObjects)
	h("POST "+APIRoot+"collections/{cid}/objects/{$}", s.addObjects)
	h("GET "+APIRoot+"collections/{cid}/objects/{oid}/{$}", s.getObject)
	h("DELETE "+APIRoot+"collections/{cid}/objects/{oid}/{$}", s.deleteObject)
	h("GET "+APIRoot+"collections/{cid}/objects/{oid}/versions/{$}", s.versions)
	h("GET "+APIRoot+"collections/{cid}/manifest/{$}", s.manifest)
	mux.Handle(Prefix, s.wrap(func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
		return &Error{Status: http.StatusNotFound, Title: "Not found", Description: "no such TAXII resource"}
	}))
	return mux
}

// Error is a TAXII error message (section 3.6.1).
type Error struct {
	Status      int    `json:"-"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	HTTPStatus  string `json:"http_status"`
}

func (e *Error) Error() string { return e.Title + ": " + e.Description }

func errorf(status int, title, format string, args ...any) *Error {
	return &Error{Status: status, Title: title, Description: fmt.Sprintf(format, args...)}
}

// acceptsTAXII implements content negotiation (section 1.6.8.1): the
// client must accept the TAXII 2.1 media type; a TAXII media type without
// a version means the latest, 2.1.
func acceptsTAXII(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if mt == "application/taxii+json" && (params["version"] == "" || params["version"] == "2.1") {
			return true
		}
	}
	return false
}

func (s *Server) wrap(fn func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := func() error {
			p, err := s.Auth.Request(r)
			if err != nil {
				return err
			}
			if !p.Can(auth.IntelRead) && !p.Can(auth.IntelWrite) {
				return auth.ErrForbidden
			}
			if !acceptsTAXII(r.Header.Get("Accept")) {
				return errorf(http.StatusNotAcceptable, "Not acceptable", "the Accept header must include %s", MediaTAXII)
			}
			return fn(w, r, p)
		}()
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var te *Error
	switch {
	case errors.As(err, &te):
	case errors.Is(err, auth.ErrUnauthenticated):
		w.Header().Set("WWW-Authenticate", `Basic realm="liaison TAXII", charset="UTF-8"`)
		te = errorf(http.StatusUnauthorized, "Unauthorized", "valid credentials are required (HTTP Basic or a Bearer API token)")
	case errors.Is(err, auth.ErrForbidden):
		te = errorf(http.StatusForbidden, "Forbidden", "your role or the collection's grants do not allow this")
	case errors.Is(err, store.ErrNotFound):
		te = errorf(http.StatusNotFound, "Not found", "no such collection, object or status")
	default:
		s.Log.ErrorContext(r.Context(), "taxii request failed", "path", r.URL.Path, "err", err)
		te = errorf(http.StatusInternalServerError, "Internal error", "the server could not complete the request; the error has been logged")
	}
	te.HTTPStatus = strconv.Itoa(te.Status)
	w.Header().Set("Content-Type", MediaTAXII)
	w.WriteHeader(te.Status)
	json.NewEncoder(w).Encode(te)
}

func writeTAXII(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", MediaTAXII)
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return writeTAXII(w, http.StatusOK, map[string]any{
		"title": s.Title, "description": "Threat intelligence shared through Liaison", "contact": s.Contact,
		"default": APIRoot, "api_roots": []string{APIRoot},
	})
}

func (s *Server) apiRoot(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return writeTAXII(w, http.StatusOK, map[string]any{
		"title": s.Title, "versions": []string{MediaTAXII}, "max_content_length": s.MaxContentLength,
	})
}

// collectionResource is a collection as TAXII shows it (section 5.2.1).
type collectionResource struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`
}

// access resolves what p may do with a collection: the role must allow it
// and so must the grants. A collection p can neither read nor write does
// not exist for p (404), so its existence is not disclosed.
func (s *Server) access(r *http.Request, p *auth.Principal, cid string) (store.Collection, intel.Access, error) {
	c, err := s.Intel.Store.GetCollection(r.Context(), cid)
	if err != nil {
		return c, intel.Access{}, err
	}
	a, err := s.Intel.AccessFor(r.Context(), c.ID, p.User.Agency, "")
	if err != nil {
		return c, a, err
	}
	a.Read = a.Read && p.Can(auth.IntelRead)
	a.Write = a.Write && p.Can(auth.IntelWrite)
	if !a.Read && !a.Write {
		return c, a, store.ErrNotFound
	}
	return c, a, nil
}

func resource(c store.Collection, a intel.Access) collectionResource {
	return collectionResource{ID: c.ID, Title: c.Title, Description: c.Description, Alias: c.Alias,
		CanRead: a.Read, CanWrite: a.Write, MediaTypes: []string{MediaSTIX}}
}

func (s *Server) collections(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	all, err := s.Intel.Store.ListCollections(r.Context())
	if err != nil {
		return err
	}
	out := []collectionResource{}
	for _, c := range all {
		if _, a, err := s.access(r, p, c.ID); err == nil {
			out = append(out, resource(c, a))
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return writeTAXII(w, http.StatusOK, map[string]any{"collections": out})
}

func (s *Server) collection(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	c, a, err := s.access(r, p, r.PathValue("cid"))
	if err != nil {
		return err
	}
	return writeTAXII(w, http.StatusOK, resource(c, a))
}

func (s *Server) readable(r *http.Request, p *auth.Principal) (store.Collection, error) {
	c, a, err := s.access(r, p, r.PathValue("cid"))
	if err != nil {
		return c, err
	}
	if !a.Read {
		return c, errorf(http.StatusForbidden, "Forbidden", "you may not read this collection")
	}
	return c, nil
}

// filter reads the query parameters of section 3.4.
func filter(r *http.Request, cid string, defaultVersion string) (store.STIXFilter, error) {
	q := r.URL.Query()
	f := store.STIXFilter{CollectionID: cid, Limit: DefaultLimit}
	bad := func(param, format string, args ...any) error {
		return errorf(http.StatusBadRequest, "Bad filter", "%s: %s", param, fmt.Sprintf(format, args...))
	}
	for param := range q {
		switch param {
		case "added_after", "limit", "next", "match[id]", "match[type]", "match[version]", "match[spec_version]":
		default:
			return f, bad(param, "unknown parameter")
		}
	}
	if v := q.Get("added_after"); v != "" {
		t, err := stix.ParseTimestamp(v)
		if err != nil {
			return f, bad("added_after", "%v", err)
		}
		f.AddedAfter = t
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return f, bad("limit", "must be a positive integer")
		}
		f.Limit = min(n, MaxLimit)
	}
	if v := q.Get("next"); v != "" {
		t, err := decodeNext(v)
		if err != nil {
			return f, bad("next", "not a value this server returned")
		}
		if t.After(f.AddedAfter) {
			f.AddedAfter = t
		}
	}
	split := func(v string) []string {
		if v == "" {
			return nil
		}
		return strings.Split(v, ",")
	}
	f.IDs = split(q.Get("match[id]"))
	f.Types = split(q.Get("match[type]"))
	for param, vals := range map[string][]string{"match[id]": f.IDs, "match[type]": f.Types} {
		if len(vals) > MaxMatchValues {
			return f, bad(param, "at most %d values", MaxMatchValues)
		}
	}
	versions := split(q.Get("match[version]"))
	if len(versions) == 0 {
		versions = []string{defaultVersion}
	}
	for _, v := range versions {
		switch v {
		case store.VersionLast, store.VersionFirst, store.VersionAll:
			f.Versions = append(f.Versions, v)
		default:
			t, err := stix.ParseTimestamp(v)
			if err != nil {
				return f, bad("match[version]", "%q is not last, first, all or a timestamp", v)
			}
			f.VersionTimes = append(f.VersionTimes, t)
		}
	}
	if sv := split(q.Get("match[spec_version]")); len(sv) > 0 {
		found := false
		for _, v := range sv {
			found = found || v == "2.1"
		}
		if !found {
			// This server stores STIX 2.1 only: nothing can match.
			f.IDs = []string{""}
		}
	}
	return f, nil
}

// The next cursor is the date_added of the last object returned, which is
// unique within a collection.
func encodeNext(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 36) }

func decodeNext(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 36, 64)
	if err != nil || n <= 0 {
		return time.Time{}, errors.New("bad cursor")
	}
	return time.UnixMicro(n).UTC(), nil
}

func dateHeaders(w http.ResponseWriter, rows []store.STIXRow) {
	if len(rows) == 0 {
		return
	}
	w.Header().Set("X-TAXII-Date-Added-First", stix.FormatTimestamp(rows[0].DateAdded))
	w.Header().Set("X-TAXII-Date-Added-Last", stix.FormatTimestamp(rows[len(rows)-1].DateAdded))
}

// writeEnvelope writes a TAXII envelope (section 3.7) from stored bodies
// without decoding them: what the producer sent is what is served.
func writeEnvelope(w http.ResponseWriter, rows []store.STIXRow, more bool) error {
	dateHeaders(w, rows)
	var b bytes.Buffer
	b.Grow(64 + len(rows)*512)
	b.WriteString(`{"more":`)
	b.WriteString(strconv.FormatBool(more))
	if more {
		b.WriteString(`,"next":"` + encodeNext(rows[len(rows)-1].DateAdded) + `"`)
	}
	b.WriteString(`,"objects":[`)
	for i, row := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(row.Body)
	}
	b.WriteString("]}")
	w.Header().Set("Content-Type", MediaTAXII)
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b.Bytes())
	return err
}

func (s *Server) getObjects(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	c, err := s.readable(r, p)
	if err != nil {
		return err
	}
	f, err := filter(r, c.ID, store.VersionLast)
	if err != nil {
		return err
	}
	f.WithBody = true
	rows, more, err := s.Intel.Objects(r.Context(), f)
	if err != nil {
		return err
	}
	return writeEnvelope(w, rows, more)
}

func (s *Server) getObject(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	c, err := s.readable(r, p)
	if err != nil {
		return err
	}
	f, err := filter(r, c.ID, store.VersionLast)
	if err != nil {
		return err
	}
	f.IDs, f.WithBody = []string{r.PathValue("oid")}, true
	rows, more, err := s.Intel.Objects(r.Context(), f)
	if err != nil {
		return err
	}
	if len(rows) == 0 && f.AddedAfter.IsZero() {
		return store.ErrNotFound
	}
	return writeEnvelope(w, rows, more)
}

func (s *Server) versions(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	c, err := s.readable(r, p)
	if err != nil {
		return err
	}
	f, err := filter(r, c.ID, store.VersionAll)
	if err != nil {
		return err
	}
	f.IDs = []string{r.PathValue("oid")}
	rows, more, err := s.Intel.Objects(r.Context(), f)
	if err != nil {
		return err
	}
	if len(rows) == 0 && f.AddedAfter.IsZero() {
		return store.ErrNotFound
	}
	dateHeaders(w, rows)
	vs := make([]string, len(rows))
	for i, row := range rows {
		vs[i] = versionString(row)
	}
	out := map[string]any{"more": more, "versions": vs}
	if more {
		out["next"] = encodeNext(rows[len(rows)-1].DateAdded)
	}
	return writeTAXII(w, http.StatusOK, out)
}

// versionString is the TAXII version of a stored object: its modified
// time, or created, or date_added for unversioned observables (section
// 3.4.2: "the server MUST use date_added").
func versionString(row store.STIXRow) string {
	if row.Version.IsZero() {
		return stix.FormatTimestamp(row.DateAdded)
	}
	return stix.FormatTimestamp(row.Version)
}

func (s *Server) manifest(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	c, err := s.readable(r, p)
	if err != nil {
		return err
	}
	f, err := filter(r, c.ID, store.VersionLast)
	if err != nil {
		return err
	}
	rows, more, err := s.Intel.Objects(r.Context(), f)
	if err != nil {
		return err
	}
	dateHeaders(w, rows)
	type record struct {
		ID        string `json:"id"`
		DateAdded string `json:"date_added"`
		Version   string `json:"version"`
		MediaType string `json:"media_type"`
	}
	recs := make([]record, len(rows))
	for i, row := range rows {
		recs[i] = record{row.ID, stix.FormatTimestamp(row.DateAdded), versionString(row), MediaSTIX}
	}
	out := map[string]any{"more": more, "objects": recs}
	if more {
		out["next"] = encodeNext(rows[len(rows)-1].DateAdded)
	}
	return writeTAXII(w, http.StatusOK, out)
}

func (s *Server) addObjects(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	c, a, err := s.access(r, p, r.PathValue("cid"))
	if err != nil {
		return err
	}
	if !a.Write {
		return errorf(http.StatusForbidden, "Forbidden", "you may not write to this collection")
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/taxii+json" || (params["version"] != "" && params["version"] != "2.1") {
		return errorf(http.StatusUnsupportedMediaType, "Unsupported media type", "the body must be %s", MediaTAXII)
	}
	if r.ContentLength > s.MaxContentLength {
		return errorf(http.StatusRequestEntityTooLarge, "Too large", "the body exceeds max_content_length (%d bytes)", s.MaxContentLength)
	}
	objs, rejected, err := s.Intel.Parser.ParseObjects(http.MaxBytesReader(w, r.Body, s.MaxContentLength), s.MaxContentLength)
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr) || (err != nil && strings.Contains(err.Error(), "larger than")):
		return errorf(http.StatusRequestEntityTooLarge, "Too large", "the body exceeds max_content_length (%d bytes)", s.MaxContentLength)
	case err != nil:
		return errorf(http.StatusBadRequest, "Bad envelope", "%v", err)
	}
	st, err := s.Intel.Add(r.Context(), p.Actor(), c.ID, objs, rejected)
	if err != nil {
		return err
	}
	return writeTAXII(w, http.StatusAccepted, statusResource(st))
}

func statusResource(st *intel.Status) map[string]any {
	return map[string]any{
		"id": st.ID, "status": st.Status, "request_timestamp": stix.FormatTimestamp(st.Requested),
		"total_count": st.Total, "success_count": st.Success, "successes": nonNil(st.Successes),
		"failure_count": st.Failure, "failures": nonNil(st.Failures), "pending_count": st.Pending,
	}
}

func nonNil(r []intel.Result) []intel.Result {
	if r == nil {
		return []intel.Result{}
	}
	return r
}

func (s *Server) status(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	st, err := s.Intel.Store.GetTAXIIStatus(r.Context(), r.PathValue("status"))
	if err != nil {
		return err
	}
	// Only those who may use the collection see what was added to it.
	if _, _, err := s.access(r, p, st.CollectionID); err != nil {
		return err
	}
	var full intel.Status
	if err := json.Unmarshal(st.Detail, &full); err != nil {
		return err
	}
	full.Requested = st.Requested
	return writeTAXII(w, http.StatusOK, statusResource(&full))
}

func (s *Server) deleteObject(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	c, a, err := s.access(r, p, r.PathValue("cid"))
	if err != nil {
		return err
	}
	if !a.Write || !a.Read {
		return errorf(http.StatusForbidden, "Forbidden", "deleting needs read and write access to the collection")
	}
	f, err := filter(r, c.ID, store.VersionAll)
	if err != nil {
		return err
	}
	var versions []time.Time
	if len(f.VersionTimes) > 0 {
		versions = f.VersionTimes
	}
	if err := s.Intel.Delete(r.Context(), p.Actor(), c.ID, r.PathValue("oid"), versions); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
