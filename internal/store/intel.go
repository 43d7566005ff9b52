package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// IntelQueries keep STIX objects in TAXII collections, every version of
// each, with the access grants of each collection and the status of TAXII
// add requests.
type IntelQueries interface {
	CreateCollection(ctx context.Context, c Collection) error
	GetCollection(ctx context.Context, id string) (Collection, error)
	ListCollections(ctx context.Context) ([]Collection, error)
	// SetGrant adds or replaces the access of grantee to a collection.
	SetGrant(ctx context.Context, g Grant) error
	ListGrants(ctx context.Context, collectionID string) ([]Grant, error)

	// ObjectVersions returns the stored versions of one object, oldest
	// first, without bodies.
	ObjectVersions(ctx context.Context, collectionID, id string) ([]STIXRow, error)
	// ObjectVersionsIn is ObjectVersions for many ids at once (ingest
	// checks a whole batch with a few queries).
	ObjectVersionsIn(ctx context.Context, collectionID string, ids []string) ([]STIXRow, error)
	// InsertObjects stores object versions in one statement per batch.
	// Each row's DateAdded must be unique within its collection and later
	// than any before it; Latest must be set on the newest version and
	// First on the oldest, and the caller clears them on the versions it
	// displaces (ClearLatest, ClearFirst). The store does not look up the
	// versions already stored: the caller does (ObjectVersionsIn, in the
	// same transaction) and stores each (id, version) once.
	InsertObjects(ctx context.Context, rows []STIXRow) error
	// ClearLatest marks the current latest version of id as superseded.
	ClearLatest(ctx context.Context, collectionID, id string) error
	// ClearFirst marks the current oldest version of id as no longer the
	// oldest.
	ClearFirst(ctx context.Context, collectionID, id string) error
	// MergeObjectIDs moves the ids of recently added objects into the main
	// id table (InsertObjects does so on its own when there are many).
	MergeObjectIDs(ctx context.Context) error
	// LastDateAdded is the newest date_added of a collection (zero if
	// empty).
	LastDateAdded(ctx context.Context, collectionID string) (time.Time, error)
	// QueryObjects pages through a collection in date_added order.
	QueryObjects(ctx context.Context, f STIXFilter) ([]STIXRow, error)
	// DeleteObject removes an object's versions (all when versions is
	// empty), returning how many went.
	DeleteObject(ctx context.Context, collectionID, id string, versions []time.Time) (int64, error)

	CreateTAXIIStatus(ctx context.Context, s TAXIIStatus) error
	GetTAXIIStatus(ctx context.Context, id string) (TAXIIStatus, error)
}

// Collection is a TAXII collection.
type Collection struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	Alias       string    `json:"alias,omitempty"`
	Created     time.Time `json:"created"`
}

// Grant gives a grantee read and/or write access to a collection.
// Grantees are "agency:CODE", "party:CODE" (a peer), or "*" (every
// agency of this node).
type Grant struct {
	CollectionID string `json:"collection_id"`
	Grantee      string `json:"grantee"`
	CanRead      bool   `json:"can_read"`
	CanWrite     bool   `json:"can_write"`
}

// STIXRow is one stored version of a STIX object.
type STIXRow struct {
	CollectionID string
	ID           string
	Type         string
	SpecVersion  string
	// Version is the object's modified time (created for marking
	// definitions; zero for observables, which are unversioned).
	Version      time.Time
	Created      time.Time
	CreatedByRef string
	Revoked      bool
	TLP          int
	DateAdded    time.Time
	Latest       bool
	// First marks the oldest stored version.
	First bool
	Body  []byte // nil when a query asked for metadata only
}

// Version selections (TAXII 2.1 §3.4.2, match[version]).
const (
	VersionLast  = "last"
	VersionFirst = "first"
	VersionAll   = "all"
)

// STIXFilter selects objects of a collection.
type STIXFilter struct {
	CollectionID string
	// AddedAfter excludes objects added at or before it.
	AddedAfter time.Time
	IDs, Types []string
	// Versions holds "last", "first", "all" and/or explicit versions.
	Versions     []string
	VersionTimes []time.Time
	// Limit bounds the rows returned; QueryObjects returns up to Limit+1
	// so the caller can tell whether there is more.
	Limit int
	// WithBody loads object bodies; manifests and version lists do not
	// need them.
	WithBody bool
}

// TAXIIStatus is the outcome of one add-objects request.
type TAXIIStatus struct {
	ID           string
	CollectionID string
	Requested    time.Time
	Total        int
	// Detail is the TAXII status resource's successes/failures lists as
	// JSON.
	Detail  []byte
	Success int
	Failure int
}

// stixCols are the columns of a stored version, body aside. Objects are
// keyed by their collection's integer key (taxii_collections.seq), which
// statements look up from the collection id with collectionKey.
const stixCols = `date_added, id, type, spec_version, version, created, created_by_ref, revoked, tlp, latest, earliest`

// collectionKey is the integer key of the collection whose id is bound to
// it.
const collectionKey = `(SELECT seq FROM taxii_collections WHERE id = ?)`

func (q queries) CreateCollection(ctx context.Context, c Collection) error {
	_, err := q.exec(ctx, `INSERT INTO taxii_collections (id, title, description, alias, created) VALUES (?, ?, ?, ?, ?)`,
		c.ID, c.Title, c.Description, c.Alias, micros(c.Created))
	return err
}

func scanCollection(s interface{ Scan(...any) error }) (Collection, error) {
	var c Collection
	var created int64
	err := s.Scan(&c.ID, &c.Title, &c.Description, &c.Alias, &created)
	c.Created = fromMicros(created)
	return c, err
}

func (q queries) GetCollection(ctx context.Context, id string) (Collection, error) {
	c, err := scanCollection(q.row(ctx, `SELECT id, title, description, alias, created FROM taxii_collections WHERE id = ? OR (alias <> '' AND alias = ?)`, id, id))
	return c, q.mapErr(err)
}

func (q queries) ListCollections(ctx context.Context) ([]Collection, error) {
	rows, err := q.query(ctx, `SELECT id, title, description, alias, created FROM taxii_collections ORDER BY created, id`)
	return collect(rows, err, func(r *sql.Rows) (Collection, error) { return scanCollection(r) })
}

func (q queries) SetGrant(ctx context.Context, g Grant) error {
	_, err := q.exec(ctx, `INSERT INTO taxii_grants (collection_id, grantee, can_read, can_write) VALUES (?, ?, ?, ?)
		ON CONFLICT (collection_id, grantee) DO UPDATE SET can_read = excluded.can_read, can_write = excluded.can_write`,
		g.CollectionID, g.Grantee, boolInt(g.CanRead), boolInt(g.CanWrite))
	return err
}

func (q queries) ListGrants(ctx context.Context, collectionID string) ([]Grant, error) {
	rows, err := q.query(ctx, `SELECT collection_id, grantee, can_read, can_write FROM taxii_grants WHERE collection_id = ? ORDER BY grantee`, collectionID)
	return collect(rows, err, func(r *sql.Rows) (Grant, error) {
		var g Grant
		var cr, cw int
		err := r.Scan(&g.CollectionID, &g.Grantee, &cr, &cw)
		g.CanRead, g.CanWrite = cr != 0, cw != 0
		return g, err
	})
}

// scanSTIX reads a row of stixCols (and body) of a collection.
func scanSTIX(r *sql.Rows, collectionID string, withBody bool) (STIXRow, error) {
	s := STIXRow{CollectionID: collectionID}
	var version, created, added int64
	var revoked, latest, first int
	dest := []any{&added, &s.ID, &s.Type, &s.SpecVersion, &version, &created, &s.CreatedByRef, &revoked, &s.TLP, &latest, &first}
	if withBody {
		dest = append(dest, &s.Body)
	}
	err := r.Scan(dest...)
	// Version 0 is an unversioned observable; keep it the zero time.
	s.Version, s.Created, s.DateAdded = fromMicros(version), fromMicros(created), fromMicros(added)
	s.Revoked, s.Latest, s.First = revoked != 0, latest != 0, first != 0
	return s, err
}

// byIDHash is the condition on stix_objects that selects the objects of
// a collection whose id hashes (queries.idHasher) to one of n values,
// through both id tables. Different ids may share a hash, so every lookup
// also compares the id itself. Its arguments come from hashArgs.
func byIDHash(n int) string {
	in := "?" + strings.Repeat(", ?", n-1)
	return `date_added IN (SELECT date_added FROM stix_ids WHERE collection = ` + collectionKey + ` AND h IN (` + in + `)
		UNION ALL SELECT date_added FROM stix_ids_recent WHERE collection = ` + collectionKey + ` AND h IN (` + in + `))`
}

// hashArgs appends byIDHash's arguments for the id hashes hs to args.
func hashArgs(args []any, collectionID string, hs []int64) []any {
	for range 2 {
		args = append(args, collectionID)
		for _, h := range hs {
			args = append(args, h)
		}
	}
	return args
}

// idHashes returns the hashes of ids, in the same order.
func (q queries) idHashes(ctx context.Context, ids []string) ([]int64, error) {
	hash, err := q.idHasher(ctx)
	if err != nil {
		return nil, err
	}
	hs := make([]int64, len(ids))
	for i, id := range ids {
		hs[i] = hash(id)
	}
	return hs, nil
}

// idRow is an entry of the id tables.
type idRow struct{ coll, h, added int64 }

func (a idRow) compare(b idRow) int {
	if c := cmp.Compare(a.coll, b.coll); c != 0 {
		return c
	}
	if c := cmp.Compare(a.h, b.h); c != 0 {
		return c
	}
	return cmp.Compare(a.added, b.added)
}

// valuesSQL is a multi-row INSERT of n rows of per values each.
func valuesSQL(verb, table string, per, n int) string {
	row := "(?" + strings.Repeat(", ?", per-1) + ")"
	return verb + ` INTO ` + table + ` VALUES ` + row + strings.Repeat(", "+row, n-1)
}

// objectIDMerge is how many ids stix_ids_recent holds before
// InsertObjects moves them into stix_ids. The recent table is written at
// random places, the main one in one ordered pass per merge: a bigger
// threshold makes merges rarer and every insert dearer.
const objectIDMerge = 50_000

func (q queries) ObjectVersions(ctx context.Context, collectionID, id string) ([]STIXRow, error) {
	return q.ObjectVersionsIn(ctx, collectionID, []string{id})
}

// preparer is a transaction or pool that can prepare a statement.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// chunked runs a statement built for n items (build) over items in chunks
// of at most size, preparing the full-size statement once and reusing it:
// SQLite compiles the text of every unprepared statement, and a statement
// of hundreds of rows costs as much to compile as to run. run executes
// one chunk with stmt (nil for the unprepared remainder) or the text.
func chunked(ctx context.Context, q queries, total, size int, build func(n int) string, run func(st *sql.Stmt, text string, lo, hi int) error) error {
	var full *sql.Stmt
	if p, ok := q.w.(preparer); ok && total >= 2*size {
		st, err := p.PrepareContext(ctx, q.d.Rebind(build(size)))
		if err != nil {
			return q.mapErr(err)
		}
		defer st.Close()
		full = st
	}
	for lo := 0; lo < total; lo += size {
		hi := min(total, lo+size)
		var err error
		if full != nil && hi-lo == size {
			err = run(full, "", lo, hi)
		} else {
			err = run(nil, build(hi-lo), lo, hi)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ObjectVersionsIn finds the versions through the hashes of the ids, in
// hash order so that each statement's probes walk the id tables in one
// direction, then keeps the rows whose id is one asked for, ordered by id
// and version.
func (q queries) ObjectVersionsIn(ctx context.Context, collectionID string, ids []string) ([]STIXRow, error) {
	hs, err := q.idHashes(ctx, ids)
	if err != nil {
		return nil, err
	}
	slices.Sort(hs)
	hs = slices.Compact(hs)
	want := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		want[id] = struct{}{}
	}
	build := func(n int) string {
		return `SELECT ` + stixCols + ` FROM stix_objects WHERE collection = ` + collectionKey + ` AND ` + byIDHash(n)
	}
	var out []STIXRow
	args := make([]any, 0, 2*min(len(hs), lookupBatch)+3)
	err = chunked(ctx, q, len(hs), lookupBatch, build, func(st *sql.Stmt, text string, lo, hi int) error {
		args = hashArgs(append(args[:0], collectionID), collectionID, hs[lo:hi])
		var rows *sql.Rows
		var err error
		if st != nil {
			rows, err = st.QueryContext(ctx, args...)
			err = q.mapErr(err)
		} else {
			rows, err = q.query(ctx, text, args...)
		}
		got, err := collect(rows, err, func(r *sql.Rows) (STIXRow, error) { return scanSTIX(r, collectionID, false) })
		for _, r := range got {
			if _, ok := want[r.ID]; ok {
				out = append(out, r)
			}
		}
		return err
	})
	slices.SortFunc(out, func(a, b STIXRow) int {
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return a.Version.Compare(b.Version)
	})
	return out, err
}

// lookupBatch bounds the ids of one version lookup; insertBatch the rows
// of one multi-row INSERT (SQLite allows 32766 parameters; 13 per row).
const (
	lookupBatch = 500
	insertBatch = 500
	idBatch     = 1000
)

// insertVerb is INSERT OR FAIL on SQLite (see insertObjects), INSERT
// elsewhere.
func (q queries) insertVerb() string {
	if q.d.Name == "sqlite" {
		return `INSERT OR FAIL`
	}
	return `INSERT`
}

func (q queries) InsertObjects(ctx context.Context, rows []STIXRow) error {
	return q.atomic(ctx, func(q queries) error { return q.insertObjects(ctx, rows) })
}

// insertObjects runs in a transaction: on SQLite the rows go in with
// INSERT OR FAIL, which leaves the rows before a failing one in place
// instead of undoing the statement, so SQLite keeps no statement journal
// (a copy of every page the statement touches); a failure aborts the
// whole transaction anyway.
func (q queries) insertObjects(ctx context.Context, rows []STIXRow) error {
	keys := map[string]int64{}
	for _, r := range rows {
		if _, ok := keys[r.CollectionID]; ok {
			continue
		}
		var k int64
		if err := q.row(ctx, `SELECT seq FROM taxii_collections WHERE id = ?`, r.CollectionID).Scan(&k); err != nil {
			return fmt.Errorf("collection %s: %w", r.CollectionID, q.mapErr(err))
		}
		keys[r.CollectionID] = k
	}
	values := func(table string, per int) func(n int) string {
		return func(n int) string { return valuesSQL(q.insertVerb(), table, per, n) }
	}
	run := func(st *sql.Stmt, text string, args []any) error {
		if st != nil {
			_, err := st.ExecContext(ctx, args...)
			return q.mapErr(err)
		}
		_, err := q.exec(ctx, text, args...)
		return err
	}
	args := make([]any, 0, min(len(rows), insertBatch)*13)
	err := chunked(ctx, q, len(rows), insertBatch, values(`stix_objects (collection, `+stixCols+`, body)`, 13), func(st *sql.Stmt, text string, lo, hi int) error {
		args = args[:0]
		for _, s := range rows[lo:hi] {
			args = append(args, keys[s.CollectionID], micros(s.DateAdded), s.ID, s.Type, s.SpecVersion, micros(s.Version), micros(s.Created),
				s.CreatedByRef, boolInt(s.Revoked), s.TLP, boolInt(s.Latest), boolInt(s.First), s.Body)
		}
		return run(st, text, args)
	})
	if err != nil {
		return err
	}
	// The id table's entries in key order, so that each statement moves
	// through the table in one direction.
	hash, err := q.idHasher(ctx)
	if err != nil {
		return err
	}
	ks := make([]idRow, len(rows))
	for i, s := range rows {
		ks[i] = idRow{keys[s.CollectionID], hash(s.ID), micros(s.DateAdded)}
	}
	slices.SortFunc(ks, idRow.compare)
	args = args[:0]
	err = chunked(ctx, q, len(ks), idBatch, values(`stix_ids_recent (collection, h, date_added)`, 3), func(st *sql.Stmt, text string, lo, hi int) error {
		args = args[:0]
		for _, k := range ks[lo:hi] {
			args = append(args, k.coll, k.h, k.added)
		}
		return run(st, text, args)
	})
	if err != nil {
		return err
	}
	var recent int
	if err := q.row(ctx, `SELECT COUNT(*) FROM stix_ids_recent`).Scan(&recent); err != nil {
		return q.mapErr(err)
	}
	if recent >= objectIDMerge {
		return q.mergeObjectIDs(ctx)
	}
	return nil
}

// fillObjectIDs indexes the objects stored before the id tables existed
// (migration 012), in key order.
func fillObjectIDs(ctx context.Context, tx *sql.Tx, d Dialect) error {
	key := newIDKey()
	if _, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO stix_id_key (k) VALUES (?)`), key); err != nil {
		return err
	}
	hash, err := hasherFor(key)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT collection, id, date_added FROM stix_objects`)
	if err != nil {
		return err
	}
	var ks []idRow
	for rows.Next() {
		var k idRow
		var id string
		if err := rows.Scan(&k.coll, &id, &k.added); err != nil {
			rows.Close()
			return err
		}
		k.h = hash(id)
		ks = append(ks, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	slices.SortFunc(ks, idRow.compare)
	for lo := 0; lo < len(ks); lo += idBatch {
		chunk := ks[lo:min(len(ks), lo+idBatch)]
		args := make([]any, 0, 3*len(chunk))
		for _, k := range chunk {
			args = append(args, k.coll, k.h, k.added)
		}
		if _, err := tx.ExecContext(ctx, d.Rebind(valuesSQL("INSERT", "stix_ids (collection, h, date_added)", 3, len(chunk))), args...); err != nil {
			return err
		}
	}
	return nil
}

func (q queries) MergeObjectIDs(ctx context.Context) error {
	return q.atomic(ctx, func(q queries) error { return q.mergeObjectIDs(ctx) })
}

// mergeObjectIDs runs in a transaction; INSERT OR FAIL for the reason
// given at insertObjects.
func (q queries) mergeObjectIDs(ctx context.Context) error {
	if _, err := q.exec(ctx, q.insertVerb()+` INTO stix_ids (collection, h, date_added)
		SELECT collection, h, date_added FROM stix_ids_recent ORDER BY collection, h, date_added`); err != nil {
		return err
	}
	_, err := q.exec(ctx, `DELETE FROM stix_ids_recent`)
	return err
}

func (q queries) ClearLatest(ctx context.Context, collectionID, id string) error {
	return q.clearFlag(ctx, "latest", collectionID, id)
}

func (q queries) ClearFirst(ctx context.Context, collectionID, id string) error {
	return q.clearFlag(ctx, "earliest", collectionID, id)
}

// clearFlag sets a flag column (latest, earliest) to 0 on every version
// of id.
func (q queries) clearFlag(ctx context.Context, col, collectionID, id string) error {
	hs, err := q.idHashes(ctx, []string{id})
	if err != nil {
		return err
	}
	args := hashArgs([]any{collectionID}, collectionID, hs)
	_, err = q.exec(ctx, `UPDATE stix_objects SET `+col+` = 0 WHERE collection = `+collectionKey+` AND `+byIDHash(1)+
		` AND id = ? AND `+col+` = 1`, append(args, id)...)
	return err
}

func (q queries) LastDateAdded(ctx context.Context, collectionID string) (time.Time, error) {
	var v sql.NullInt64
	err := q.row(ctx, `SELECT MAX(date_added) FROM stix_objects WHERE collection = `+collectionKey, collectionID).Scan(&v)
	return fromMicros(v.Int64), q.mapErr(err)
}

func (q queries) QueryObjects(ctx context.Context, f STIXFilter) ([]STIXRow, error) {
	where := []string{"collection = " + collectionKey}
	args := []any{f.CollectionID}
	if !f.AddedAfter.IsZero() {
		where = append(where, "date_added > ?")
		args = append(args, micros(f.AddedAfter))
	}
	in := func(col string, vals []string) {
		if len(vals) == 0 {
			return
		}
		where = append(where, col+" IN (?"+strings.Repeat(", ?", len(vals)-1)+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	if len(f.IDs) > 0 {
		hs, err := q.idHashes(ctx, f.IDs)
		if err != nil {
			return nil, err
		}
		where = append(where, byIDHash(len(hs)))
		args = hashArgs(args, f.CollectionID, hs)
	}
	in("id", f.IDs)
	in("type", f.Types)
	// "all" overrides every other selection; otherwise a version matches
	// if any selection does.
	if !slices.Contains(f.Versions, VersionAll) {
		var vs []string
		for _, v := range f.Versions {
			switch v {
			case VersionLast:
				vs = append(vs, "latest = 1")
			case VersionFirst:
				vs = append(vs, "earliest = 1")
			}
		}
		for _, t := range f.VersionTimes {
			vs = append(vs, "version = ?")
			args = append(args, micros(t))
		}
		if len(vs) > 0 {
			where = append(where, "("+strings.Join(vs, " OR ")+")")
		}
	}
	cols := stixCols
	if f.WithBody {
		cols += ", body"
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	// The page is a range scan of the date_added index from the cursor
	// (AddedAfter), never an OFFSET.
	rows, err := q.query(ctx, `SELECT `+cols+` FROM stix_objects WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY date_added LIMIT %d`, limit+1), args...)
	return collect(rows, err, func(r *sql.Rows) (STIXRow, error) { return scanSTIX(r, f.CollectionID, f.WithBody) })
}

func (q queries) DeleteObject(ctx context.Context, collectionID, id string, versions []time.Time) (int64, error) {
	var n int64
	err := q.atomic(ctx, func(q queries) error {
		var err error
		n, err = q.deleteObject(ctx, collectionID, id, versions)
		return err
	})
	return n, err
}

func (q queries) deleteObject(ctx context.Context, collectionID, id string, versions []time.Time) (int64, error) {
	stored, err := q.ObjectVersions(ctx, collectionID, id)
	if err != nil {
		return 0, err
	}
	var gone, kept []STIXRow
	for _, r := range stored {
		if len(versions) == 0 || slices.ContainsFunc(versions, r.Version.Equal) {
			gone = append(gone, r)
		} else {
			kept = append(kept, r)
		}
	}
	if len(gone) == 0 {
		return 0, nil
	}
	added := make([]any, len(gone))
	for i, r := range gone {
		added[i] = micros(r.DateAdded)
	}
	list := "?" + strings.Repeat(", ?", len(gone)-1)
	if _, err := q.exec(ctx, `DELETE FROM stix_objects WHERE collection = `+collectionKey+` AND date_added IN (`+list+`)`,
		append([]any{collectionID}, added...)...); err != nil {
		return 0, err
	}
	hs, err := q.idHashes(ctx, []string{id})
	if err != nil {
		return 0, err
	}
	for _, table := range []string{"stix_ids", "stix_ids_recent"} {
		if _, err := q.exec(ctx, `DELETE FROM `+table+` WHERE collection = `+collectionKey+` AND h = ? AND date_added IN (`+list+`)`,
			append([]any{collectionID, hs[0]}, added...)...); err != nil {
			return 0, err
		}
	}
	// Whatever versions now are newest and oldest become latest and first
	// (ObjectVersions returns them oldest first).
	if len(kept) > 0 {
		for _, set := range []struct {
			col string
			row STIXRow
		}{{"latest", kept[len(kept)-1]}, {"earliest", kept[0]}} {
			if _, err := q.exec(ctx, `UPDATE stix_objects SET `+set.col+` = 1 WHERE collection = `+collectionKey+` AND date_added = ?`,
				collectionID, micros(set.row.DateAdded)); err != nil {
				return 0, err
			}
		}
	}
	return int64(len(gone)), nil
}

func (q queries) CreateTAXIIStatus(ctx context.Context, s TAXIIStatus) error {
	_, err := q.exec(ctx, `INSERT INTO taxii_status (id, collection_id, requested, total, success, failure, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.CollectionID, micros(s.Requested), s.Total, s.Success, s.Failure, s.Detail)
	return err
}

func (q queries) GetTAXIIStatus(ctx context.Context, id string) (TAXIIStatus, error) {
	var s TAXIIStatus
	var req int64
	err := q.row(ctx, `SELECT id, collection_id, requested, total, success, failure, detail FROM taxii_status WHERE id = ?`, id).
		Scan(&s.ID, &s.CollectionID, &req, &s.Total, &s.Success, &s.Failure, &s.Detail)
	s.Requested = fromMicros(req)
	return s, q.mapErr(err)
}
