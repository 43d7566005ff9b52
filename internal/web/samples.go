package web

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/intel/marking"
	"github.com/liaison-dev/liaison/internal/intel/sample"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/validation"
)

// Malware samples and analysis documents: list per collection, upload,
// and hand-out (raw or the conventional zip with password "infected"),
// always behind a warning.

type samplesData struct {
	Collections []store.Collection
	Collection  string
	Samples     []store.Sample
	CanWrite    bool
	TLPs        []string
}

func (s *Server) samplesPage(w http.ResponseWriter, r *http.Request) {
	s.renderSamples(w, r, http.StatusOK, nil)
}

// renderSamples shows the page, with the upload form's errors if any.
func (s *Server) renderSamples(w http.ResponseWriter, r *http.Request, status int, errs validation.Errors) {
	if s.Samples == nil {
		s.fail(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	v := s.view(r, "sample.title")
	p := fromContext(r.Context()).P
	d := samplesData{Collection: r.URL.Query().Get("collection"), CanWrite: p.Can(auth.SampleWrite),
		TLPs: []string{"clear", "green", "amber", "amber+strict", "red"}}
	var err error
	if d.Collections, err = s.readable(r); err != nil {
		s.internal(w, r, err)
		return
	}
	if d.Collection == "" && len(d.Collections) > 0 {
		d.Collection = d.Collections[0].ID
	}
	for _, c := range d.Collections {
		if c.ID == d.Collection {
			if d.Samples, err = s.Samples.List(r.Context(), store.SampleFilter{CollectionID: c.ID, Limit: 200}); err != nil {
				s.internal(w, r, err)
				return
			}
		}
	}
	v.D, v.Errors = d, v.formErrors(errs)
	s.render(w, r, status, "samples", v)
}

// uploadSample streams the file part into the sample service.
func (s *Server) uploadSample(w http.ResponseWriter, r *http.Request) {
	if s.Samples == nil {
		s.fail(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	mr := multipartFrom(r)
	if mr == nil {
		s.fail(w, r, http.StatusBadRequest, "err.badform")
		return
	}
	p := fromContext(r.Context()).P
	var n sample.NewSample
	fields := map[string]string{}
	for {
		part, err := mr.NextPart()
		if err != nil {
			s.fail(w, r, http.StatusBadRequest, "err.badform")
			return
		}
		if part.FormName() == "file" {
			n = sample.NewSample{Collection: fields["collection"], Name: part.FileName(), MalwareName: fields["malware_name"]}
			t, err := marking.ParseTLP(fields["tlp"])
			if err != nil {
				s.renderSamples(w, r, http.StatusUnprocessableEntity, validation.Errors{{Field: "tlp", Detail: "err.tlp"}})
				return
			}
			n.TLP = t
			if a, err := s.Intel.AccessFor(r.Context(), n.Collection, p.User.Agency, ""); err != nil || !a.Write {
				s.fail(w, r, http.StatusForbidden, "err.forbidden")
				return
			}
			if err := n.Validate(); err != nil {
				s.uploadErr(w, r, err)
				return
			}
			if _, err := s.Samples.Add(r.Context(), p.Actor(), n, part); err != nil {
				s.uploadErr(w, r, err)
				return
			}
			redirect(w, r, "/intel/samples?collection="+n.Collection+"&flash=flash.sample")
			return
		}
		b, _ := io.ReadAll(io.LimitReader(part, 512))
		fields[part.FormName()] = strings.TrimSpace(string(b))
	}
}

func (s *Server) uploadErr(w http.ResponseWriter, r *http.Request, err error) {
	if fe, ok := validation.As(err); ok {
		s.renderSamples(w, r, http.StatusUnprocessableEntity, fe)
		return
	}
	if errors.Is(err, sample.ErrObjectsRefused) {
		// The validator's reason is English; the sentence around it is
		// translated.
		why := strings.TrimPrefix(strings.TrimPrefix(err.Error(), sample.ErrObjectsRefused.Error()), ": ")
		v := s.view(r, "sample.title")
		s.renderSamples(w, r, http.StatusUnprocessableEntity, validation.Errors{{Field: "file", Detail: v.p.T("err.objectsrefused", why)}})
		return
	}
	s.domainErr(w, r, err)
}

// downloadSample hands a sample out after checking the caller's agency
// may read a collection it is linked to.
func (s *Server) downloadSample(w http.ResponseWriter, r *http.Request) {
	if s.Samples == nil {
		s.fail(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	p := fromContext(r.Context()).P
	sm, links, err := s.Samples.Get(r.Context(), r.PathValue("sha"))
	if err != nil {
		s.domainErr(w, r, err)
		return
	}
	if ok, err := s.Samples.CanRead(r.Context(), links, p.User.Agency); err != nil || !ok {
		s.fail(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	format := sample.FormatZip
	name := sm.SHA256 + ".zip"
	if r.URL.Query().Get("format") == sample.FormatRaw {
		format, name = sample.FormatRaw, sm.SHA256+".bin"
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if err := s.Samples.Write(r.Context(), p.Actor(), sm.SHA256, format, w); err != nil {
		s.Log.Error("web: sample hand-out", "sha256", sm.SHA256, "err", err)
	}
}
