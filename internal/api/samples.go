package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/intel/marking"
	"github.com/liaison-dev/liaison/internal/intel/sample"
	"github.com/liaison-dev/liaison/internal/store"
)

// SampleView is a sample's record with the STIX objects describing it.
type SampleView struct {
	store.Sample
	Links []store.SampleLink `json:"links"`
}

// SamplePage is one page of a collection's samples.
type SamplePage struct {
	Samples []store.Sample `json:"samples"`
	// Next is the cursor for the following page, empty on the last.
	Next string `json:"next,omitempty"`
}

// multipartSlack is what a multipart body may add to the file's size
// (boundaries, headers and the metadata fields).
const multipartSlack = 64 << 10

// sampleFields reads the upload's metadata from form values.
func sampleFields(v url.Values) (sample.NewSample, error) {
	n := sample.NewSample{Collection: v.Get("collection"), Kind: v.Get("kind"), Name: v.Get("name"), MIMEType: v.Get("mime_type"),
		MalwareName: v.Get("malware_name"), MalwareID: v.Get("malware_id"), ReportName: v.Get("report_name"),
		ReportDescription: v.Get("report_description"), About: v["about"], Recipients: v["recipient"], TLP: marking.Amber}
	if t := v.Get("tlp"); t != "" {
		tlp, err := marking.ParseTLP(t)
		if err != nil {
			return n, badRequest("tlp: %v", err)
		}
		n.TLP = tlp
	}
	return n, nil
}

// sampleUpload streams the body: raw bytes (application/octet-stream,
// metadata in the query) or multipart/form-data whose metadata fields come
// before one part named "file". Nothing is buffered whole.
func (s *Server) sampleUpload(w http.ResponseWriter, r *http.Request, p *auth.Principal) (*sample.Added, error) {
	limit := s.Samples.Limit()
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var n sample.NewSample
	var body io.Reader
	var err error
	switch ct {
	case "application/octet-stream":
		if n, err = sampleFields(r.URL.Query()); err != nil {
			return nil, err
		}
		body = http.MaxBytesReader(w, r.Body, limit+1)
	case "multipart/form-data":
		if params["boundary"] == "" {
			return nil, badRequest("multipart body without a boundary")
		}
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, badRequest("malformed multipart body")
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit+multipartSlack)
		fields := url.Values{}
		for {
			part, err := mr.NextPart()
			if err != nil {
				return nil, badRequest("the multipart body has no part named \"file\"")
			}
			if part.FormName() == "file" {
				if n, err = sampleFields(fields); err != nil {
					return nil, err
				}
				if n.Name == "" {
					n.Name = part.FileName()
				}
				body = part
				break
			}
			v, err := io.ReadAll(io.LimitReader(part, 10<<10))
			if err != nil {
				return nil, badRequest("malformed multipart body")
			}
			fields.Add(part.FormName(), string(v))
		}
	default:
		return nil, &bodyError{status: http.StatusUnsupportedMediaType, detail: "send the file as application/octet-stream (metadata in the query) or multipart/form-data (fields, then a part named \"file\")"}
	}
	if n.Collection == "" {
		n.Collection = r.URL.Query().Get("collection")
	}
	a, err := s.Intel.AccessFor(r.Context(), n.Collection, p.User.Agency, "")
	if err != nil {
		return nil, err
	}
	if !a.Write {
		if !a.Read {
			return nil, store.ErrNotFound
		}
		return nil, auth.ErrForbidden
	}
	added, err := s.Samples.Add(r.Context(), p.Actor(), n, body)
	var maxErr *http.MaxBytesError
	switch {
	case errors.Is(err, sample.ErrTooLarge), errors.As(err, &maxErr):
		return nil, &bodyError{status: http.StatusRequestEntityTooLarge, detail: fmt.Sprintf("the file is larger than %d bytes", limit)}
	case errors.Is(err, sample.ErrObjectsRefused):
		return nil, badRequest("%v", err)
	}
	return added, err
}

// readableSample loads a sample the caller's agency may read.
func (s *Server) readableSample(r *http.Request, p *auth.Principal) (store.Sample, []store.SampleLink, error) {
	smp, links, err := s.Samples.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return smp, nil, err
	}
	ok, err := s.Samples.CanRead(r.Context(), links, p.User.Agency)
	if err != nil {
		return smp, nil, err
	}
	if !ok {
		return smp, nil, store.ErrNotFound
	}
	return smp, links, nil
}

func init() {
	routes = append(routes,
		Route{Method: "POST", Path: "/intel/samples", Perm: auth.SampleWrite, Summary: "Upload a malware sample or analysis document (streamed; raw application/octet-stream with ?collection=&name=&tlp=&malware_name=..., or multipart/form-data with those fields then a \"file\" part); stored encrypted, never executed, described by STIX objects in the collection and shared with peers as TLP allows", Response: sample.Added{}, Status: http.StatusCreated,
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				added, err := s.sampleUpload(w, r, p)
				if err != nil {
					return err
				}
				writeJSON(w, http.StatusCreated, added)
				return nil
			}},
		Route{Method: "GET", Path: "/intel/samples", Perm: auth.IntelRead, Summary: "Samples and documents of a collection (?collection=ID&after=SHA256&limit=N)", Response: SamplePage{},
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				q := r.URL.Query()
				a, err := s.Intel.AccessFor(r.Context(), q.Get("collection"), p.User.Agency, "")
				if err != nil {
					return err
				}
				if !a.Read {
					return store.ErrNotFound
				}
				limit := 100
				if v := q.Get("limit"); v != "" {
					if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
						return badRequest("limit must be 1 to 1000")
					}
				}
				l, err := s.Samples.List(r.Context(), store.SampleFilter{CollectionID: q.Get("collection"), After: q.Get("after"), Limit: limit})
				if err != nil {
					return err
				}
				page := SamplePage{Samples: l}
				if len(l) == limit {
					page.Next = l[len(l)-1].SHA256
				}
				writeJSON(w, http.StatusOK, page)
				return nil
			}},
		Route{Method: "GET", Path: "/intel/samples/{id}", Perm: auth.IntelRead, Summary: "A sample's hashes, size and the STIX objects describing it (id: the SHA-256)", Response: SampleView{},
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				smp, links, err := s.readableSample(r, p)
				if err != nil {
					return err
				}
				writeJSON(w, http.StatusOK, SampleView{Sample: smp, Links: links})
				return nil
			}},
		Route{Method: "GET", Path: "/intel/samples/{id}/content", Perm: auth.SampleRead, Summary: "Download a sample: ?format=zip (default; password \"infected\", ZipCrypto) or ?format=raw. Live malware: the hand-out is audited",
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				smp, _, err := s.readableSample(r, p)
				if err != nil {
					return err
				}
				format := r.URL.Query().Get("format")
				if format == "" {
					format = sample.FormatZip
				}
				if format != sample.FormatZip && format != sample.FormatRaw {
					return badRequest(`format must be "zip" or "raw"`)
				}
				h := w.Header()
				h.Set("X-Liaison-Warning", sample.ZipWarning)
				h.Set("X-Content-SHA256", smp.SHA256)
				h.Set("Cache-Control", "no-store")
				if format == sample.FormatZip {
					h.Set("Content-Type", "application/zip")
					h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", smp.SHA256+".zip"))
				} else {
					h.Set("Content-Type", "application/octet-stream")
					h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", smp.SHA256+".bin"))
					h.Set("Content-Length", strconv.FormatInt(smp.Size, 10))
				}
				// Once bytes are out a failure cannot become a problem
				// response; the connection is cut instead so the client
				// sees a truncated download, never a wrong one.
				if err := s.Samples.Write(r.Context(), p.Actor(), smp.SHA256, format, w); err != nil {
					s.Log.ErrorContext(r.Context(), "sample download failed", "sha256", smp.SHA256, "err", err)
					panic(http.ErrAbortHandler)
				}
				return nil
			}},
	)
}
