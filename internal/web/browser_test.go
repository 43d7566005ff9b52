package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/demo"
	"github.com/liaison-dev/liaison/internal/request"
)

// chromium finds the browser: $LIAISON_CHROMIUM, else Debian's chromium.
// Without one the browser tests skip on a laptop and fail in CI.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LIAISON_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; CI must run the browser tests (apt-get install -y chromium)")
	}
	t.Skip("chromium is not installed; skipping the browser tests")
	return ""
}

// shots writes numbered screenshots to $LIAISON_SCREENSHOTS or the test's
// artifact directory.
type shots struct {
	t   *testing.T
	dir string
	n   int
}

func (s *shots) take(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		buf, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return err
		}
		s.n++
		p := filepath.Join(s.dir, fmt.Sprintf("%02d-%s.png", s.n, name))
		s.t.Logf("screenshot %s", p)
		return os.WriteFile(p, buf, 0o644)
	})
}

func byID(id string) string { return `[id="` + id + `"]` }

func wv(sel string) chromedp.Action[chromedp.Void] { return chromedp.WaitVisible(chromedp.CSS(sel)) }
func click(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)
}
func setv(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.CSS(sel), v)
}
func keys(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(chromedp.CSS(sel), v, chromedp.NodeVisible)
}

// TestBrowserStory plays the desk's story in a real headless Chromium
// against two real nodes on loopback.
func TestBrowserStory(t *testing.T) {
	exe := chromium(t)
	w := world(t)
	us, cn := nodeURL(t, w, "US"), nodeURL(t, w, "CN")
	sh := &shots{t: t, dir: os.Getenv("LIAISON_SCREENSHOTS")}
	if sh.dir == "" {
		sh.dir = t.ArtifactDir()
	}
	if err := os.MkdirAll(sh.dir, 0o755); err != nil {
		t.Fatal(err)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("metrics-recording-only", true), chromedp.Flag("no-pings", true),
		// The demo nodes' certificates are self-signed for loopback.
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("lang", "en-US"),
	}
	ctx, cancel := context.WithTimeout(t.Context(), 110*time.Second)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	usTab, cancelUS := chromedp.NewContext(alloc)
	defer cancelUS()
	if err := chromedp.Do(usTab); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	cnTab, cancelCN := chromedp.NewContext(usTab) // a second tab of the same browser
	defer cancelCN()
	// A tab lives as long as the context of its first Run: open it here,
	// not under one step's timeout.
	if err := chromedp.Do(cnTab); err != nil {
		t.Fatalf("open a second tab: %v", err)
	}

	run := func(tab context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, scancel := context.WithTimeout(tab, 30*time.Second)
		defer scancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			loc, _ := chromedp.Run(tab, chromedp.Location())
			html, _ := chromedp.Run(tab, chromedp.OuterHTML(chromedp.CSS("main")))
			t.Fatalf("%s: %v\nat %s\n%.3000s", step, err, loc, html)
		}
	}
	text := func(tab context.Context, sel string) string {
		t.Helper()
		sctx, scancel := context.WithTimeout(tab, 20*time.Second)
		defer scancel()
		s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	login := func(tab context.Context, base, user string) {
		t.Helper()
		run(tab, "login "+user,
			chromedp.Navigate(base+"/login"),
			wv(`#username`),
			keys(`#username`, user),
			keys(`#password`, demo.Password),
			click(`button[type=submit]`),
			wv(`form[action="/logout"] button`),
		)
	}

	// 1. At US, the officer composes a preservation request and leaves the
	// custodian out.
	login(usTab, us, "us-officer")
	run(usTab, "dashboard", sh.take("us-dashboard"))
	if got := text(usTab, "main h1"); got != "Dashboard" {
		t.Fatalf("US dashboard heading %q", got)
	}
	fill := []struct{ id, v string }{
		{"title", "Preserve mailbox of suspect in ransomware case"},
		{"f.requesting_authority", "FBI Cyber Division"}, {"f.requesting_officer", "Dana Whitfield"},
		{"f.requesting_email", "duty@fbi.example"}, {"f.time_zone", "America/New_York"},
		{"f.legal_basis", "18 U.S.C. 1030"}, {"f.offences", "Computer intrusion\nExtortion"},
		{"f.summary", "A ransomware crew used a mailbox hosted in CN to negotiate ransoms."},
		{"f.data_to_preserve", "Mailbox ransom-ops@mail.example.cn, content and logs since 2026-01-01"},
		{"f.relation_to_offence", "Ransom negotiations were carried out from it."},
		{"f.necessity", "Logs are deleted after 30 days."},
	}
	acts := []chromedp.Action[chromedp.Void]{chromedp.Navigate(us + "/requests/new?type=preservation"), wv(byID("f.custodian")),
		setv(byID("to"), "CN")}
	for _, f := range fill {
		acts = append(acts, setv(byID(f.id), f.v))
	}
	acts = append(acts, click(byID("f.mla_to_follow")), sh.take("us-compose"),
		click(`form.compose button[type=submit]`),
		wv(byID("f.custodian-err")), sh.take("us-compose-missing-field"))
	run(usTab, "compose with a field missing", acts...)
	if got := text(usTab, byID("f.custodian-err")); !strings.Contains(got, "This field is required.") {
		t.Fatalf("custodian message %q", got)
	}
	if got := text(usTab, "#error-summary"); !strings.Contains(got, "Custodian of the data") {
		t.Fatalf("error summary %q", got)
	}
	// 2. The officer fixes it and sends.
	run(usTab, "send the fixed request",
		setv(byID("f.custodian"), "Mail.example.cn Ltd., Hangzhou"),
		click(`form.compose button[type=submit]`),
		wv(`p.flash`), sh.take("us-request-sent"))
	if got := text(usTab, "p.flash"); got != "Request sent." {
		t.Fatalf("flash %q", got)
	}
	reqURL, err := chromedp.Run(usTab, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	reqID := strings.TrimPrefix(strings.SplitN(reqURL, "?", 2)[0], us+"/requests/")

	// 3. At CN, the officer watches the hotline page: an emergency request
	// from US appears in the open-calls table without a reload, rings, and
	// leaves the table when another officer at the desk acknowledges it.
	login(cnTab, cn, "cn-officer")
	run(cnTab, "CN dashboard", sh.take("cn-dashboard"))
	if got := text(cnTab, "main h1"); got != "总览" {
		t.Fatalf("CN dashboard heading %q (CN accounts use Chinese)", got)
	}
	usNode, cnNode := w.Nodes[0].Node, w.Nodes[1].Node
	if w.Nodes[1].Party.Code != "CN" {
		t.Fatalf("second node is %s", w.Nodes[1].Party.Code)
	}
	officer, err := usNode.Auth.Password(ctx, "us-officer", demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	cnSupervisor, err := cnNode.Auth.Password(ctx, "cn-supervisor", demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	// live waits until the predicate holds on the page as it is: a poll
	// fails if the page navigates, and the marker set on arrival must
	// still be there.
	live := func(step, predicate string) {
		t.Helper()
		run(cnTab, step, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](predicate, chromedp.WithPollingInterval(100*time.Millisecond),
				chromedp.WithPollingTimeout(20*time.Second))(ctx, tg)
			return err
		}))
		if marked, err := chromedp.Run(cnTab, chromedp.Evaluate[bool](`window.liaisonNoReload === true`)); err != nil || !marked {
			t.Fatalf("%s: the page was reloaded (%v)", step, err)
		}
	}
	run(cnTab, "CN hotline page", chromedp.Navigate(cn+"/hotline"), wv(`#open-calls`))
	if got := text(cnTab, "#open-calls"); got != "没有待确认的呼叫。" {
		t.Fatalf("open calls before the emergency: %q", got)
	}
	if _, err := chromedp.Run(cnTab, chromedp.Evaluate[bool](`window.liaisonNoReload = true`)); err != nil {
		t.Fatal(err)
	}
	first := sendEmergency(t, ctx, usNode.Requests, officer)
	live("the call appears in the open-calls table",
		`document.querySelector("#open-calls table") !== null && document.querySelector("#open-calls").textContent.includes("`+first.Reference+`")`)
	run(cnTab, "ringing on the hotline page", wv(`#alerts .ring button.ack`), sh.take("cn-hotline-open-call"))
	if got := text(cnTab, "#open-calls"); !strings.Contains(got, "US") || !strings.Contains(got, "未确认") {
		t.Fatalf("open-calls row %q", got)
	}
	if _, err := cnNode.Requests.Act(ctx, cnSupervisor, first.ID, request.Acknowledge, request.ActInput{}); err != nil {
		t.Fatal(err)
	}
	live("the acknowledged call leaves the open-calls table",
		`!document.querySelector("#open-calls").textContent.includes("`+first.Reference+`") && document.querySelector("#open-calls table") === null`)
	run(cnTab, "open calls after acknowledgement", sh.take("cn-hotline-acknowledged-elsewhere"))
	if got := text(cnTab, "#open-calls"); got != "没有待确认的呼叫。" {
		t.Fatalf("open calls after acknowledgement: %q", got)
	}

	// The next emergency rings on the dashboard, whose waiting list is live
	// too, and the officer acknowledges it with one click.
	run(cnTab, "back to the dashboard", chromedp.Navigate(cn+"/"), wv(`#waiting-calls`))
	if _, err := chromedp.Run(cnTab, chromedp.Evaluate[bool](`window.liaisonNoReload = true`)); err != nil {
		t.Fatal(err)
	}
	emergency := sendEmergency(t, ctx, usNode.Requests, officer)
	live("the call appears in the dashboard's waiting list",
		`document.querySelector("#waiting-calls").textContent.includes("`+emergency.Reference+`") && document.querySelector("#count-waiting").textContent === "1"`)
	run(cnTab, "hotline alert arrives",
		wv(`#alerts .ring button.ack`), sh.take("cn-hotline-ringing"))
	if got := text(cnTab, "#alerts .ring"); !strings.Contains(got, "热线呼叫") || !strings.Contains(got, "US") || !strings.Contains(got, emergency.Reference) {
		t.Fatalf("alert text %q", got)
	}
	rang, err := chromedp.Run(cnTab, chromedp.AttributeValue(chromedp.CSS("body"), "data-rang"))
	if err != nil || rang.Value == "" || rang.Value == "0" {
		t.Fatalf("the alert did not sound (data-rang=%q, %v)", rang.Value, err)
	}
	run(cnTab, "acknowledge", click(`#alerts .ring button.ack`),
		wv(`p.flash`), sh.take("cn-acknowledged"))
	if got := text(cnTab, "p.flash"); got != "已确认呼叫。" {
		t.Fatalf("CN flash %q", got)
	}
	if got := text(cnTab, "#waiting-calls"); got != "没有待确认的呼叫。" {
		t.Fatalf("waiting calls after acknowledgement: %q", got)
	}
	run(cnTab, "emergency request acknowledged", chromedp.Navigate(cn+"/requests/"+emergency.ID), wv(`#status`))
	if got := text(cnTab, "#status"); got != "已确认" {
		t.Fatalf("emergency request status at CN %q", got)
	}

	// 4. CN acknowledges and answers the preservation request.
	run(cnTab, "open the preservation request",
		chromedp.Navigate(cn+"/requests?dir=in"), wv(`a[href="/requests/`+reqID+`"]`), sh.take("cn-inbox"),
		click(`a[href="/requests/`+reqID+`"]`), wv(`#act-acknowledge`),
		click(`#act-acknowledge summary`), click(`#act-acknowledge button[type=submit]`),
		wv(`#act-answer`),
		click(`#act-answer summary`),
		setv(byID("answer-answer"), "Mailbox content and logs preserved; reference MPS-2026-0042."),
		setv(byID("answer-completeness"), "full"),
		sh.take("cn-answer-form"),
		click(`#act-answer button[type=submit]`),
		wv(`#status.s-answered`), sh.take("cn-answered"))
	if got := text(cnTab, "#status"); got != "已答复" {
		t.Fatalf("preservation status at CN %q", got)
	}

	// 5. Back at US: answered, deadline met.
	deadline := time.Now().Add(30 * time.Second)
	for {
		run(usTab, "reload the request", chromedp.Navigate(us+"/requests/"+reqID), wv(`#status`))
		if text(usTab, "#status") == "answered" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("US never saw the answer; status %q", text(usTab, "#status"))
		}
		time.Sleep(500 * time.Millisecond)
	}
	run(usTab, "answered at US", wv(`#answer-ontime`), sh.take("us-answered"))
	if got := text(usTab, "#answer-ontime"); got != "Deadline met" {
		t.Fatalf("answer deadline badge %q", got)
	}
	if got := text(usTab, "ol.timeline"); !strings.Contains(got, "MPS-2026-0042") {
		t.Fatalf("timeline lacks the answer: %q", got)
	}

	// 6. The US officer switches to Chinese: the same pages, translated.
	run(usTab, "switch to Chinese", click(`button[name=language][value="zh-CN"]`),
		wv(`html[lang="zh-CN"]`), wv(`#status`), sh.take("us-answered-zh"))
	if got := text(usTab, "#status"); got != "已答复" {
		t.Fatalf("status in Chinese %q", got)
	}
	if got := text(usTab, "#answer-ontime"); got != "按期完成" {
		t.Fatalf("deadline badge in Chinese %q", got)
	}
	run(usTab, "outbox in Chinese", chromedp.Navigate(us+"/requests?dir=out"), wv(`table`), sh.take("us-outbox-zh"))
	if got := text(usTab, "main"); !strings.Contains(got, "发件箱") || !strings.Contains(got, "存储数据快速保全") || !strings.Contains(got, "已答复") {
		t.Fatalf("outbox in Chinese: %q", got)
	}
	run(usTab, "dashboard in Chinese", chromedp.Navigate(us+"/"), wv(`main h1`), sh.take("us-dashboard-zh"))
	if got := text(usTab, "main h1"); got != "总览" {
		t.Fatalf("dashboard heading in Chinese %q", got)
	}

	// 7. A user without the role gets 403: the analyst at US and the audit
	// trail... and the requests pages.
	run(usTab, "sign out", click(`form[action="/logout"] button`), wv(`#username`))
	login(usTab, us, "us-analyst")
	run(usTab, "analyst opens requests", chromedp.Navigate(us+"/requests/"+reqID), wv(`p.error-msg`), sh.take("us-analyst-403"))
	if got := text(usTab, "main h1"); !strings.Contains(got, "403") {
		t.Fatalf("analyst on a request: %q", got)
	}
	if got := text(usTab, "p.error-msg"); got != "Your role does not allow this page or action." {
		t.Fatalf("403 message %q", got)
	}
}

// sendEmergency sends an emergency disclosure request from US to CN
// through the US node's request service, as another officer at the desk
// would.
func sendEmergency(t *testing.T, ctx context.Context, svc *request.Service, p *auth.Principal) request.View {
	t.Helper()
	v, err := svc.Create(ctx, p, request.Draft{Type: request.EmergencyDisclosure, Priority: request.Emergency, To: "CN",
		Title: "Kidnapping: account data needed now", Fields: map[string]any{
			"requesting_authority": "FBI Cyber Division", "requesting_officer": "Marcus Lee", "requesting_email": "backup@fbi.example",
			"time_zone": "America/New_York", "legal_basis": "18 U.S.C. 2702(b)(8)", "offences": []any{"Kidnapping"},
			"summary":    "A child was abducted; the abductor uses an account hosted in CN.",
			"risk_facts": "Ransom demand with a deadline tonight.", "relation_to_risk": "The account sends the demands.",
			"data_sought": "Login IP addresses of the last 48 hours.",
		}})
	if err != nil {
		t.Fatal(err)
	}
	if v, err = svc.Act(ctx, p, v.ID, request.Send, request.ActInput{}); err != nil {
		t.Fatal(err)
	}
	return v
}
