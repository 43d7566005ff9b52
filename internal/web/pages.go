package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/directory"
	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/intel"
	"github.com/liaison-dev/liaison/internal/intel/match"
	"github.com/liaison-dev/liaison/internal/ledger"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/validation"
)

// Intel.

type intelData struct {
	Collections []store.Collection
	Objects     []store.STIXRow
	More        bool
	Type, ID    string
	ObsType     string
	ObsValue    string
	Results     []intel.MatchResult
	Looked      bool
	ObsTypes    []string
}

// readable returns the collections the user's agency may read.
func (s *Server) readable(r *http.Request) ([]store.Collection, error) {
	p := fromContext(r.Context()).P
	all, err := s.Store.ListCollections(r.Context())
	if err != nil {
		return nil, err
	}
	var out []store.Collection
	for _, c := range all {
		a, err := s.Intel.AccessFor(r.Context(), c.ID, p.User.Agency, "")
		if err != nil {
			return nil, err
		}
		if a.Read {
			out = append(out, c)
		}
	}
	return out, nil
}

func (s *Server) intelPage(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "intel.title")
	q := r.URL.Query()
	d := intelData{Type: q.Get("type"), ID: strings.TrimSpace(q.Get("id")), ObsType: q.Get("obs_type"), ObsValue: strings.TrimSpace(q.Get("obs_value")),
		ObsTypes: []string{"ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file:SHA-256", "file:MD5", "file:SHA-1"}}
	if s.Intel == nil {
		v.D = d
		s.render(w, r, http.StatusOK, "intel", v)
		return
	}
	ctx := r.Context()
	var err error
	if d.Collections, err = s.readable(r); err != nil {
		s.internal(w, r, err)
		return
	}
	for _, c := range d.Collections {
		f := store.STIXFilter{CollectionID: c.ID, Versions: []string{"last"}, Limit: 50}
		if d.Type != "" {
			f.Types = []string{d.Type}
		}
		if d.ID != "" {
			f.IDs = []string{d.ID}
		}
		rows, more, err := s.Intel.Objects(ctx, f)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		d.Objects = append(d.Objects, rows...)
		d.More = d.More || more
	}
	if d.ObsValue != "" && slices.Contains(d.ObsTypes, d.ObsType) {
		o := match.Observable{Type: d.ObsType, Value: d.ObsValue}
		if typ, algo, ok := strings.Cut(d.ObsType, ":"); ok {
			o = match.Observable{Type: typ, Hashes: map[string]string{algo: d.ObsValue}}
		}
		p := fromContext(r.Context()).P
		if d.Results, err = s.Intel.Match(ctx, p.User.Agency, []match.Observable{o}); err != nil {
			s.internal(w, r, err)
			return
		}
		d.Looked = true
	}
	v.D = d
	s.render(w, r, http.StatusOK, "intel", v)
}

func (s *Server) intelObject(w http.ResponseWriter, r *http.Request) {
	if s.Intel == nil {
		s.fail(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	colls, err := s.readable(r)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	for _, c := range colls {
		rows, _, err := s.Intel.Objects(r.Context(), store.STIXFilter{CollectionID: c.ID, IDs: []string{r.PathValue("id")},
			Versions: []string{"last"}, Limit: 1, WithBody: true})
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if len(rows) > 0 {
			v := s.view(r, "intel.object")
			v.D = struct {
				Row        store.STIXRow
				Collection store.Collection
			}{rows[0], c}
			s.render(w, r, http.StatusOK, "intelobject", v)
			return
		}
	}
	s.fail(w, r, http.StatusNotFound, "err.notfound")
}

// Directory.

type peerRow struct {
	store.Peer
	Health     federation.PeerHealth
	HasHealth  bool
	Checkpoint store.WitnessedCheckpoint
	HasCP      bool
}

type directoryData struct {
	Agencies []store.Agency
	Contacts []store.Contact
	OnCall   directory.OnCall
	Peers    []peerRow
	CanPeers bool
}

func (s *Server) directoryPage(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "dir.title")
	ctx := r.Context()
	var d directoryData
	var err error
	if d.Agencies, err = s.Store.ListAgencies(ctx); err != nil {
		s.internal(w, r, err)
		return
	}
	if d.Contacts, err = s.Store.ListContacts(ctx); err != nil {
		s.internal(w, r, err)
		return
	}
	if d.OnCall, err = s.Directory.OnCallAt(ctx, s.now()); err != nil {
		s.internal(w, r, err)
		return
	}
	if d.CanPeers = v.Can(string(auth.PeerRead)); d.CanPeers {
		if d.Peers, err = s.peerRows(r); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	v.D = d
	s.render(w, r, http.StatusOK, "directory", v)
}

func (s *Server) peerRows(r *http.Request) ([]peerRow, error) {
	peers, err := s.Store.ListPeers(r.Context())
	if err != nil {
		return nil, err
	}
	var health map[string]federation.PeerHealth
	if s.Health != nil {
		health = s.Health()
	}
	out := make([]peerRow, len(peers))
	for i, p := range peers {
		out[i].Peer = p
		out[i].Health, out[i].HasHealth = health[p.Party]
		cp, err := s.Store.LatestWitnessed(r.Context(), ledger.Origin(p.Party))
		switch {
		case err == nil:
			out[i].Checkpoint, out[i].HasCP = cp, true
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	return out, nil
}

// Audit.

type auditData struct {
	Entries            []store.AuditEntry
	Actor, Type, Obj   string
	After, Next        int64
	ChainOK, ChainNote bool
}

const auditPage = 100

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "audit.title")
	q := r.URL.Query()
	d := auditData{Actor: strings.TrimSpace(q.Get("actor")), Type: strings.TrimSpace(q.Get("object_type")), Obj: strings.TrimSpace(q.Get("object_id"))}
	d.After, _ = strconv.ParseInt(q.Get("after"), 10, 64)
	var err error
	d.Entries, err = s.Store.ListAudit(r.Context(), store.AuditFilter{After: d.After, Limit: auditPage, Actor: d.Actor, ObjectType: d.Type, ObjectID: d.Obj})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if len(d.Entries) == auditPage {
		d.Next = d.Entries[len(d.Entries)-1].Seq
	}
	// Unfiltered pages are checked against the chain: each entry's hash
	// and its link to the one before.
	if d.Actor == "" && d.Type == "" && d.Obj == "" && len(d.Entries) > 0 {
		d.ChainNote = true
		prev := ""
		if first := d.Entries[0].Seq; first > 1 {
			before, err := s.Store.ListAudit(r.Context(), store.AuditFilter{After: first - 2, Limit: 1})
			if err == nil && len(before) == 1 {
				prev = before[0].Hash
			}
		}
		d.ChainOK = store.VerifyChain(prev, d.Entries) == nil
	}
	v.D = d
	s.render(w, r, http.StatusOK, "audit", v)
}

// Admin.

type adminData struct {
	Agencies []store.Agency
	Users    []store.User
	Tokens   []store.Token
	Peers    []peerRow
	Roles    []auth.Role
}

func (s *Server) adminPage(w http.ResponseWriter, r *http.Request) {
	s.renderAdmin(w, r, http.StatusOK, s.view(r, "admin.title"))
}

func (s *Server) renderAdmin(w http.ResponseWriter, r *http.Request, status int, v *View) {
	ctx := r.Context()
	p := fromContext(ctx).P
	d := adminData{Roles: auth.Roles}
	var err error
	if d.Agencies, err = s.Store.ListAgencies(ctx); err != nil {
		s.internal(w, r, err)
		return
	}
	if d.Users, err = s.Store.ListUsers(ctx); err != nil {
		s.internal(w, r, err)
		return
	}
	if d.Tokens, err = s.Store.ListTokens(ctx, p.User.ID); err != nil {
		s.internal(w, r, err)
		return
	}
	if p.Can(auth.PeerRead) {
		if d.Peers, err = s.peerRows(r); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	v.D = d
	if f := r.URL.Query().Get("flash"); strings.HasPrefix(f, "flash.") {
		v.Flash = f
	}
	s.render(w, r, status, "admin", v)
}

func (s *Server) adminInvalid(w http.ResponseWriter, r *http.Request, err error) {
	errs, ok := validation.As(err)
	if !ok {
		s.domainErr(w, r, err)
		return
	}
	v := s.view(r, "admin.title")
	v.Errors, v.Values = v.formErrors(errs), r.PostForm
	s.renderAdmin(w, r, http.StatusUnprocessableEntity, v)
}

func (s *Server) createAgency(w http.ResponseWriter, r *http.Request) {
	p := fromContext(r.Context()).P
	f := r.PostForm
	_, err := s.Directory.CreateAgency(r.Context(), p.Actor(), store.Agency{Code: strings.TrimSpace(f.Get("code")),
		Name: strings.TrimSpace(f.Get("name")), Kind: strings.TrimSpace(f.Get("kind"))})
	if err != nil {
		s.adminInvalid(w, r, err)
		return
	}
	redirect(w, r, "/admin?flash=flash.saved")
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	p := fromContext(r.Context()).P
	f := r.PostForm
	_, err := s.Auth.CreateUser(r.Context(), p.Actor(), auth.NewUser{Username: strings.TrimSpace(f.Get("username")),
		DisplayName: strings.TrimSpace(f.Get("display_name")), Agency: f.Get("agency"), Roles: f["roles"], Password: f.Get("password"),
		Language: f.Get("language"), TimeZone: strings.TrimSpace(f.Get("time_zone"))})
	if err != nil {
		s.adminInvalid(w, r, err)
		return
	}
	redirect(w, r, "/admin?flash=flash.saved")
}

func (s *Server) setDisabled(w http.ResponseWriter, r *http.Request) {
	p := fromContext(r.Context()).P
	id := r.PathValue("id")
	disabled := r.PostFormValue("disabled") == "true"
	if id == p.User.ID && disabled {
		s.fail(w, r, http.StatusConflict, "err.self")
		return
	}
	if err := s.Auth.SetDisabled(r.Context(), p.Actor(), id, disabled); err != nil {
		s.domainErr(w, r, err)
		return
	}
	if disabled {
		if _, err := s.Store.DeleteUserWebSessions(r.Context(), id); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	redirect(w, r, "/admin?flash=flash.saved")
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	p := fromContext(r.Context()).P
	days, _ := strconv.Atoi(r.PostFormValue("days"))
	secret, _, err := s.Auth.CreateToken(r.Context(), p.Actor(), p.User.ID, strings.TrimSpace(r.PostFormValue("name")), time.Duration(days)*24*time.Hour)
	if err != nil {
		s.adminInvalid(w, r, err)
		return
	}
	v := s.view(r, "admin.title")
	v.Secret, v.Flash = secret, "flash.token"
	s.renderAdmin(w, r, http.StatusOK, v)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	p := fromContext(r.Context()).P
	toks, err := s.Store.ListTokens(r.Context(), p.User.ID)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	id := r.PathValue("id")
	mine := slices.ContainsFunc(toks, func(t store.Token) bool { return t.ID == id })
	if !mine && !p.Can(auth.UserManage) {
		s.fail(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	if err := s.Auth.RevokeToken(r.Context(), p.Actor(), id); err != nil {
		s.domainErr(w, r, err)
		return
	}
	redirect(w, r, "/admin?flash=flash.saved")
}

func (s *Server) addPeer(w http.ResponseWriter, r *http.Request) {
	p := fromContext(r.Context()).P
	desc := r.PostFormValue("descriptor")
	if _, err := s.Peers.Add(r.Context(), p.Actor(), []byte(desc)); err != nil {
		if _, ok := validation.As(err); !ok {
			s.Log.Warn("web: peer add", "err", err)
			err = validation.Errors{{Field: "descriptor", Detail: "err.descriptor"}}
		}
		s.adminInvalid(w, r, err)
		return
	}
	redirect(w, r, "/admin?flash=flash.saved")
}
