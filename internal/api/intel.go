package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/intel"
	"github.com/liaison-dev/liaison/internal/intel/match"
	"github.com/liaison-dev/liaison/internal/intel/stix"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/validation"
)

// CollectionView is a collection with the caller's access.
type CollectionView struct {
	store.Collection
	CanRead  bool `json:"can_read"`
	CanWrite bool `json:"can_write"`
}

// MatchRequest asks which indicators mention some observables.
type MatchRequest struct {
	Observables []match.Observable `json:"observables"`
}

// MatchResponse answers a MatchRequest, one result per observable in order.
type MatchResponse struct {
	Results []intel.MatchResult `json:"results"`
}

func init() {
	routes = append(routes,
		Route{Method: "GET", Path: "/intel/collections", Perm: auth.IntelRead, Summary: "Threat-intelligence collections the caller's agency may use (also served over TAXII 2.1 at /taxii2/)", Response: []CollectionView{},
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				all, err := s.Store.ListCollections(r.Context())
				if err != nil {
					return err
				}
				out := []CollectionView{}
				for _, c := range all {
					a, err := s.Intel.AccessFor(r.Context(), c.ID, p.User.Agency, "")
					if err != nil {
						return err
					}
					if a.Read || a.Write {
						out = append(out, CollectionView{Collection: c, CanRead: a.Read, CanWrite: a.Write})
					}
				}
				writeJSON(w, http.StatusOK, out)
				return nil
			}},
		Route{Method: "POST", Path: "/intel/collections", Perm: auth.IntelManage, Summary: "Create a collection with its grants (\"*\", \"agency:CODE\", \"party:CODE\")", Body: intel.NewCollection{}, Response: store.Collection{}, Status: http.StatusCreated,
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				var n intel.NewCollection
				if err := decode(w, r, s.MaxBody, &n); err != nil {
					return err
				}
				c, err := s.Intel.CreateCollection(r.Context(), p.Actor(), n)
				if err != nil {
					return err
				}
				writeJSON(w, http.StatusCreated, c)
				return nil
			}},
		Route{Method: "POST", Path: "/intel/collections/{id}/preview", Perm: auth.IntelRead, Summary: "Dry run: which peers would receive this STIX object if added to the collection, and why (TLP 2.0)", Body: json.RawMessage{}, Response: intel.Preview{},
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				var obj json.RawMessage
				if err := decode(w, r, s.MaxBody, &obj); err != nil {
					return err
				}
				a, err := s.Intel.AccessFor(r.Context(), r.PathValue("id"), p.User.Agency, "")
				if err != nil {
					return err
				}
				if !a.Read && !a.Write {
					return store.ErrNotFound
				}
				prev, err := s.Intel.WhoWouldSee(r.Context(), r.PathValue("id"), obj)
				var se *stix.Error
				if errors.As(err, &se) {
					return validation.Errors{{Field: se.Property, Detail: se.Error()}}
				}
				if err != nil {
					return err
				}
				writeJSON(w, http.StatusOK, prev)
				return nil
			}},
		Route{Method: "POST", Path: "/intel/match", Perm: auth.IntelRead, Summary: "Match observables (IP incl. CIDR containment, domain, URL, e-mail, file hashes) against active indicators", Body: MatchRequest{}, Response: MatchResponse{},
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				var req MatchRequest
				if err := decode(w, r, s.MaxBody, &req); err != nil {
					return err
				}
				var errs validation.Errors
				if len(req.Observables) == 0 || len(req.Observables) > intel.MaxMatchObservables {
					errs.Add("observables", fmt.Sprintf("give 1 to %d observables", intel.MaxMatchObservables))
				}
				for i, o := range req.Observables {
					if err := o.Validate(); err != nil {
						errs.Add(fmt.Sprintf("observables[%d].%s", i, err.Error()[:fieldEnd(err.Error())]), err.Error()[fieldEnd(err.Error())+2:])
					}
					if len(errs) > 20 {
						break
					}
				}
				if err := errs.Err(); err != nil {
					return err
				}
				res, err := s.Intel.Match(r.Context(), p.User.Agency, req.Observables)
				if err != nil {
					return err
				}
				writeJSON(w, http.StatusOK, MatchResponse{Results: res})
				return nil
			}},
	)
}

// fieldEnd finds the "field: detail" separator of an observable error.
func fieldEnd(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == ':' && s[i+1] == ' ' {
			return i
		}
	}
	return 0
}
