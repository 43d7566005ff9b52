package intelbench

import (
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/TcM1911/stix2"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/intel"
	"github.com/liaison-dev/liaison/internal/intel/stix"
	"github.com/liaison-dev/liaison/internal/intel/taxii"
	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/store"
)

// PeerVersion names the parser the STIX ingest is compared with.
const PeerVersion = "github.com/TcM1911/stix2 v0.10.3"

// IntelResult is what `liaison bench intel --json` prints.
type IntelResult struct {
	Objects            int     `json:"objects"`
	ValidatedObjsPerS  float64 `json:"validated_objs_per_s"`
	PeerParsedObjsPerS float64 `json:"peer_parsed_objs_per_s"`
	Peer               string  `json:"peer"`
	Ratio              float64 `json:"ratio"`
	StoredObjects      int     `json:"stored_objects"`
	StoredObjsPerS     float64 `json:"stored_objs_per_s"`
	// StoreOnlyObjsPerS is the commit side alone (the single writer).
	StoreOnlyObjsPerS float64 `json:"store_only_objs_per_s"`
	Store             string  `json:"store"`
	TAXIIPages        int     `json:"taxii_pages"`
	TAXIIPageP50Ms    float64 `json:"taxii_page_p50_ms"`
	TAXIIPageP99Ms    float64 `json:"taxii_page_p99_ms"`
	TAXIIPageObjects  int     `json:"taxii_page_objects"`
}

// IntelOptions size the benchmark.
type IntelOptions struct {
	// Parse is the bundle size for the parser comparison.
	Parse int
	// Collection is how many objects the TAXII collection holds; storing
	// them is the stored_objs_per_s measurement.
	Collection int
	// Pages is how many TAXII pages of 1000 are timed.
	Pages int
	// Dir holds the benchmark node (a temporary directory when empty).
	Dir string
	// Database is empty for SQLite or a postgres:// URL.
	Database string
}

// RunIntel measures parsing against the peer, durable ingest, and TAXII
// paging over a large collection.
func RunIntel(ctx context.Context, o IntelOptions) (IntelResult, error) {
	res := IntelResult{Objects: o.Parse, Peer: PeerVersion, StoredObjects: o.Collection, TAXIIPages: o.Pages}
	dir := o.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "liaison-bench-intel-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if _, err := node.Init(ctx, node.InitOptions{Dir: filepath.Join(dir, "node"), Party: "US", Name: "Bench", Listen: "127.0.0.1:0", Database: o.Database}); err != nil {
		return res, err
	}
	n, err := node.Open(ctx, filepath.Join(dir, "node"), slog.New(slog.DiscardHandler))
	if err != nil {
		return res, err
	}
	defer n.Close()
	res.Store = n.Store.Backend()

	// Parse and validate, ours (with pattern checking) against the peer,
	// on the same bytes in memory (as the peer takes them, and as a TAXII
	// add has them once its body is read), alternating to share the
	// machine's state fairly.
	data := Bundle(o.Parse, 42)
	// The first round of each only warms the heap (the first parse of a
	// large bundle pays the operating system for fresh pages), and is not
	// timed.
	var ours, peer time.Duration
	for i := range 4 {
		if i == 1 {
			ours, peer = 0, 0
		}
		start := time.Now()
		objs, rejected, err := n.Intel.Parser.ParseBundle(data)
		ours += time.Since(start)
		if err != nil || len(rejected) > 0 || len(objs) != o.Parse {
			return res, fmt.Errorf("bench bundle did not validate: %v %v", err, rejected)
		}
		start = time.Now()
		if _, err := stix2.FromJSON(data); err != nil {
			return res, fmt.Errorf("peer: %w", err)
		}
		peer += time.Since(start)
	}
	res.ValidatedObjsPerS = float64(3*o.Parse) / ours.Seconds()
	res.PeerParsedObjsPerS = float64(3*o.Parse) / peer.Seconds()
	res.Ratio = res.ValidatedObjsPerS / res.PeerParsedObjsPerS

	// Durable ingest: validate and commit batches of 10,000, each batch one
	// transaction, as a TAXII add of that size would.
	if _, err := n.Directory.CreateAgency(ctx, "bench", store.Agency{Code: "BENCH", Name: "Bench", Kind: "cert"}); err != nil {
		return res, err
	}
	coll, err := n.Intel.CreateCollection(ctx, "bench", intel.NewCollection{Title: "Bench", Grants: []store.Grant{{Grantee: "*", CanRead: true, CanWrite: true}}})
	if err != nil {
		return res, err
	}
	// The feed is generated before the clock starts (it is what TAXII
	// clients would send, not part of ingest). Parsing and storing then
	// overlap, as they do when several clients post at once: batches are
	// validated on one goroutine while the previous batch commits through
	// the single writer. The clock runs from the first validation to the
	// last commit.
	const batch = 10_000
	var feed [][]byte
	for done, seed := 0, uint64(1000); done < o.Collection; seed++ {
		k := min(batch, o.Collection-done)
		feed = append(feed, Bundle(k, seed))
		done += k
	}
	type parsed struct {
		objs []*stix.Object
		took time.Duration
		err  error
	}
	batches := make(chan parsed, 1)
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		defer close(batches)
		for i, b := range feed {
			feed[i] = nil // the batch's objects hold it until they are stored
			start := time.Now()
			objs, rejected, err := n.Intel.Parser.ParseBundle(b)
			if err == nil && len(rejected) > 0 {
				err = fmt.Errorf("batch: %v", rejected)
			}
			select {
			case batches <- parsed{objs, time.Since(start), err}:
			case <-pctx.Done():
				return
			}
		}
	}()
	var first time.Time
	var storeTook time.Duration
	stored := 0
	for p := range batches {
		if p.err != nil {
			return res, p.err
		}
		if first.IsZero() {
			first = time.Now().Add(-p.took)
		}
		start := time.Now()
		st, err := n.Intel.Add(ctx, "bench", coll.ID, p.objs, nil)
		if err != nil {
			return res, err
		}
		storeTook += time.Since(start)
		if st.Success != len(p.objs) {
			return res, fmt.Errorf("batch stored %d of %d", st.Success, len(p.objs))
		}
		stored += st.Success
	}
	res.StoredObjsPerS = float64(stored) / time.Since(first).Seconds()
	res.StoreOnlyObjsPerS = float64(stored) / storeTook.Seconds()

	// PostgreSQL plans from table statistics, which a bulk load leaves
	// stale until autovacuum catches up; refresh them as an operator would
	// after loading a large feed. SQLite plans from the schema alone.
	if db, ok := n.Store.(interface{ DB() *sql.DB }); ok && res.Store == "postgres" {
		if _, err := db.DB().ExecContext(ctx, `ANALYZE stix_objects`); err != nil {
			return res, err
		}
	}

	// TAXII pages of 1000 from random points of the collection, over TLS
	// on loopback, authenticated with an API token.
	p50, p99, objs, err := taxiiPages(ctx, n, coll.ID, o.Collection, o.Pages)
	res.TAXIIPageP50Ms, res.TAXIIPageP99Ms, res.TAXIIPageObjects = p50, p99, objs
	return res, err
}

func taxiiPages(ctx context.Context, n *node.Node, collID string, stored, pages int) (p50, p99 float64, objects int, err error) {
	u, err := n.Auth.CreateUser(ctx, "bench", auth.NewUser{Username: "bench-analyst", DisplayName: "Bench", Agency: "BENCH",
		Roles: []string{string(auth.Analyst)}, Password: "bench password 1234"})
	if err != nil {
		return 0, 0, 0, err
	}
	secret, _, err := n.Auth.CreateToken(ctx, "bench", u.ID, "bench", time.Hour)
	if err != nil {
		return 0, 0, 0, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, 0, err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- n.Serve(sctx, ln) }()
	defer func() { cancel(); <-done }()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	// Page cursors at random points: the date_added of a random object.
	rows, err := n.Store.QueryObjects(ctx, store.STIXFilter{CollectionID: collID, Versions: []string{store.VersionAll}, Limit: 1})
	if err != nil || len(rows) == 0 {
		return 0, 0, 0, fmt.Errorf("empty collection: %v", err)
	}
	first := rows[0].DateAdded
	last, err := n.Store.LastDateAdded(ctx, collID)
	if err != nil {
		return 0, 0, 0, err
	}
	// Random starting points that leave a full page after them: objects
	// were added at an even pace, so the last 1000 take about 1000/stored
	// of the span of date_added.
	span := int64(last.Sub(first))
	if stored > 1000 {
		span = span / int64(stored) * int64(stored-1000)
	}
	r := rand.New(rand.NewPCG(7, 7))
	var took []float64
	for i := range pages + 5 {
		after := first.Add(time.Duration(r.Int64N(max(1, span))))
		req, _ := http.NewRequestWithContext(ctx, "GET", "https://"+ln.Addr().String()+taxii.APIRoot+"collections/"+collID+
			"/objects/?limit=1000&added_after="+after.UTC().Format("2006-01-02T15:04:05.000000Z"), nil)
		req.Header.Set("Accept", taxii.MediaTAXII)
		req.Header.Set("Authorization", "Bearer "+secret)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, 0, 0, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			return 0, 0, 0, fmt.Errorf("TAXII page: %d %.200s", resp.StatusCode, body)
		}
		if i >= 5 { // the first pages warm the connection and caches
			took = append(took, float64(time.Since(start).Microseconds())/1000)
			objects += bytes.Count(body, []byte(`"spec_version"`))
		}
	}
	slices.Sort(took)
	return took[len(took)/2], took[min(len(took)-1, len(took)*99/100)], objects / pages, nil
}
