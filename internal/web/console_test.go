package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"github.com/liaison-dev/liaison/internal/intel"
	"github.com/liaison-dev/liaison/internal/store"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/casework"
	"github.com/liaison-dev/liaison/internal/demo"
)

// TestConsoleSecurity checks the console's security properties against a
// real node over HTTPS.
func TestConsoleSecurity(t *testing.T) {
	w := world(t)
	us := nodeURL(t, w, "US")

	t.Run("headers", func(t *testing.T) {
		b := newBrowser(t, us)
		code, body, h := b.get("/login")
		if code != 200 || !strings.Contains(body, `name="password"`) {
			t.Fatalf("GET /login = %d", code)
		}
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
			if h.Get(k) != want {
				t.Errorf("%s = %q, want %q", k, h.Get(k), want)
			}
		}
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(body, "<script>") || strings.Contains(body, "http://") {
			t.Error("inline script or external reference")
		}
		var cookie *http.Cookie
		for _, c := range (&http.Response{Header: h}).Cookies() {
			cookie = c
		}
		if cookie == nil || !cookie.Secure || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
			t.Errorf("login cookie %+v", cookie)
		}
	})

	t.Run("session", func(t *testing.T) {
		b := newBrowser(t, us)
		if code, _, h := b.get("/requests"); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login") {
			t.Fatalf("anonymous GET /requests = %d %s", code, h.Get("Location"))
		}
		_, page, _ := b.get("/login")
		_, _, h := b.post("/login", url.Values{"csrf": {csrfOf(t, page)}, "username": {"us-officer"}, "password": {demo.Password}})
		var sess *http.Cookie
		for _, c := range (&http.Response{Header: h}).Cookies() {
			if c.Name == "__Host-liaison-US" {
				sess = c
			}
		}
		if sess == nil || !sess.Secure || !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Path != "/" {
			t.Fatalf("session cookie %+v", sess)
		}
		code, body, _ := b.get("/")
		if code != 200 || !strings.Contains(body, "Calls awaiting acknowledgement") {
			t.Fatalf("dashboard = %d", code)
		}
		tok := csrfOf(t, body)
		if code, body, _ := b.post("/logout", url.Values{}); code != http.StatusForbidden || !strings.Contains(body, "did not come from this console") {
			t.Fatalf("logout without CSRF token = %d", code)
		}
		if code, _, _ := b.post("/logout", url.Values{"csrf": {tok}}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"); code != http.StatusForbidden {
			t.Fatalf("cross-origin logout = %d", code)
		}
		if code, _, _ := b.post("/logout", url.Values{"csrf": {tok}}); code != http.StatusSeeOther {
			t.Fatalf("logout = %d", code)
		}
		if code, _, _ := b.get("/"); code != http.StatusSeeOther {
			t.Fatalf("after logout GET / = %d", code)
		}
		// The old cookie is dead on the server, not only in the browser.
		b2 := newBrowser(t, us)
		u, _ := url.Parse(us)
		b2.c.Jar.SetCookies(u, []*http.Cookie{sess})
		if code, _, _ := b2.get("/"); code != http.StatusSeeOther {
			t.Fatalf("replayed cookie after logout = %d", code)
		}
	})

	t.Run("throttle", func(t *testing.T) {
		b := newBrowser(t, us)
		for i := range auth.MinPasswordLen {
			code, body := b.login("us-auditor", "wrong password "+string(rune('a'+i)))
			if i < 5 && (code != http.StatusUnauthorized || !strings.Contains(body, "Wrong username or password")) {
				t.Fatalf("attempt %d = %d", i, code)
			}
			if i >= 5 {
				if code != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed sign-ins") {
					t.Fatalf("attempt %d = %d, want 429", i, code)
				}
				break
			}
		}
		if code, _ := b.login("us-auditor", demo.Password); code != http.StatusTooManyRequests {
			t.Fatalf("right password while locked = %d, want 429", code)
		}
	})

	t.Run("validation", func(t *testing.T) {
		b := newBrowser(t, us)
		_, tok := b.login("us-officer", demo.Password)
		code, body, _ := b.post("/requests/new", url.Values{"csrf": {tok}, "type": {"preservation"}, "to": {"CN"}, "priority": {"routine"}, "title": {"x"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "This field is required.") || !strings.Contains(body, `aria-invalid="true"`) {
			t.Fatalf("incomplete compose = %d\n%.3000s", code, body)
		}
		form := url.Values{"csrf": {tok}, "type": {"preservation"}, "to": {"CN"}, "priority": {"urgent"}, "title": {"Preserve a mailbox"},
			"f.requesting_authority": {"FBI"}, "f.requesting_officer": {"Dana"}, "f.requesting_email": {"duty@fbi.example"},
			"f.time_zone": {"America/New_York"}, "f.legal_basis": {"18 U.S.C. 1030"}, "f.offences": {"Intrusion\nExtortion"},
			"f.summary": {"Facts"}, "f.data_to_preserve": {"Mailbox"}, "f.relation_to_offence": {"Used"}, "f.custodian": {"Provider"},
			"f.necessity": {"Deleted soon"}, "f.mla_to_follow": {"on"}}
		code, _, h := b.post("/requests/new", form)
		if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/requests/") {
			t.Fatalf("compose = %d %s", code, h.Get("Location"))
		}
		code, body, _ = b.get(h.Get("Location"))
		if code != 200 || !strings.Contains(body, "Request sent.") || !strings.Contains(body, "Preservation of stored data") || !strings.Contains(body, "Intrusion; Extortion") {
			t.Fatalf("request page = %d\n%.3000s", code, body)
		}
		if code, body, _ := b.get("/requests?dir=out&status=sent"); code != 200 || !strings.Contains(body, "Preserve a mailbox") {
			t.Fatalf("outbox filtered = %d", code)
		}
	})
}

// TestConsoleRoles is the authorization matrix: every page × every role,
// the status from the one policy and the page's content.
func TestConsoleRoles(t *testing.T) {
	w := world(t)
	us := nodeURL(t, w, "US")
	pages := []struct {
		path string
		perm auth.Permission
		want string
	}{
		{"/", auth.NodeRead, "Dashboard"},
		{"/dashboard/lists", auth.NodeRead, `class="cards"`},
		{"/hotline", auth.HotlineRead, "On-call roster"},
		{"/hotline/open", auth.HotlineRead, "No call is waiting."},
		{"/requests", auth.RequestRead, "Inbox"},
		{"/requests/new?type=preservation", auth.RequestWrite, "New request"},
		{"/intel", auth.IntelRead, "Observable lookup"},
		{"/cases", auth.CaseRead, "Joint cases"},
		{"/progress", auth.ProgressRead, "Commitments"},
		{"/directory", auth.DirectoryRead, "Dana Whitfield"},
		{"/audit", auth.AuditRead, "Hash chain verified"},
		{"/admin", auth.UserRead, "us-officer"},
		{"/settings", "", "Time zone"},
	}
	// The parts of pages that the console's script fetches again live.
	fragments := map[string]bool{"/dashboard/lists": true, "/hotline/open": true}
	for _, acct := range demo.Parties[0].Accounts {
		b := newBrowser(t, us)
		if code, _ := b.login(acct.Username, demo.Password); code != http.StatusSeeOther {
			t.Fatalf("login %s = %d", acct.Username, code)
		}
		for _, p := range pages {
			code, body, _ := b.get(p.path)
			allowed := p.perm == "" || auth.Allowed([]string{string(acct.Role)}, p.perm)
			switch {
			case allowed && (code != 200 || !strings.Contains(body, p.want)):
				t.Errorf("%s GET %s = %d, want 200 with %q", acct.Role, p.path, code, p.want)
			case !allowed && (code != http.StatusForbidden || !strings.Contains(body, "Your role does not allow")):
				t.Errorf("%s GET %s = %d, want 403", acct.Role, p.path, code)
			case allowed && fragments[p.path] == strings.Contains(body, "<html"):
				// The live parts of pages are fragments, pages are whole.
				t.Errorf("%s GET %s: fragment or page mixed up", acct.Role, p.path)
			}
		}
	}
}

func TestCasePages(t *testing.T) {
	w := world(t)
	us := nodeURL(t, w, "US")
	n := w.Nodes[0].Node
	u, err := n.Store.GetUserByName(t.Context(), "us-officer")
	if err != nil {
		t.Fatal(err)
	}
	h := casework.Handling{TLP: "TLP:AMBER", Source: "B", Credibility: 2}
	c, err := n.Cases.Open(t.Context(), &auth.Principal{User: u}, casework.OpenInput{Title: "Firearms marketplace on a hidden service",
		Summary: "Vendors ship to both countries", Category: casework.Firearms, Parties: []string{"CN"}, Handling: h})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, us)
	b.login("us-officer", demo.Password)
	code, body, _ := b.get("/cases?q=marketplace")
	if code != 200 || !strings.Contains(body, "/cases/"+c.ID) || !strings.Contains(body, "Online firearms trafficking") {
		t.Fatalf("case list: %d %.500s", code, body)
	}
	code, body, _ = b.get("/cases/" + c.ID)
	if code != 200 || !strings.Contains(body, "Firearms marketplace") || !strings.Contains(body, "TLP:AMBER") || !strings.Contains(body, "Tasks") {
		t.Fatalf("case detail: %d %.500s", code, body)
	}
	if code, _, _ := b.get("/cases/nope"); code != 404 {
		t.Fatalf("missing case: %d", code)
	}
	// An admin holds no case permission.
	a := newBrowser(t, us)
	a.login("us-admin", demo.Password)
	if code, _, _ := a.get("/cases/" + c.ID); code != 403 {
		t.Fatalf("admin case detail: %d", code)
	}
}

func TestProgressReportDownload(t *testing.T) {
	w := world(t)
	b := newBrowser(t, nodeURL(t, w, "US"))
	b.login("us-supervisor", demo.Password)
	code, body, hdr := b.get("/progress/report?round=1")
	if code != 200 || !strings.Contains(body, "<html") || !strings.Contains(hdr.Get("Content-Disposition"), "attachment") {
		t.Fatalf("report: %d %v %.300s", code, hdr, body)
	}
	if code, _, _ := b.get("/progress/report?round=x"); code != 404 {
		t.Fatalf("bad round: %d", code)
	}
}

// upload posts a multipart form: the CSRF token first, then fields, then
// the file, as the console's forms do.
func (b *browser) upload(path, csrf string, fields [][2]string, file string, content []byte) (int, string) {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf != "" {
		mw.WriteField("csrf", csrf)
	}
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	fw, _ := mw.CreateFormFile("file", file)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", b.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	code, page, _ := b.do(req)
	return code, page
}

func TestUploadsThroughTheConsole(t *testing.T) {
	w := world(t)
	us := nodeURL(t, w, "US")
	n := w.Nodes[0].Node
	coll, err := n.Intel.CreateCollection(t.Context(), "t", intel.NewCollection{Title: "Samples", Grants: []store.Grant{{Grantee: "*", CanRead: true, CanWrite: true}}})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, us)
	b.login("us-analyst", demo.Password)
	_, page, _ := b.get("/intel/samples?collection=" + coll.ID)
	tok := csrfOf(t, page)
	if !strings.Contains(page, "never executed") {
		t.Fatalf("no warning on the samples page: %.400s", page)
	}
	// Without the token first, nothing is stored.
	if code, _ := b.upload("/intel/samples", "", [][2]string{{"collection", coll.ID}, {"tlp", "amber"}}, "dropper.exe", []byte("MZ\x90\x00 not really")); code != http.StatusForbidden {
		t.Fatalf("upload without CSRF: %d", code)
	}
	if code, page := b.upload("/intel/samples", tok, [][2]string{{"collection", coll.ID}, {"malware_name", "DemoLoader"}, {"tlp", "amber"}}, "dropper.exe", []byte("MZ\x90\x00 not really")); code != http.StatusSeeOther {
		t.Fatalf("upload: %d %.600s", code, page)
	}
	_, page, _ = b.get("/intel/samples?collection=" + coll.ID)
	if !strings.Contains(page, "dropper.exe") {
		t.Fatalf("uploaded sample not listed: %.600s", page)
	}
	sum := sha256.Sum256([]byte("MZ\x90\x00 not really"))
	hexsum := hex.EncodeToString(sum[:])
	if !strings.Contains(page, hexsum) {
		t.Fatalf("uploaded sample not listed")
	}
	code, body, hdr := b.get("/intel/samples/" + hexsum + "?format=zip")
	if code != 200 || !strings.HasPrefix(body, "PK") || !strings.Contains(hdr.Get("Content-Disposition"), ".zip") {
		t.Fatalf("zip hand-out: %d %v", code, hdr)
	}
	// An officer may see intel but not handle samples.
	o := newBrowser(t, us)
	o.login("us-officer", demo.Password)
	if code, _, _ := o.get("/intel/samples/" + hexsum + "?format=raw"); code != http.StatusForbidden {
		t.Fatalf("officer hand-out: %d", code)
	}
}

// TestDomainMessagesInChinese: the domain's validation and transition
// messages reach a Chinese page in Chinese, through the catalogues.
func TestDomainMessagesInChinese(t *testing.T) {
	w := world(t)
	us, cn := nodeURL(t, w, "US"), nodeURL(t, w, "CN")
	as := func(base, user, lang string) (*browser, string) {
		b := newBrowser(t, base)
		_, tok := b.login(user, demo.Password)
		if code, _, _ := b.post("/settings", url.Values{"csrf": {tok}, "language": {lang}, "next": {"/"}}); code != http.StatusSeeOther {
			t.Fatalf("switch to %s = %d", lang, code)
		}
		return b, tok
	}
	b, tok := as(us, "us-officer", "zh-CN")
	form := url.Values{"csrf": {tok}, "type": {"preservation"}, "to": {"CN"}, "priority": {"urgent"}, "title": {"保全邮箱"},
		"f.requesting_authority": {"FBI"}, "f.requesting_officer": {"Dana"}, "f.requesting_email": {"not an address"},
		"f.time_zone": {"Mars/Olympus"}, "f.legal_basis": {"18 U.S.C. 1030"}, "f.offences": {"Intrusion"},
		"f.summary": {"Facts"}, "f.data_to_preserve": {"Mailbox"}, "f.relation_to_offence": {"Used"}, "f.custodian": {"Provider"},
		"f.necessity": {"Deleted soon"}, "f.mla_to_follow": {"on"}, "f.preferred_channel": {"pigeon"}}
	code, body, _ := b.post("/requests/new", form)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid compose = %d\n%.2000s", code, body)
	}
	for _, want := range []string{"请输入普通电子邮件地址", "请输入 IANA 时区", "请从以下选项中选择："} {
		if !strings.Contains(body, want) {
			t.Errorf("compose page lacks %q", want)
		}
	}
	for _, english := range []string{"must be a plain e-mail address", "must be an IANA time zone", "must be one of"} {
		if strings.Contains(body, english) {
			t.Errorf("compose page shows the English %q", english)
		}
	}

	form.Set("f.requesting_email", "duty@fbi.example")
	form.Set("f.time_zone", "America/New_York")
	form.Del("f.preferred_channel")
	code, _, h := b.post("/requests/new", form)
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/requests/") {
		t.Fatalf("compose = %d %s", code, h.Get("Location"))
	}
	path, _, _ := strings.Cut(h.Get("Location"), "?")

	// The requesting side may not answer.
	code, body, _ = b.post(path+"/act", url.Values{"csrf": {tok}, "action": {"answer"}, "completeness": {"full"}, "answer": {"x"}})
	if code != http.StatusConflict || !strings.Contains(body, "现在不能执行“答复”：只有被请求方可以执行此操作。") || strings.Contains(body, "allowed now") {
		t.Fatalf("refused answer = %d\n%.3000s", code, body)
	}

	// At CN, a refusal without a ground.
	c, ctok := as(cn, "cn-officer", "zh-CN")
	for i := 0; ; i++ {
		code, body, _ = c.get(path)
		if code == 200 && strings.Contains(body, `value="refuse"`) {
			break
		}
		if i == 100 {
			t.Fatalf("request not delivered at CN: %d", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	code, body, _ = c.post(path+"/act", url.Values{"csrf": {ctok}, "action": {"refuse"}, "ground": {""}, "reasons": {""}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "请选择拒绝理由。") || !strings.Contains(body, "此项为必填。") || strings.Contains(body, "must be one of") {
		t.Fatalf("refusal without ground = %d\n%.3000s", code, body)
	}
	// The same in English.
	e, etok := as(cn, "cn-supervisor", "en")
	code, body, _ = e.post(path+"/act", url.Values{"csrf": {etok}, "action": {"refuse"}, "ground": {""}, "reasons": {"r"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose a ground for refusal.") {
		t.Fatalf("English refusal without ground = %d\n%.3000s", code, body)
	}
}
