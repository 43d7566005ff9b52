package taxii_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/intel"
	"github.com/liaison-dev/liaison/internal/intel/taxii"
	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/store"
)

const (
	password = "analyst passphrase"
	media    = "application/taxii+json;version=2.1"
)

type env struct {
	t    *testing.T
	n    *node.Node
	srv  *httptest.Server
	coll string
}

// newEnv builds a node with two agencies, an analyst in each, an officer,
// and a collection that only FBI may read and write.
func newEnv(t *testing.T) *env {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "n")
	if _, err := node.Init(ctx, node.InitOptions{Dir: dir, Party: "US", Name: "United States"}); err != nil {
		t.Fatal(err)
	}
	n, err := node.Open(ctx, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	for _, a := range []string{"FBI", "CISA"} {
		n.Directory.CreateAgency(ctx, "t", store.Agency{Code: a, Name: a, Kind: "police"})
	}
	for user, spec := range map[string][2]string{"fbi-analyst": {"FBI", "analyst"}, "cisa-analyst": {"CISA", "analyst"}, "fbi-officer": {"FBI", "liaison_officer"}, "fbi-admin": {"FBI", "admin"}} {
		if _, err := n.Auth.CreateUser(ctx, "t", auth.NewUser{Username: user, DisplayName: user, Agency: spec[0], Roles: []string{spec[1]}, Password: password}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := n.Intel.CreateCollection(ctx, "t", intel.NewCollection{Title: "High Value Indicator Collection", Alias: "high-value",
		Grants: []store.Grant{{Grantee: "agency:FBI", CanRead: true, CanWrite: true}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(n.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, n: n, srv: srv, coll: c.ID}
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (e *env) do(method, path, user, accept, ctype, body string) reply {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	json.Unmarshal(b, &r.body)
	return r
}

func (e *env) get(path, user string) reply { return e.do("GET", path, user, media, "", "") }

func (e *env) objects() string { return "/taxii2/liaison/collections/" + e.coll + "/objects/" }

// fixture is the TAXII conformance fixture's indicator collection.
func fixture(t *testing.T) string {
	b, err := os.ReadFile("../../../../shared/conformance/taxii/default_data.json")
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]struct {
		Collections []struct {
			ID      string            `json:"id"`
			Objects []json.RawMessage `json:"objects"`
		} `json:"collections"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	for _, c := range d["trustgroup1"].Collections {
		if c.ID == "91a7b528-80eb-42ed-a74d-c6fbd5a26116" {
			env, _ := json.Marshal(map[string]any{"objects": c.Objects})
			return string(env)
		}
	}
	t.Fatal("fixture collection missing")
	return ""
}

func (e *env) load() reply {
	e.t.Helper()
	r := e.do("POST", e.objects(), "fbi-analyst", media, media, fixture(e.t))
	if r.status != http.StatusAccepted {
		e.t.Fatalf("add: %d %s", r.status, r.raw)
	}
	return r
}

func TestDiscoveryAndAPIRoot(t *testing.T) {
	e := newEnv(t)
	r := e.get("/taxii2/", "fbi-analyst")
	if r.status != 200 || r.header.Get("Content-Type") != media || r.body["default"] != "/taxii2/liaison/" {
		t.Fatalf("discovery: %d %s", r.status, r.raw)
	}
	r = e.get("/taxii2/liaison/", "fbi-analyst")
	if r.status != 200 || r.body["max_content_length"] == nil || !strings.Contains(r.raw, media) {
		t.Fatalf("api root: %d %s", r.status, r.raw)
	}
}

func TestNegotiationAndAuth(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, method, path, user, accept, ctype, body string
		status                                        int
	}{
		{"no credentials", "GET", "/taxii2/", "", media, "", "", 401},
		{"no Accept", "GET", "/taxii2/", "fbi-analyst", "", "", "", 406},
		{"Accept json", "GET", "/taxii2/", "fbi-analyst", "application/json", "", "", 406},
		{"Accept taxii 2.0", "GET", "/taxii2/", "fbi-analyst", "application/taxii+json;version=2.0", "", "", 406},
		{"Accept taxii without version", "GET", "/taxii2/", "fbi-analyst", "application/taxii+json", "", "", 200},
		{"role without intel access", "GET", "/taxii2/", "fbi-admin", media, "", "", 403},
		{"wrong content type", "POST", e.objects(), "fbi-analyst", media, "application/json", `{"objects":[]}`, 415},
		{"read-only role writes", "POST", e.objects(), "fbi-officer", media, media, `{"objects":[]}`, 403},
		{"other agency sees no collection", "GET", "/taxii2/liaison/collections/" + e.coll + "/", "cisa-analyst", media, "", "", 404},
		{"unknown collection", "GET", "/taxii2/liaison/collections/00000000-0000-4000-8000-000000000000/objects/", "fbi-analyst", media, "", "", 404},
		{"unknown filter", "GET", e.objects() + "?match[colour]=red", "fbi-analyst", media, "", "", 400},
		{"bad added_after", "GET", e.objects() + "?added_after=yesterday", "fbi-analyst", media, "", "", 400},
		{"bad limit", "GET", e.objects() + "?limit=0", "fbi-analyst", media, "", "", 400},
		{"bad next", "GET", e.objects() + "?next=%21", "fbi-analyst", media, "", "", 400},
		{"too many ids", "GET", e.objects() + "?match[id]=" + strings.Repeat("indicator--6770298f-0fd8-471a-ab8c-1c658a46574e,", taxii.MaxMatchValues) + "x--y",
			"fbi-analyst", media, "", "", 400},
		{"most ids", "GET", e.objects() + "?match[id]=" + strings.TrimSuffix(strings.Repeat("indicator--6770298f-0fd8-471a-ab8c-1c658a46574e,", taxii.MaxMatchValues), ","),
			"fbi-analyst", media, "", "", 200},
		{"malformed envelope", "POST", e.objects(), "fbi-analyst", media, media, `{"objects":[`, 400},
		{"too large", "POST", e.objects(), "fbi-analyst", media, media, `{"objects":["` + strings.Repeat("x", 2<<20) + `"]}`, 413},
		{"no such resource", "GET", "/taxii2/liaison/nothing/", "fbi-analyst", media, "", "", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.user, tc.accept, tc.ctype, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			if tc.status >= 400 && (r.body["http_status"] != strconv.Itoa(tc.status) || r.body["title"] == nil) {
				t.Fatalf("not a TAXII error: %s", r.raw)
			}
		})
	}
}

func TestAddObjectsAndStatus(t *testing.T) {
	e := newEnv(t)
	r := e.load()
	if r.body["total_count"] != 8.0 || r.body["success_count"] != 7.0 || r.body["failure_count"] != 1.0 {
		t.Fatalf("status: %s", r.raw)
	}
	if !strings.Contains(r.raw, "spec_version") {
		t.Fatalf("the STIX 2.0 object's failure does not name spec_version: %s", r.raw)
	}
	st := e.get("/taxii2/liaison/status/"+r.body["id"].(string)+"/", "fbi-analyst")
	if st.status != 200 || st.body["success_count"] != 7.0 || st.body["status"] != "complete" {
		t.Fatalf("status resource: %d %s", st.status, st.raw)
	}
	if other := e.get("/taxii2/liaison/status/"+r.body["id"].(string)+"/", "cisa-analyst"); other.status != 404 {
		t.Fatalf("status visible to an agency without access: %d", other.status)
	}
	// Adding the same objects again changes nothing and succeeds.
	again := e.load()
	if again.body["success_count"] != 7.0 {
		t.Fatalf("re-add: %s", again.raw)
	}
	if m := e.get("/taxii2/liaison/collections/"+e.coll+"/manifest/?match[version]=all", "fbi-analyst"); len(m.body["objects"].([]any)) != 7 {
		t.Fatalf("manifest after re-add: %s", m.raw)
	}
}

func count(r reply) int {
	objs, _ := r.body["objects"].([]any)
	return len(objs)
}

func TestFiltersAndPagination(t *testing.T) {
	e := newEnv(t)
	e.load()
	cases := []struct {
		query string
		want  int
	}{
		{"", 5}, // latest version of each of the 5 objects
		{"?match[version]=all", 7},
		{"?match[version]=first", 5},
		{"?match[version]=2016-12-25T12:30:59.444Z", 1},
		{"?match[version]=first,last", 6},
		{"?match[type]=indicator", 2},
		{"?match[type]=indicator&match[version]=all", 4},
		{"?match[id]=indicator--6770298f-0fd8-471a-ab8c-1c658a46574e&match[version]=all", 3},
		{"?match[type]=malware,relationship", 2},
		{"?match[spec_version]=2.0", 0},
		{"?match[spec_version]=2.0,2.1", 5},
	}
	for _, tc := range cases {
		r := e.get(e.objects()+tc.query, "fbi-analyst")
		if r.status != 200 || count(r) != tc.want {
			t.Errorf("%s: %d objects (status %d), want %d", tc.query, count(r), r.status, tc.want)
		}
	}
	// Page through all versions two at a time: every object exactly once,
	// in date_added order, with the date headers and more/next.
	var seen []string
	next := ""
	for page := 0; ; page++ {
		q := "?match[version]=all&limit=2"
		if next != "" {
			q += "&next=" + next
		}
		r := e.get(e.objects()+q, "fbi-analyst")
		if r.status != 200 || r.header.Get("X-TAXII-Date-Added-First") == "" || r.header.Get("X-TAXII-Date-Added-Last") == "" {
			t.Fatalf("page %d: %d %v %s", page, r.status, r.header, r.raw)
		}
		for _, o := range r.body["objects"].([]any) {
			m := o.(map[string]any)
			seen = append(seen, fmt.Sprint(m["id"], "@", m["modified"]))
		}
		if r.body["more"] != true {
			break
		}
		next = r.body["next"].(string)
		if page > 10 {
			t.Fatal("pagination does not end")
		}
	}
	distinct := map[string]bool{}
	for _, s := range seen {
		distinct[s] = true
	}
	if len(seen) != 7 || len(distinct) != 7 {
		t.Fatalf("paged %d objects: %v", len(seen), seen)
	}
	// added_after the last date_added returns nothing.
	all := e.get(e.objects()+"?match[version]=all", "fbi-analyst")
	last := all.header.Get("X-TAXII-Date-Added-Last")
	if r := e.get(e.objects()+"?added_after="+last, "fbi-analyst"); count(r) != 0 {
		t.Fatalf("added_after last: %s", r.raw)
	}
}

func TestObjectVersionsManifestDelete(t *testing.T) {
	e := newEnv(t)
	e.load()
	id := "indicator--6770298f-0fd8-471a-ab8c-1c658a46574e"
	r := e.get(e.objects()+id+"/", "fbi-analyst")
	if count(r) != 1 || !strings.Contains(r.raw, "2017-01-27T13:49:53.935Z") {
		t.Fatalf("latest version: %s", r.raw)
	}
	v := e.get(e.objects()+id+"/versions/", "fbi-analyst")
	vs, _ := v.body["versions"].([]any)
	if v.status != 200 || len(vs) != 3 || v.body["more"] != false {
		t.Fatalf("versions: %s", v.raw)
	}
	m := e.get("/taxii2/liaison/collections/"+e.coll+"/manifest/?match[type]=indicator", "fbi-analyst")
	recs, _ := m.body["objects"].([]any)
	if len(recs) != 2 || !strings.Contains(m.raw, `"media_type":"application/stix+json;version=2.1"`) {
		t.Fatalf("manifest: %s", m.raw)
	}
	if r := e.get(e.objects()+"indicator--00000000-0000-4000-8000-000000000000/", "fbi-analyst"); r.status != 404 {
		t.Fatalf("missing object: %d", r.status)
	}
	if r := e.do("DELETE", e.objects()+id+"/?match[version]=2017-01-27T13:49:53.935Z", "fbi-analyst", media, "", ""); r.status != 200 {
		t.Fatalf("delete version: %d %s", r.status, r.raw)
	}
	// The previous version is the latest again.
	if r := e.get(e.objects()+id+"/", "fbi-analyst"); !strings.Contains(r.raw, "2016-12-25T12:30:59.444Z") {
		t.Fatalf("after deleting the latest version: %s", r.raw)
	}
	if r := e.do("DELETE", e.objects()+id+"/", "fbi-officer", media, "", ""); r.status != 403 {
		t.Fatalf("officer delete: %d", r.status)
	}
	if r := e.do("DELETE", e.objects()+id+"/", "fbi-analyst", media, "", ""); r.status != 200 {
		t.Fatalf("delete: %d", r.status)
	}
	if r := e.get(e.objects()+id+"/versions/", "fbi-analyst"); r.status != 404 {
		t.Fatalf("deleted object still has versions: %d", r.status)
	}
}

func TestVersioningRules(t *testing.T) {
	e := newEnv(t)
	base := `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created_by_ref":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff","created":"2016-04-06T20:03:48.000Z","modified":"%s","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"%s}`
	obj := func(modified, extra string) string {
		return strings.Replace(strings.Replace(base, "%s", modified, 1), "%s", extra, 1)
	}
	add := func(objs ...string) reply {
		return e.do("POST", e.objects(), "fbi-analyst", media, media, `{"objects":[`+strings.Join(objs, ",")+`]}`)
	}
	if r := add(obj("2016-04-06T20:03:48.000Z", "")); r.body["success_count"] != 1.0 {
		t.Fatal(r.raw)
	}
	other := strings.Replace(obj("2016-05-01T00:00:00.000Z", ""), "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff", "identity--00000000-0000-4000-8000-000000000001", 1)
	if r := add(other); r.body["failure_count"] != 1.0 || !strings.Contains(r.raw, "only the creator") {
		t.Fatalf("version by another creator: %s", r.raw)
	}
	if r := add(obj("2016-06-01T00:00:00.000Z", `,"revoked":true`)); r.body["success_count"] != 1.0 {
		t.Fatal(r.raw)
	}
	if r := add(obj("2016-07-01T00:00:00.000Z", "")); r.body["failure_count"] != 1.0 || !strings.Contains(r.raw, "revocation is final") {
		t.Fatalf("version after revocation: %s", r.raw)
	}
	// An older version may still arrive late; it does not become latest.
	if r := add(obj("2016-05-15T00:00:00.000Z", "")); r.body["success_count"] != 1.0 {
		t.Fatal(r.raw)
	}
	if r := e.get(e.objects()+"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/", "fbi-analyst"); !strings.Contains(r.raw, `"revoked":true`) {
		t.Fatalf("latest is not the revocation: %s", r.raw)
	}
}
