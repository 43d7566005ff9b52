package api

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/directory"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/validation"
)

// TokenRequest asks for an API token.
type TokenRequest struct {
	Name string `json:"name"`
	// TTL in Go duration syntax ("720h"); empty for no expiry.
	TTL string `json:"ttl,omitempty"`
}

// TokenResponse carries a new token's secret, shown this once.
type TokenResponse struct {
	Secret string      `json:"secret"`
	Token  store.Token `json:"token"`
}

// ShiftRequest puts a contact on call.
type ShiftRequest struct {
	ContactID string `json:"contact_id"`
	Position  string `json:"position"`
	// Start and End are RFC 3339 times; strings here so a bad value is
	// reported against its field.
	Start string `json:"start" format:"date-time"`
	End   string `json:"end" format:"date-time"`
}

func parseTimes(fields map[string]string) (map[string]time.Time, error) {
	var errs validation.Errors
	out := map[string]time.Time{}
	for _, f := range slices.Sorted(maps.Keys(fields)) {
		v := fields[f]
		if v == "" {
			continue // the domain reports missing values
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			errs.Add(f, "must be an RFC 3339 time such as 2026-11-25T08:00:00Z")
		}
		out[f] = t
	}
	return out, errs.Err()
}

// DescriptorRequest carries a peer's signed descriptor file.
type DescriptorRequest struct {
	Descriptor string `json:"descriptor"`
}

// ChainStatus is the result of verifying the audit chain.
type ChainStatus struct {
	Entries int64  `json:"entries"`
	Head    string `json:"head"`
	Valid   bool   `json:"valid"`
	Problem string `json:"problem,omitempty"`
}

var routes = []Route{
	{Method: "GET", Path: "/node", Perm: auth.NodeRead, Summary: "This node's party, endpoint and key fingerprints", Response: NodeInfo{},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			info, err := s.Info(r.Context())
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, info)
			return nil
		}},
	{Method: "GET", Path: "/node/descriptor", Perm: auth.NodeRead, Summary: "This node's signed descriptor, to give to peers",
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			b, err := s.Descriptor(r.Context())
			if err != nil {
				return err
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(b)
			return nil
		}},
	{Method: "GET", Path: "/me", Perm: auth.SelfManage, Summary: "The calling user", Response: store.User{},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			writeJSON(w, http.StatusOK, p.User)
			return nil
		}},
	{Method: "POST", Path: "/me/tokens", Perm: auth.SelfManage, Summary: "Create an API token for the calling user", Body: TokenRequest{}, Response: TokenResponse{}, Status: http.StatusCreated,
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			return s.createToken(w, r, p, p.User.ID)
		}},
	{Method: "GET", Path: "/me/tokens", Perm: auth.SelfManage, Summary: "The calling user's API tokens (no secrets)", Response: []store.Token{},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			l, err := s.Store.ListTokens(r.Context(), p.User.ID)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, l)
			return nil
		}},
	{Method: "DELETE", Path: "/me/tokens/{id}", Perm: auth.SelfManage, Summary: "Revoke one of the calling user's tokens", Status: http.StatusNoContent,
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			l, err := s.Store.ListTokens(r.Context(), p.User.ID)
			if err != nil {
				return err
			}
			for _, t := range l {
				if t.ID == r.PathValue("id") {
					if err := s.Auth.RevokeToken(r.Context(), p.Actor(), t.ID); err != nil {
						return err
					}
					w.WriteHeader(http.StatusNoContent)
					return nil
				}
			}
			return store.ErrNotFound
		}},
	{Method: "GET", Path: "/agencies", Perm: auth.DirectoryRead, Summary: "The party's agencies", Response: []store.Agency{},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			l, err := s.Store.ListAgencies(r.Context())
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, l)
			return nil
		}},
	{Method: "POST", Path: "/agencies", Perm: auth.AgencyManage, Summary: "Add an agency", Body: store.Agency{}, Response: store.Agency{}, Status: http.StatusCreated,
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			var a store.Agency
			if err := decode(w, r, s.MaxBody, &a); err != nil {
				return err
			}
			a, err := s.Directory.CreateAgency(r.Context(), p.Actor(), a)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusCreated, a)
			return nil
		}},
	{Method: "GET", Path: "/users", Perm: auth.UserRead, Summary: "Accounts on this node", Response: []store.User{},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			l, err := s.Store.ListUsers(r.Context())
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, l)
			return nil
		}},
	{Method: "POST", Path: "/users", Perm: auth.UserManage, Summary: "Create an account", Body: auth.NewUser{}, Response: store.User{}, Status: http.StatusCreated,
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			var n auth.NewUser
			if err := decode(w, r, s.MaxBody, &n); err != nil {
				return err
			}
			u, err := s.Auth.CreateUser(r.Context(), p.Actor(), n)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusCreated, u)
			return nil
		}},
	{Method: "POST", Path: "/users/{id}/disable", Perm: auth.UserManage, Summary: "Disable an account; its tokens stop working", Status: http.StatusNoContent,
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			if r.PathValue("id") == p.User.ID {
				return badRequest("you cannot disable your own account")
			}
			if err := s.Auth.SetDisabled(r.Context(), p.Actor(), r.PathValue("id"), true); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}},
	{Method: "POST", Path: "/users/{id}/tokens", Perm: auth.UserManage, Summary: "Create an API token for a user (e.g. a peer's tool)", Body: TokenRequest{}, Response: TokenResponse{}, Status: http.StatusCreated,
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			return s.createToken(w, r, p, r.PathValue("id"))
		}},
	{Method: "GET", Path: "/contacts", Perm: auth.DirectoryRead, Summary: "Points of contact of the 24/7 network", Response: []store.Contact{},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			l, err := s.Store.ListContacts(r.Context())
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, l)
			return nil
		}},
	{Method: "POST", Path: "/contacts", Perm: auth.DirectoryManage, Summary: "Add a point of contact", Body: store.Contact{}, Response: store.Contact{}, Status: http.StatusCreated,
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			var c store.Contact
			if err := decode(w, r, s.MaxBody, &c); err != nil {
				return err
			}
			c, err := s.Directory.CreateContact(r.Context(), p.Actor(), c)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusCreated, c)
			return nil
		}},
	{Method: "DELETE", Path: "/contacts/{id}", Perm: auth.DirectoryManage, Summary: "Remove a point of contact and its shifts", Status: http.StatusNoContent,
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			if err := s.Directory.DeleteContact(r.Context(), p.Actor(), r.PathValue("id")); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}},
	{Method: "POST", Path: "/shifts", Perm: auth.DirectoryManage, Summary: "Put a contact on call", Body: ShiftRequest{}, Response: store.Shift{}, Status: http.StatusCreated,
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			var req ShiftRequest
			if err := decode(w, r, s.MaxBody, &req); err != nil {
				return err
			}
			ts, err := parseTimes(map[string]string{"start": req.Start, "end": req.End})
			if err != nil {
				return err
			}
			sh, err := s.Directory.CreateShift(r.Context(), p.Actor(), store.Shift{ContactID: req.ContactID, Position: req.Position, Start: ts["start"], End: ts["end"]})
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusCreated, sh)
			return nil
		}},
	{Method: "GET", Path: "/oncall", Perm: auth.DirectoryRead, Summary: "Who is on call now, or at ?at=RFC3339", Response: directory.OnCall{},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			at := s.Auth.Clock.Now()
			if v := r.URL.Query().Get("at"); v != "" {
				t, err := time.Parse(time.RFC3339, v)
				if err != nil {
					return badRequest("at: must be an RFC 3339 time such as 2026-11-25T08:00:00Z")
				}
				at = t
			}
			oc, err := s.Directory.OnCallAt(r.Context(), at)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, oc)
			return nil
		}},
	{Method: "GET", Path: "/peers", Perm: auth.PeerRead, Summary: "Paired peers with pinned key fingerprints and last contact", Response: []store.Peer{},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			l, err := s.Store.ListPeers(r.Context())
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, l)
			return nil
		}},
	{Method: "POST", Path: "/peers", Perm: auth.PeerManage, Summary: "Pair with a peer by importing its signed descriptor", Body: DescriptorRequest{}, Response: store.Peer{}, Status: http.StatusCreated,
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			var req DescriptorRequest
			if err := decode(w, r, s.MaxBody, &req); err != nil {
				return err
			}
			peer, err := s.Peers.Add(r.Context(), p.Actor(), []byte(req.Descriptor))
			if err != nil {
				return badRequest("descriptor: %v", err)
			}
			writeJSON(w, http.StatusCreated, peer)
			return nil
		}},
	{Method: "GET", Path: "/audit", Perm: auth.AuditRead, Summary: "The audit trail, oldest first; filter by ?after=SEQ&actor=&object_type=&object_id=&limit=", Response: []store.AuditEntry{},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			q := r.URL.Query()
			f := store.AuditFilter{Actor: q.Get("actor"), ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id"), Limit: 100}
			var err error
			if v := q.Get("after"); v != "" {
				if f.After, err = strconv.ParseInt(v, 10, 64); err != nil || f.After < 0 {
					return badRequest("after: must be a non-negative integer")
				}
			}
			if v := q.Get("limit"); v != "" {
				if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 1000 {
					return badRequest("limit: must be between 1 and 1000")
				}
			}
			l, err := s.Store.ListAudit(r.Context(), f)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, l)
			return nil
		}},
	{Method: "GET", Path: "/audit/verify", Perm: auth.AuditRead, Summary: "Verify the whole audit hash chain", Response: ChainStatus{},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
			st := ChainStatus{Valid: true}
			for after := int64(0); ; {
				page, err := s.Store.ListAudit(r.Context(), store.AuditFilter{After: after, Limit: 1000})
				if err != nil {
					return err
				}
				if len(page) == 0 {
					break
				}
				if err := store.VerifyChain(st.Head, page); err != nil {
					st.Valid, st.Problem = false, err.Error()
					break
				}
				st.Entries += int64(len(page))
				st.Head = page[len(page)-1].Hash
				after = page[len(page)-1].Seq
			}
			writeJSON(w, http.StatusOK, st)
			return nil
		}},
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p *auth.Principal, userID string) error {
	var req TokenRequest
	if err := decode(w, r, s.MaxBody, &req); err != nil {
		return err
	}
	var ttl time.Duration
	if req.TTL != "" {
		var err error
		if ttl, err = time.ParseDuration(req.TTL); err != nil {
			return badRequest("ttl: must be a duration such as 720h")
		}
	}
	secret, tok, err := s.Auth.CreateToken(r.Context(), p.Actor(), userID, req.Name, ttl)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, TokenResponse{Secret: secret, Token: tok})
	return nil
}
