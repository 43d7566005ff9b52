package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/api"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/validation"
)

const password = "correct horse battery"

// testNode is a real node (SQLite in a temp dir) with one user per role,
// served over HTTPS by httptest.
type testNode struct {
	n   *node.Node
	srv *httptest.Server
}

func newTestNode(t *testing.T) *testNode {
	t.Helper()
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "node")
	if _, err := node.Init(ctx, node.InitOptions{Dir: dir, Party: "US", Name: "United States"}); err != nil {
		t.Fatal(err)
	}
	n, err := node.Open(ctx, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if _, err := n.Directory.CreateAgency(ctx, "test", store.Agency{Code: "FBI", Name: "FBI", Kind: "police"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range auth.Roles {
		if _, err := n.Auth.CreateUser(ctx, "test", auth.NewUser{Username: "u-" + strings.ReplaceAll(string(r), "_", "-"), DisplayName: string(r),
			Agency: "FBI", Roles: []string{string(r)}, Password: password}); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewTLSServer(n.Handler())
	t.Cleanup(srv.Close)
	return &testNode{n: n, srv: srv}
}

func (tn *testNode) do(t *testing.T, method, path, user, body string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequestWithContext(t.Context(), method, tn.srv.URL+path, rd)
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := tn.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// allowed is the expected authorization of every route, written out
// independently of the policy table so that a change to either shows here.
var allowed = map[string][]auth.Role{
	"GET /node":                            auth.Roles,
	"GET /node/descriptor":                 auth.Roles,
	"GET /me":                              auth.Roles,
	"POST /me/tokens":                      auth.Roles,
	"GET /me/tokens":                       auth.Roles,
	"DELETE /me/tokens/{id}":               auth.Roles,
	"GET /agencies":                        auth.Roles,
	"POST /agencies":                       {auth.Admin},
	"GET /users":                           {auth.Admin, auth.Supervisor, auth.Auditor},
	"POST /users":                          {auth.Admin},
	"POST /users/{id}/disable":             {auth.Admin},
	"POST /users/{id}/tokens":              {auth.Admin},
	"GET /contacts":                        auth.Roles,
	"POST /contacts":                       {auth.Admin, auth.Supervisor},
	"DELETE /contacts/{id}":                {auth.Admin, auth.Supervisor},
	"POST /shifts":                         {auth.Admin, auth.Supervisor},
	"GET /oncall":                          auth.Roles,
	"GET /peers":                           auth.Roles,
	"POST /peers":                          {auth.Admin},
	"GET /audit":                           {auth.Admin, auth.Supervisor, auth.Auditor},
	"GET /audit/verify":                    {auth.Admin, auth.Supervisor, auth.Auditor},
	"GET /intel/collections":               {auth.Analyst, auth.Officer, auth.Supervisor, auth.Auditor},
	"POST /intel/collections":              {auth.Admin, auth.Analyst},
	"POST /intel/match":                    {auth.Analyst, auth.Officer, auth.Supervisor, auth.Auditor},
	"POST /intel/collections/{id}/preview": {auth.Analyst, auth.Officer, auth.Supervisor, auth.Auditor},
	"GET /requests/types":                  {auth.Officer, auth.CentralAuthority, auth.Supervisor, auth.Auditor},
	"GET /requests":                        {auth.Officer, auth.CentralAuthority, auth.Supervisor, auth.Auditor},
	"POST /requests":                       {auth.Officer, auth.CentralAuthority, auth.Supervisor},
	"GET /requests/{id}":                   {auth.Officer, auth.CentralAuthority, auth.Supervisor, auth.Auditor},
	"POST /requests/{id}/actions/{action}": {auth.Officer, auth.CentralAuthority, auth.Supervisor},
	"POST /requests/{id}/attachments":      {auth.Officer, auth.CentralAuthority, auth.Supervisor},
	"GET /requests/{id}/attachments/{att}": {auth.Officer, auth.CentralAuthority, auth.Supervisor, auth.Auditor},
	"GET /requests/{id}/attachments/{att}/custody": {auth.Officer, auth.CentralAuthority, auth.Supervisor, auth.Auditor},
	"GET /hotline/calls":                           {auth.Officer, auth.Supervisor, auth.Auditor, auth.Admin},
	"POST /hotline/calls/{id}/ack":                 {auth.Officer, auth.Supervisor},
	"GET /hotline/drills":                          {auth.Officer, auth.Supervisor, auth.Auditor, auth.Admin},
	"POST /hotline/drills":                         {auth.Officer, auth.Supervisor},
	"POST /hotline/schedules":                      {auth.Officer, auth.Supervisor},
	"GET /hotline/notices":                         {auth.Officer, auth.Supervisor, auth.Auditor, auth.Admin},
	"POST /intel/samples":                          {auth.Analyst},
	"GET /intel/samples":                           {auth.Analyst, auth.Officer, auth.Supervisor, auth.Auditor},
	"GET /intel/samples/{id}":                      {auth.Analyst, auth.Officer, auth.Supervisor, auth.Auditor},
	"GET /intel/samples/{id}/content":              {auth.Analyst},
	"GET /ledger/checkpoint":                       {auth.Admin, auth.Supervisor, auth.Auditor},
	"GET /ledger/keys":                             {auth.Admin, auth.Supervisor, auth.Auditor},
	"GET /ledger/proofs/{id}":                      {auth.Admin, auth.Supervisor, auth.Auditor},
	"GET /ledger/consistency":                      {auth.Admin, auth.Supervisor, auth.Auditor},
	"GET /ledger/export":                           {auth.Admin, auth.Supervisor, auth.Auditor},
	"GET /ledger/alarms":                           {auth.Admin, auth.Supervisor, auth.Auditor},
	"GET /rounds":                                  {auth.Officer, auth.CentralAuthority, auth.Supervisor, auth.Auditor, auth.Admin},
	"GET /rounds/{id}":                             {auth.Officer, auth.CentralAuthority, auth.Supervisor, auth.Auditor, auth.Admin},
	"POST /rounds/import":                          {auth.Supervisor},
	"GET /commitments":                             {auth.Officer, auth.CentralAuthority, auth.Supervisor, auth.Auditor, auth.Admin},
	"POST /commitments/{id}":                       {auth.Supervisor},
	"GET /progress/metrics":                        {auth.Officer, auth.CentralAuthority, auth.Supervisor, auth.Auditor, auth.Admin},
	"GET /reports":                                 {auth.Officer, auth.CentralAuthority, auth.Supervisor, auth.Auditor, auth.Admin},
	"GET /reports/{id}":                            {auth.Officer, auth.CentralAuthority, auth.Supervisor, auth.Auditor, auth.Admin},
	"POST /reports/verify":                         {auth.Supervisor, auth.Auditor},

	// Joint cases and leads (cases.go).
	"GET /cases/categories":                             {auth.Officer, auth.CentralAuthority, auth.Analyst, auth.Supervisor, auth.Auditor},
	"GET /cases":                                        {auth.Officer, auth.CentralAuthority, auth.Analyst, auth.Supervisor, auth.Auditor},
	"POST /cases":                                       {auth.Officer, auth.Analyst, auth.Supervisor},
	"POST /cases/bec":                                   {auth.Officer, auth.Analyst, auth.Supervisor},
	"GET /cases/{id}":                                   {auth.Officer, auth.CentralAuthority, auth.Analyst, auth.Supervisor, auth.Auditor},
	"POST /cases/{id}/update":                           {auth.Officer, auth.Analyst, auth.Supervisor},
	"POST /cases/{id}/party":                            {auth.Officer, auth.Analyst, auth.Supervisor},
	"POST /cases/{id}/items":                            {auth.Officer, auth.Analyst, auth.Supervisor},
	"POST /cases/{id}/trail":                            {auth.Officer, auth.Analyst, auth.Supervisor},
	"POST /cases/{id}/tasks":                            {auth.Officer, auth.Analyst, auth.Supervisor},
	"POST /cases/{id}/participants":                     {auth.Officer, auth.Analyst, auth.Supervisor},
	"POST /cases/{id}/items/{item}/share":               {auth.Officer, auth.Analyst, auth.Supervisor},
	"POST /cases/{id}/items/{item}/permission":          {auth.Officer, auth.Analyst, auth.Supervisor},
	"POST /cases/{id}/items/{item}/permission/decision": {auth.Officer, auth.Analyst, auth.Supervisor},
	"POST /cases/{id}/attachments":                      {auth.Officer, auth.Analyst, auth.Supervisor},
	"GET /cases/{id}/attachments/{att}":                 {auth.Officer, auth.CentralAuthority, auth.Analyst, auth.Supervisor, auth.Auditor},
	"GET /leads":                                        {auth.Officer, auth.CentralAuthority, auth.Analyst, auth.Supervisor, auth.Auditor},
	"POST /leads":                                       {auth.Officer, auth.Analyst, auth.Supervisor},
	"GET /leads/{id}":                                   {auth.Officer, auth.CentralAuthority, auth.Analyst, auth.Supervisor, auth.Auditor},
	"POST /leads/{id}/accept":                           {auth.Officer, auth.Analyst, auth.Supervisor},
	"POST /leads/{id}/decline":                          {auth.Officer, auth.Analyst, auth.Supervisor},
}

// TestEveryRouteEveryRole walks the whole API: every route without
// credentials (401), and as each role (403 exactly when the role is not
// allowed; anything else must not be an authorization failure).
func TestEveryRouteEveryRole(t *testing.T) {
	tn := newTestNode(t)
	routes := tn.n.API.Routes()
	seen := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		seen[key] = true
		want, ok := allowed[key]
		if !ok {
			t.Errorf("route %s has no expected authorization in this test", key)
			continue
		}
		path := api.Prefix + strings.NewReplacer("{id}", "00000000000000000000000000000000").Replace(rt.Path)
		body := ""
		if rt.Method == "POST" {
			body = "{}"
		}
		t.Run(key, func(t *testing.T) {
			resp, b := tn.do(t, rt.Method, path, "", body)
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("anonymous: %d %s", resp.StatusCode, b)
			}
			for _, role := range auth.Roles {
				user := "u-" + strings.ReplaceAll(string(role), "_", "-")
				resp, b := tn.do(t, rt.Method, path, user, body)
				if slices.Contains(want, role) {
					if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode >= 500 {
						t.Errorf("%s: allowed, got %d %s", role, resp.StatusCode, b)
					}
					continue
				}
				var p api.Problem
				json.Unmarshal(b, &p)
				if resp.StatusCode != http.StatusForbidden || p.Status != http.StatusForbidden {
					t.Errorf("%s: want 403 problem, got %d %s", role, resp.StatusCode, b)
				}
			}
		})
	}
	for key := range allowed {
		if !seen[key] {
			t.Errorf("expected route %s is not served", key)
		}
	}
}

func TestBadInput(t *testing.T) {
	tn := newTestNode(t)
	cases := []struct {
		name, method, path, body string
		status                   int
		field                    string
	}{
		{"malformed json", "POST", "/agencies", `{"code":`, 400, ""},
		{"trailing data", "POST", "/agencies", `{"code":"A","name":"A","kind":"police"} {}`, 400, ""},
		{"unknown field", "POST", "/agencies", `{"code":"A","name":"A","kind":"police","color":"red"}`, 400, "color"},
		{"wrong type", "POST", "/agencies", `{"code":["A"]}`, 400, "code"},
		{"empty body", "POST", "/agencies", ``, 400, ""},
		{"invalid fields", "POST", "/agencies", `{"code":"lower case","name":"","kind":"army"}`, 422, "kind"},
		{"invalid user", "POST", "/users", `{"username":"A B","agency":"FBI","roles":["king"],"password":"short"}`, 422, "roles"},
		{"bad time", "POST", "/shifts", `{"contact_id":"x","position":"primary","start":"tomorrow"}`, 422, "start"},
		{"too large", "POST", "/agencies", `{"name":"` + strings.Repeat("a", 2<<20) + `"}`, 413, ""},
		{"bad query", "GET", "/audit?limit=0", "", 400, ""},
		{"no route", "GET", "/nothing-here", "", 404, ""},
		{"unknown object", "DELETE", "/contacts/abc", "", 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := tn.do(t, tc.method, api.Prefix+tc.path, "u-admin", tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, b)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
			var p api.Problem
			if err := json.Unmarshal(b, &p); err != nil || p.Status != tc.status || p.Title == "" {
				t.Fatalf("not a problem document: %s", b)
			}
			if tc.field != "" && !slices.ContainsFunc(p.Errors, func(e validation.FieldError) bool { return e.Field == tc.field }) {
				t.Fatalf("field %q not named: %s", tc.field, b)
			}
		})
	}
	// Nothing of the rejected writes reached the store.
	if l, _ := tn.n.Store.ListAgencies(context.Background()); len(l) != 1 {
		t.Fatalf("agencies after bad input: %v", l)
	}
}

func TestSecurityHeadersAndNoSecretsInErrors(t *testing.T) {
	tn := newTestNode(t)
	resp, b := tn.do(t, "GET", api.Prefix+"/agencies", "", "")
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if !strings.Contains(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Error("401 without WWW-Authenticate")
	}
	if strings.Contains(string(b), "store:") || strings.Contains(string(b), "sql") {
		t.Errorf("internal detail leaked: %s", b)
	}
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	tn := newTestNode(t)
	resp, b := tn.do(t, "GET", api.Prefix+"/openapi.json", "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			XPerm     string         `json:"x-liaison-permission"`
			Responses map[string]any `json:"responses"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	// Request fields are described per type, from the same declaration
	// that validates them.
	if req, _ := doc.Components.Schemas["RequestFields_preservation"]["required"].([]any); len(req) == 0 {
		t.Errorf("no fields schema for preservation requests: %v", doc.Components.Schemas["RequestFields_preservation"])
	}
	var s api.Server
	for _, rt := range s.Routes() {
		op, ok := doc.Paths[api.Prefix+rt.Path][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("%s %s missing from openapi.json", rt.Method, rt.Path)
			continue
		}
		if op.XPerm != string(rt.Perm) || op.Responses["401"] == nil || op.Responses["403"] == nil {
			t.Errorf("%s %s: incomplete operation %+v", rt.Method, rt.Path, op)
		}
	}
}
