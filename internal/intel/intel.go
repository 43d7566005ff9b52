// Package intel is the node's threat-intelligence service: TAXII
// collections with per-agency and per-peer grants, STIX 2.1 ingest that
// keeps every version and enforces the versioning rules, and the queries
// the TAXII server and the API answer from. Subpackages hold the parts:
// stix (objects), marking (TLP), pattern (STIX patterning), taxii (the
// HTTP server).
package intel

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/intel/marking"
	"github.com/liaison-dev/liaison/internal/intel/stix"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/validation"
)

// Service manages collections and their objects.
type Service struct {
	Store  store.Store
	Clock  clock.Clock
	Parser *stix.Parser
	// Federation carries shared objects to peers; nil shares nothing.
	Federation Sender
	// Self is this node's party code.
	Self string

	index indexCache
}

// NewCollection is the input to CreateCollection.
type NewCollection struct {
	Title       string        `json:"title"`
	Description string        `json:"description,omitempty"`
	Alias       string        `json:"alias,omitempty"`
	Grants      []store.Grant `json:"grants"`
}

var (
	aliasRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	grantRE   = regexp.MustCompile(`^(\*|agency:[A-Z0-9][A-Z0-9-]{0,31}|party:[A-Z][A-Z0-9-]{1,15})$`)
	maxGrants = 100
)

// NewUUID returns a random (version 4) UUID, the form TAXII uses for
// collection and status ids.
func NewUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// CreateCollection adds a collection and its grants.
func (s *Service) CreateCollection(ctx context.Context, actor string, n NewCollection) (store.Collection, error) {
	var errs validation.Errors
	errs.Required("title", n.Title, 200)
	errs.MaxLen("description", n.Description, 2000)
	if n.Alias != "" && !aliasRE.MatchString(n.Alias) {
		errs.Add("alias", "must be 1-64 characters of a-z, 0-9 and '-'")
	}
	if len(n.Grants) > maxGrants {
		errs.Add("grants", fmt.Sprintf("at most %d grants", maxGrants))
	}
	for i, g := range n.Grants {
		if !grantRE.MatchString(g.Grantee) {
			errs.Add(fmt.Sprintf("grants[%d].grantee", i), `must be "*", "agency:CODE" or "party:CODE"`)
		}
		if !g.CanRead && !g.CanWrite {
			errs.Add(fmt.Sprintf("grants[%d]", i), "grants nothing: set can_read and/or can_write")
		}
	}
	if err := errs.Err(); err != nil {
		return store.Collection{}, err
	}
	c := store.Collection{ID: NewUUID(), Title: n.Title, Description: n.Description, Alias: n.Alias, Created: s.Clock.Now()}
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		if n.Alias != "" {
			if _, err := q.GetCollection(ctx, n.Alias); err == nil {
				return validation.Errors{{Field: "alias", Detail: "is already used by another collection"}}
			}
		}
		if err := q.CreateCollection(ctx, c); err != nil {
			return err
		}
		for _, g := range n.Grants {
			g.CollectionID = c.ID
			if err := q.SetGrant(ctx, g); err != nil {
				return err
			}
		}
		return audit.Record(ctx, q, s.Clock, actor, "collection.create", "collection", c.ID, nil, n)
	})
	return c, err
}

// Access is what a caller may do with a collection.
type Access struct{ Read, Write bool }

// AccessFor resolves the grants of a collection for one of this node's
// agencies, or (with party set) for a peer.
func (s *Service) AccessFor(ctx context.Context, collectionID, agency, party string) (Access, error) {
	grants, err := s.Store.ListGrants(ctx, collectionID)
	if err != nil {
		return Access{}, err
	}
	var a Access
	for _, g := range grants {
		match := (party == "" && (g.Grantee == "*" || g.Grantee == "agency:"+agency)) ||
			(party != "" && g.Grantee == "party:"+party)
		if match {
			a.Read = a.Read || g.CanRead
			a.Write = a.Write || g.CanWrite
		}
	}
	return a, nil
}

// Result is the outcome of adding one object.
type Result struct {
	ID      string `json:"id"`
	Version string `json:"version,omitempty"`
	Message string `json:"message,omitempty"`
}

// Status is the outcome of one add request (the TAXII status resource).
type Status struct {
	ID        string      `json:"id"`
	Status    string      `json:"status"`
	Requested time.Time   `json:"-"`
	Total     int         `json:"total_count"`
	Success   int         `json:"success_count"`
	Successes []Result    `json:"successes,omitempty"`
	Failure   int         `json:"failure_count"`
	Failures  []Result    `json:"failures,omitempty"`
	Pending   int         `json:"pending_count"`
	DateAdded []time.Time `json:"-"`
}

// Add stores validated objects in a collection, applying the STIX
// versioning rules (section 3.6): versions of an object share its created
// time and creator (only the creator versions an object), may arrive in
// any order, and none may follow a revocation, which is final. A version
// already stored is a success that changes nothing, so adds are
// idempotent. Objects that fail are reported in the status, not stored;
// the rest commit together.
func (s *Service) Add(ctx context.Context, actor, collectionID string, objs []*stix.Object, rejected []error) (*Status, error) {
	st := &Status{ID: NewUUID(), Status: "complete", Requested: s.Clock.Now(), Total: len(objs) + len(rejected)}
	for _, err := range rejected {
		var se *stix.Error
		r := Result{Message: err.Error()}
		if errors.As(err, &se) {
			r.ID = se.ID
		}
		st.Failures = append(st.Failures, r)
	}
	var shared []*stix.Object
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		var err error
		shared, err = s.addIn(ctx, q, actor, collectionID, objs, st)
		if err != nil {
			return err
		}
		return s.share(ctx, q, collectionID, shared)
	})
	if err != nil {
		return nil, err
	}
	s.changed()
	if len(shared) > 0 && s.Federation != nil {
		s.Federation.Kick()
	}
	return st, nil
}

// addIn is Add inside the caller's transaction; it returns the objects it
// stored (new versions), which are the ones to share onwards.
func (s *Service) addIn(ctx context.Context, q store.Queries, actor, collectionID string, objs []*stix.Object, st *Status) ([]*stix.Object, error) {
	var added []*stix.Object
	err := func() error {
		coll, err := q.GetCollection(ctx, collectionID)
		if err != nil {
			return err
		}
		collectionID = coll.ID // an alias names the same collection
		last, err := q.LastDateAdded(ctx, collectionID)
		if err != nil {
			return err
		}
		now := s.Clock.Now().Truncate(time.Microsecond)
		ids := make([]string, len(objs))
		for i, o := range objs {
			ids[i] = o.ID
		}
		stored, err := q.ObjectVersionsIn(ctx, collectionID, ids)
		if err != nil {
			return err
		}
		known := make(map[string][]store.STIXRow, len(stored))
		for _, r := range stored {
			known[r.ID] = append(known[r.ID], r)
		}
		rows := make([]store.STIXRow, 0, len(objs))
		for _, o := range objs {
			versions := known[o.ID]
			version := stix.FormatTimestamp(o.Version())
			dup, msg := checkVersion(o, versions)
			if msg != "" {
				st.Failures = append(st.Failures, Result{ID: o.ID, Version: version, Message: msg})
				continue
			}
			if dup {
				st.Successes = append(st.Successes, Result{ID: o.ID, Version: version, Message: "already in the collection"})
				continue
			}
			dateAdded := now
			if !dateAdded.After(last) {
				dateAdded = last.Add(time.Microsecond)
			}
			last = dateAdded
			tlp := marking.Effective(o.MarkingRefs)
			row := store.STIXRow{CollectionID: collectionID, ID: o.ID, Type: o.Type, SpecVersion: o.SpecVersion, Version: o.Version(),
				Created: o.Created, CreatedByRef: o.CreatedByRef, Revoked: o.Revoked, TLP: int(tlp), DateAdded: dateAdded, Body: o.Raw}
			row.Latest, row.First = isLatest(row, versions), isFirst(row, versions)
			if err := displace(ctx, q, collectionID, row, versions, rows); err != nil {
				return err
			}
			known[o.ID] = append(versions, row)
			rows = append(rows, row)
			added = append(added, o)
			st.Successes = append(st.Successes, Result{ID: o.ID, Version: version})
			st.DateAdded = append(st.DateAdded, dateAdded)
		}
		if err := q.InsertObjects(ctx, rows); err != nil {
			return err
		}
		st.Success, st.Failure = len(st.Successes), len(st.Failures)
		detail, _ := json.Marshal(st)
		if err := q.CreateTAXIIStatus(ctx, store.TAXIIStatus{ID: st.ID, CollectionID: collectionID, Requested: st.Requested,
			Total: st.Total, Success: st.Success, Failure: st.Failure, Detail: detail}); err != nil {
			return err
		}
		return audit.RecordDetail(ctx, q, s.Clock, actor, "intel.add", "collection", collectionID, nil, nil,
			fmt.Sprintf("%d objects added, %d refused (status %s)", len(rows), st.Failure, st.ID))
	}()
	return added, err
}

// checkVersion applies the versioning rules to o against the stored
// versions of its id. dup reports an exact version already stored; msg
// explains a refusal.
func checkVersion(o *stix.Object, versions []store.STIXRow) (dup bool, msg string) {
	for _, v := range versions {
		if v.Version.Equal(o.Version()) {
			return true, ""
		}
	}
	for _, v := range versions {
		if v.Revoked && v.Version.Before(o.Version()) {
			return false, "the object was revoked at version " + stix.FormatTimestamp(v.Version) + "; revocation is final"
		}
		if !v.Created.Equal(o.Created) {
			return false, "created differs from the stored versions' (" + stix.FormatTimestamp(v.Created) + "); versions of an object share created"
		}
		if v.CreatedByRef != o.CreatedByRef {
			return false, "only the creator (" + orNone(v.CreatedByRef) + ") may version this object"
		}
	}
	if len(versions) > 0 && o.Version().IsZero() {
		return true, "" // unversioned observable already present
	}
	return false, ""
}

func orNone(s string) string {
	if s == "" {
		return "no created_by_ref"
	}
	return s
}

// displace clears latest and first on the stored versions of row's
// object, and on the rows of this batch not yet inserted, when row takes
// them over.
func displace(ctx context.Context, q store.Queries, collectionID string, row store.STIXRow, versions, batch []store.STIXRow) error {
	if len(versions) == 0 {
		return nil
	}
	if row.Latest {
		if err := q.ClearLatest(ctx, collectionID, row.ID); err != nil {
			return err
		}
	}
	if row.First {
		if err := q.ClearFirst(ctx, collectionID, row.ID); err != nil {
			return err
		}
	}
	for i := range versions {
		versions[i].Latest = versions[i].Latest && !row.Latest
		versions[i].First = versions[i].First && !row.First
	}
	for i := range batch {
		if batch[i].ID == row.ID {
			batch[i].Latest = batch[i].Latest && !row.Latest
			batch[i].First = batch[i].First && !row.First
		}
	}
	return nil
}

func isFirst(row store.STIXRow, versions []store.STIXRow) bool {
	for _, v := range versions {
		if !row.Version.Before(v.Version) {
			return false
		}
	}
	return true
}

func isLatest(row store.STIXRow, versions []store.STIXRow) bool {
	for _, v := range versions {
		if !row.Version.After(v.Version) {
			return false
		}
	}
	return true
}

// Objects pages through a collection.
func (s *Service) Objects(ctx context.Context, f store.STIXFilter) (rows []store.STIXRow, more bool, err error) {
	rows, err = s.Store.QueryObjects(ctx, f)
	if err != nil {
		return nil, false, err
	}
	if len(rows) > f.Limit {
		return rows[:f.Limit], true, nil
	}
	return rows, false, nil
}

// Delete removes an object's versions from a collection.
func (s *Service) Delete(ctx context.Context, actor, collectionID, id string, versions []time.Time) error {
	defer s.changed()
	return s.Store.InTx(ctx, func(q store.Queries) error {
		n, err := q.DeleteObject(ctx, collectionID, id, versions)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		return audit.RecordDetail(ctx, q, s.Clock, actor, "intel.delete", "stix", id, nil, nil,
			fmt.Sprintf("%d version(s) removed from collection %s", n, collectionID))
	})
}

// Grantee formats an agency grant.
func Grantee(agency string) string { return "agency:" + strings.ToUpper(agency) }
