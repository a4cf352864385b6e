package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"

	"github.com/connectflo/integrations/internal/changes"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/web"
)

// browserRequired names the environment variable that makes a missing Chromium a failure
// instead of a skip. CI (.ci/run) installs Debian's chromium and sets it, so that the browser
// tests cannot silently stop running there; a developer without Chromium still gets a green
// go test.
const browserRequired = "BROWSER_REQUIRED"

// updateScreenshots names the environment variable that makes the browser tests write their
// screenshots to docs/screenshots (the README shows them); without it they go to a temporary
// folder, so that a test run leaves the tree as it was.
const updateScreenshots = "UPDATE_SCREENSHOTS"

// findChromium returns Chromium's path, or skips the test saying what to install (fails it
// where BROWSER_REQUIRED=1).
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const remedy = "install Debian's chromium (apt-get install chromium)"
	if os.Getenv(browserRequired) == "1" {
		t.Fatalf("chromium is not on PATH, and %s=1 requires the browser tests: %s", browserRequired, remedy)
	}
	t.Skipf("skipping the settings page's browser tests: chromium is not on PATH; %s (set %s=1 to make this a failure, as CI does)",
		remedy, browserRequired)
	return ""
}

// browserRun is one headless Chromium tab on the settings page, recording what the page asks
// of the network and what it reports.
type browserRun struct {
	t    *testing.T
	ctx  context.Context
	base string // http://host:port
	shot string // the screenshots' folder

	mu       sync.Mutex
	requests []pageRequest
	console  []string // console errors and warnings, and browser log entries
	urls     map[network.RequestID]string
	canceled chan string // the URLs of requests the page aborted (AbortController), as they end
}

type pageRequest struct {
	method, url string
	headers     map[string]any
}

// newBrowser starts Chromium (one process per test, closed at its end), on loopback only.
func newBrowser(t *testing.T, base string) *browserRun {
	t.Helper()
	exe := findChromium(t)
	b := &browserRun{t: t, base: base, shot: t.TempDir(), urls: map[network.RequestID]string{}, canceled: make(chan string, 64)}
	if os.Getenv(updateScreenshots) == "1" {
		b.shot = filepath.Join("..", "docs", "screenshots")
	}
	ctx, cancel := chromedp.NewContext(context.Background(),
		chromedp.WithAllocatorOptions(chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1100, 900),
			// No request leaves the machine: every host but loopback resolves nowhere.
			chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")),
		chromedp.WithListener(b.record))
	t.Cleanup(cancel)
	b.ctx = ctx
	// A listener registered before any of the page's scripts runs counts every CSP violation
	// (the browser fires securitypolicyviolation for each); the test reads the count.
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.cspViolations.push(e.violatedDirective + " " + e.blockedURI));`}); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return b
}

// record keeps the requests the page makes and what it reports as errors or warnings.
// Failed answers of the API are part of the flows tested (a wrong key, a bad token), so the
// browser's network log entries are not counted.
func (b *browserRun) record(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, pageRequest{method: e.Request.Method, url: e.Request.URL, headers: e.Request.Headers})
		b.urls[e.RequestID] = e.Request.URL
	case *network.EventLoadingFailed:
		if e.Canceled {
			select {
			case b.canceled <- b.urls[e.RequestID]:
			default: // no step is waiting for so many: drop it
			}
		}
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
			b.console = append(b.console, fmt.Sprintf("console.%s %d args", e.Type, len(e.Args)))
		}
	case *runtime.EventExceptionThrown:
		b.console = append(b.console, "exception: "+e.ExceptionDetails.Text)
	case *cdplog.EventEntryAdded:
		if e.Entry.Source != cdplog.EntrySourceNetwork && (e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning) {
			b.console = append(b.console, fmt.Sprintf("log %s %s: %s", e.Entry.Source, e.Entry.Level, e.Entry.Text))
		}
	}
}

// bounded is the browser's context bounded for one step: a page that hangs fails the test,
// it never hangs CI. (The browser's own context has run once, so a timeout on a child ends
// only the step.)
func (b *browserRun) bounded() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, 30*time.Second)
}

// run runs actions, failing the test with what as the step's name.
func (b *browserRun) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// waitText waits until the element sel shows text containing want.
func (b *browserRun) waitText(sel, want string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.offsetParent !== null && e.textContent.includes(%q); })()`, sel, want)
	ctx, cancel := b.bounded()
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q)?.textContent ?? "(no such element)"`, sel)))
		b.t.Fatalf("%s never showed %q: %v; it shows %q", sel, want, err, got)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browserRun, js string) T {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// focused is the id of the element holding the keyboard focus.
func (b *browserRun) focused() string {
	b.t.Helper()
	return eval[string](b, `document.activeElement ? document.activeElement.id : ""`)
}

// screenshot writes the page as it looks to name.png in the screenshots' folder, after
// checking that no screen shows a JavaScript placeholder ("null", "undefined", "NaN") where
// the API's data should be.
func (b *browserRun) screenshot(name string) {
	b.t.Helper()
	if bad := eval[string](b, `(document.body.innerText.match(/\b(null|undefined|NaN)\b/) || [""])[0]`); bad != "" {
		b.t.Errorf("screen %s shows %q", name, bad)
	}
	ctx, cancel := b.bounded()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.shot, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// waitCanceled waits until the page aborts a request whose URL contains part.
func (b *browserRun) waitCanceled(part string) {
	b.t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case u := <-b.canceled:
			if strings.Contains(u, part) {
				return
			}
		case <-timeout:
			b.t.Fatalf("the page never aborted its request to %s", part)
		}
	}
}

// typeInto replaces the value of the input sel with text, typed key by key.
func (b *browserRun) typeInto(sel, text string) {
	b.t.Helper()
	b.setValue(sel, "")
	b.run("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// setValue sets the value of the control sel as a script would, and tells the page with a
// change event (the way a select's choice reaches it).
func (b *browserRun) setValue(sel, value string) {
	b.t.Helper()
	eval[bool](b, fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event("change")); return true; })()`, sel, value))
}

func (b *browserRun) click(sel string) {
	b.t.Helper()
	b.run("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

func (b *browserRun) keys(keys ...string) {
	b.t.Helper()
	for _, k := range keys {
		b.run("key "+k, chromedp.KeyEvent(k))
	}
}

// restRoutes are the REST routes of the service, from its google.api.http rules (additional
// bindings included): "METHOD" → path patterns.
func restRoutes(t *testing.T) map[string][]*regexp.Regexp {
	t.Helper()
	routes := map[string][]*regexp.Regexp{}
	add := func(rule *annotations.HttpRule) {
		var method, tmpl string
		switch p := rule.GetPattern().(type) {
		case *annotations.HttpRule_Get:
			method, tmpl = "GET", p.Get
		case *annotations.HttpRule_Post:
			method, tmpl = "POST", p.Post
		case *annotations.HttpRule_Patch:
			method, tmpl = "PATCH", p.Patch
		case *annotations.HttpRule_Delete:
			method, tmpl = "DELETE", p.Delete
		default:
			t.Fatalf("an HTTP rule of another kind: %v", rule)
		}
		var re strings.Builder
		re.WriteString("^")
		rest := tmpl
		for {
			loc := pathVar.FindStringSubmatchIndex(rest)
			if loc == nil {
				re.WriteString(regexp.QuoteMeta(rest))
				break
			}
			re.WriteString(regexp.QuoteMeta(rest[:loc[0]]))
			pattern := "*"
			if loc[4] >= 0 {
				pattern = rest[loc[4]+1 : loc[5]]
			}
			for i, seg := range strings.Split(pattern, "/") {
				if i > 0 {
					re.WriteString("/")
				}
				switch seg {
				case "*":
					re.WriteString("[^/:]+")
				case "**":
					re.WriteString(".+")
				default:
					re.WriteString(regexp.QuoteMeta(seg))
				}
			}
			rest = rest[loc[1]:]
		}
		re.WriteString("$")
		routes[method] = append(routes[method], regexp.MustCompile(re.String()))
	}
	methods := integrationService.Methods()
	for i := 0; i < methods.Len(); i++ {
		rule := proto.GetExtension(methods.Get(i).Options(), annotations.E_Http).(*annotations.HttpRule)
		add(rule)
		for _, extra := range rule.GetAdditionalBindings() {
			add(extra)
		}
	}
	return routes
}

// checkRequests asserts that every request the page made went to the server itself, and was
// either one of the page's own assets or a documented REST call carrying an API key typed
// at sign-in.
func (b *browserRun) checkRequests(keys ...string) {
	b.t.Helper()
	routes := restRoutes(b.t)
	b.mu.Lock()
	defer b.mu.Unlock()
	assets := web.Assets()
	apiCalls := 0
	for _, r := range b.requests {
		u, err := url.Parse(r.url)
		if err != nil {
			b.t.Errorf("the page requested %q, which is no URL", r.url)
			continue
		}
		if u.Scheme == "data" {
			continue // inline data (the empty favicon): no request leaves the page
		}
		if u.Scheme+"://"+u.Host != b.base {
			b.t.Errorf("the page requested %s %s, outside its own origin %s", r.method, r.url, b.base)
			continue
		}
		if r.method == "GET" && slices.Contains(assets, u.Path) {
			continue
		}
		documented := false
		for _, re := range routes[r.method] {
			documented = documented || re.MatchString(u.EscapedPath())
		}
		if !documented {
			b.t.Errorf("the page requested %s %s: neither one of its assets nor a documented REST route", r.method, u.EscapedPath())
			continue
		}
		apiCalls++
		if auth, _ := r.headers["Authorization"].(string); !slices.Contains(keys, strings.TrimPrefix(auth, "Bearer ")) {
			b.t.Errorf("%s %s carries Authorization %q, want a key typed at sign-in", r.method, u.Path, auth)
		}
	}
	if apiCalls == 0 {
		b.t.Errorf("the page made no REST call: the request log is not working (%d requests)", len(b.requests))
	}
}

// TestSettingsPageInChromium walks the guide in the page against the real server and the
// sandbox, one step after another in one tab: sign-in, connect (keyboard only; a token of the
// wrong shape, a revoked one, one missing scopes, then a good one), Test Connection, the field explorer, the
// condition box, the activity log, Refresh Fields, Update Credentials (same account, then
// another refused), Disconnect and sign-out. At the end every request the page made must be
// a documented REST call or one of its assets, and no CSP violation nor console error occurred.
func TestSettingsPageInChromium(t *testing.T) {
	t.Parallel()
	findChromium(t)
	ts := startServer(t)
	base := "http://" + ts.httpAddr
	key, wrongKey := ts.keys["acme"], "cfk_not_a_key"
	b := newBrowser(t, base)
	// The steps build on each other: each runs with its own t, and the walk stops at the
	// first that fails.
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, func(t *testing.T) { b.t = t; f(t) }) {
			t.FailNow()
		}
	}

	// Data the later steps read: a contact to evaluate a condition for, and an owner.
	if _, err := ts.sb.CreateOwner(ts.acct.HubID, sandbox.Owner{Email: "grace@example.com", FirstName: "Grace", LastName: "Hopper"}); err != nil {
		t.Fatal(err)
	}

	step("sign-in", func(t *testing.T) {
		b.run("open the page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#signin-form")))
		b.typeInto("#signin-workspace", "acme")
		b.typeInto("#signin-key", wrongKey)
		b.click("#signin-form button[type=submit]")
		b.waitText("#signin-error", "API_KEY_INVALID")
		b.screenshot("signin")
		b.typeInto("#signin-key", key)
		b.click("#signin-form button[type=submit]")
		b.waitText("#status", "Signed in to workspace acme")
		b.waitText("#connections", "No HubSpot account is connected")
		b.waitText("#connections .badge", "NOT CONNECTED")
		type kept struct {
			Session string `json:"session"`
			Local   int    `json:"local"`
			Cookie  string `json:"cookie"`
			KeyBox  string `json:"keyBox"`
		}
		stored := eval[kept](b, `({session: sessionStorage.getItem("connectflo.session"), local: localStorage.length, cookie: document.cookie, keyBox: document.getElementById("signin-key").value})`)
		if !strings.Contains(stored.Session, key) || stored.Local != 0 || stored.Cookie != "" || stored.KeyBox != "" {
			t.Errorf("the key is kept %+v; want it in sessionStorage only, and the sign-in box emptied", stored)
		}
		if id := b.focused(); id != "connect-open" {
			t.Errorf("after sign-in the focus is on %q, want the Connect button", id)
		}
		b.screenshot("integrations-empty")
	})

	step("connect, keyboard only: focus trapped, Escape closes, focus restored", func(t *testing.T) {
		const shiftTab = "shift+tab"
		b.keys(kb.Enter) // the focused Connect button
		b.run("the modal opens", chromedp.WaitVisible(chromedp.CSS("#connect-dialog")))
		steps := []struct {
			keys []string
			want string
		}{
			{nil, "connect-name"},
			{[]string{kb.Tab}, "connect-token"},
			{[]string{kb.Tab}, ""}, // Cancel: a button without id
			{[]string{kb.Tab}, "connect-submit"},
			{[]string{kb.Tab}, "connect-name"},     // wraps around: the focus stays in the modal
			{[]string{shiftTab}, "connect-submit"}, // and backwards
		}
		for i, s := range steps {
			for _, k := range s.keys {
				if k == shiftTab {
					b.run("Shift+Tab", chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
				} else {
					b.keys(k)
				}
			}
			if got := b.focused(); got != s.want {
				t.Fatalf("step %d: focus on %q, want %q", i, got, s.want)
			}
		}
		b.keys(kb.Escape)
		open := eval[bool](b, `document.getElementById("connect-dialog").open`)
		if open || b.focused() != "connect-open" {
			t.Fatalf("after Escape: modal open %v, focus on %q; want it closed and the focus back on Connect", open, b.focused())
		}
	})

	connectWith := func(t *testing.T, name, token string) {
		t.Helper()
		b.run("focus Connect", chromedp.Focus(chromedp.CSS("#connect-open")))
		b.keys(kb.Enter)
		b.run("the modal opens", chromedp.WaitVisible(chromedp.CSS("#connect-dialog")))
		b.setValue("#connect-name", "")
		b.keys(name, kb.Tab, token, kb.Enter) // typed into the focused field; Enter submits
	}

	step("connect: a token of the wrong shape", func(t *testing.T) {
		connectWith(t, "Production HubSpot", "not-a-token")
		b.waitText("#connect-error", "access_token")
		token := eval[string](b, `document.getElementById("connect-token").value`)
		if token != "" {
			t.Errorf("the token box still holds %q after the answer; a token is never kept", token)
		}
		if id := b.focused(); id != "connect-token" {
			t.Errorf("focus on %q after the error, want the token box", id)
		}
		b.screenshot("connect-bad-token")
		b.keys(kb.Escape)
	})

	step("connect: a revoked token", func(t *testing.T) {
		revoked := ts.newToken(t, sandbox.AllScopes())
		if err := ts.sb.RevokeToken(revoked); err != nil {
			t.Fatal(err)
		}
		connectWith(t, "Production HubSpot", revoked)
		b.waitText("#connect-error", "HUBSPOT_TOKEN_INVALID")
		b.keys(kb.Escape)
	})

	step("connect: missing scopes listed one by one", func(t *testing.T) {
		connectWith(t, "Production HubSpot", ts.newToken(t, sandbox.ScopesWithout("deals")))
		b.waitText("#connect-error", "HUBSPOT_MISSING_SCOPES")
		scopes := eval[[]string](b, `[...document.querySelectorAll("#connect-error .missing-scopes li code")].map((e) => e.textContent)`)
		if len(scopes) == 0 || !slices.ContainsFunc(scopes, func(s string) bool { return strings.Contains(s, "deals") }) {
			t.Errorf("missing scopes listed: %q, want the deal scopes one by one", scopes)
		}
		b.screenshot("connect-missing-scopes")
		b.keys(kb.Escape)
	})

	step("connect: success", func(t *testing.T) {
		connectWith(t, "Production HubSpot", ts.token)
		b.run("the progress", chromedp.WaitReady(chromedp.CSS("#connect-progress")))
		b.waitText("#status", "Connected “Production HubSpot”")
		b.waitText("#connections li h3", "Production HubSpot")
		b.waitText("#connections li .badge", "CONNECTED")
		b.waitText("#connections li", fmt.Sprint(ts.acct.HubID))
		b.waitText("#connections li", "…"+ts.token[len(ts.token)-4:])
		if id := b.focused(); id != "connect-open" {
			t.Errorf("after connecting the focus is on %q, want it back on Connect", id)
		}
		b.screenshot("connect-success")
	})

	step("test connection", func(t *testing.T) {
		b.click(`#connections li button[aria-label="Open Production HubSpot"]`)
		b.waitText("#overview", "Token age")
		b.click("#test-run")
		b.waitText("#diagnosis .test-result", "Rate-limit headroom")
		caps := eval[[]string](b, `[...document.querySelectorAll("#diagnosis .capabilities li")].map((e) => e.className + " " + e.textContent)`)
		if len(caps) == 0 {
			t.Fatal("no capabilities shown")
		}
		for _, c := range caps {
			if !strings.HasPrefix(c, "ok Available: ") {
				t.Errorf("capability %q, want it available (a token with every scope), in words", c)
			}
		}
		b.waitText("#diagnosis .test-result", "Latency: ")
		b.waitText("#diagnosis .test-result", "requests left today")
		b.screenshot("test-connection")
	})

	step("fields: grouped, searchable, pipelines and owners", func(t *testing.T) {
		b.click("#tab-fields")
		b.waitText("#fields-count", "contacts fields")
		b.waitText("#fields-list details summary", "(")
		b.typeInto("#fields-search", "email")
		b.waitText(`#fields-list tr[data-field="email"]`, "email")
		rows := eval[int](b, `document.querySelectorAll("#fields-list tr[data-field]").length`)
		all := eval[int](b, `Number(document.getElementById("fields-count").textContent.split(" of ")[1].split(" ")[0])`)
		if rows == 0 || rows >= all {
			t.Errorf("searching for email shows %d of %d fields, want some and not all", rows, all)
		}
		b.screenshot("fields")
		b.setValue("#fields-object", "deals")
		b.typeInto("#fields-search", "stage")
		b.waitText(`#fields-list tr[data-field="dealstage"]`, "Closed Won")
		b.waitText("#fields-pipelines", "Pipelines")
		b.waitText("#fields-pipelines details", "Sales Pipeline")
		b.waitText("#fields-owners", "Grace Hopper <grace@example.com>")
	})

	step("conditions: an error at its position, then a valid condition evaluated", func(t *testing.T) {
		conn := connectionName(t, ts, key)
		if r := ts.do(t, "POST", "/v1/"+conn+"/contacts:upsert", key, `{"email":"ada@example.com","properties":{"firstname":"Ada"}}`); r.code != 200 {
			t.Fatalf("upsert: %d %s", r.code, r.raw)
		}
		b.click("#tab-conditions")
		b.typeInto("#cond-expr", `contact.firstname == `)
		b.waitText("#cond-check .position", "Line 1, column ")
		b.waitText("#cond-check pre mark", " ")
		b.screenshot("condition-error")
		b.typeInto("#cond-expr", `contact.firstname == "Ada"`)
		b.waitText("#cond-check .valid", "contact.firstname")
		b.typeInto("#cond-email", "ada@example.com")
		b.click("#cond-eval-form button[type=submit]")
		b.waitText("#cond-result .verdict", "Result: true")
		b.waitText("#cond-result table", "Ada")
		b.screenshot("condition-evaluated")
		// A field empty in HubSpot: "unknown", not a plain false.
		b.typeInto("#cond-expr", `contact.lastname == "Lovelace"`)
		b.waitText("#cond-check .valid", "contact.lastname")
		b.click("#cond-eval-form button[type=submit]")
		b.waitText("#cond-result .verdict", "Result: unknown")
		b.waitText("#cond-result", "contact.lastname")
	})

	step("activity: an event logged through the API shows up", func(t *testing.T) {
		conn := connectionName(t, ts, key)
		r := ts.do(t, "POST", "/v1/"+conn+"/timelineEvents", key, `{"timelineEvent":{"kind":"TIMELINE_EVENT_KIND_NOTE",
			"contact":{"email":"ada@example.com"},"occurTime":"2026-11-27T12:00:00Z","title":"Asked about pricing"},"requestId":"browser-1","waitForDelivery":true}`)
		if r.code != 200 {
			t.Fatalf("log: %d %s", r.code, r.raw)
		}
		b.click("#tab-activity")
		b.waitText("#activity-rows tr[data-event]", "Asked about pricing")
		b.waitText("#activity-rows tr[data-event]", "Delivered")
		b.screenshot("activity")
		b.setValue("#activity-state", "TIMELINE_EVENT_STATUS_FAILED")
		b.waitText("#activity-rows", "No events.")
	})

	step("API usage: the page shows GetUsage's figures", func(t *testing.T) {
		conn := connectionName(t, ts, key)
		b.click("#tab-usage")
		b.waitText("#usage-facts", "Requests in 24 hours")
		// The server keeps calling HubSpot on its own (polling), so the page is compared with
		// GetUsage when a call before the page's reload and one after it agree.
		var want, got usageView
		for attempt := 0; attempt < 5; attempt++ {
			want = usageFromAPI(t, ts, key, conn)
			eval[bool](b, `(() => { document.getElementById("usage-facts").replaceChildren(); return true; })()`)
			b.click("#usage-reload")
			b.waitText("#usage-facts", "Requests in 24 hours")
			got = eval[usageView](b, `({
				figures: Object.fromEntries([...document.querySelectorAll("#usage-facts [data-figure]")]
					.filter((e) => !e.dataset.figure.endsWith("-in-window"))
					.map((e) => [e.dataset.figure, e.dataset.figure === "daily-reset" ? e.getAttribute("datetime") : e.textContent])),
				hours: [...document.querySelectorAll("#usage-rows tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)),
			})`)
			if cmp.Equal(want, usageFromAPI(t, ts, key, conn)) {
				break
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("the usage view differs from GetUsage (-GetUsage +page):\n%s", diff)
		}
		if got.Figures["requests-24h"] == "0" {
			t.Errorf("the usage view counts no request, after Connect and field discovery: %v", got.Figures)
		}
		bars := eval[int](b, `document.querySelectorAll("#usage-chart svg rect.bar").length`)
		label := eval[string](b, `document.querySelector("#usage-chart svg").getAttribute("aria-label")`)
		if bars != 24 || !strings.Contains(label, got.Figures["requests-24h"]+" in all") {
			t.Errorf("the chart has %d bars, labelled %q; want 24, with the day's %s requests in words", bars, label, got.Figures["requests-24h"])
		}
		b.screenshot("usage")
	})

	step("changes: a webhook secret set in Settings, then a change made in HubSpot shows up live", func(t *testing.T) {
		const secret = "the-browser-apps-client-secret"
		b.click("#settings-open")
		b.run("settings open", chromedp.WaitVisible(chromedp.CSS("#settings-dialog")))
		b.waitText("#webhook-facts", "not set")
		b.waitText("#webhook-facts", "seconds")
		b.typeInto("#webhook-secret", secret)
		b.click("#webhook-form button[type=submit]")
		b.waitText("#settings-progress", "Client secret saved")
		b.waitText("#webhook-facts", "set (never shown)")
		if v := eval[string](b, `document.getElementById("webhook-secret").value`); v != "" {
			t.Errorf("the secret box still holds %q; a secret is never kept", v)
		}
		if strings.Contains(eval[string](b, `document.body.innerText`), secret) {
			t.Error("the page shows the webhook secret")
		}
		target := eval[string](b, `document.getElementById("webhook-url").value`)
		if want := base + changes.WebhookPath; target != want {
			t.Errorf("the webhook URL shown is %q, want %q", target, want)
		}
		// The poll interval: the API's bounds, shown from its refusal, then a new interval.
		b.typeInto("#poll-seconds", "5")
		b.click("#poll-form button[type=submit]")
		b.waitText("#settings-error", "poll_interval")
		b.typeInto("#poll-seconds", "120")
		b.click("#poll-form button[type=submit]")
		b.waitText("#settings-progress", "Poll interval saved: every 120 seconds")
		b.waitText("#webhook-facts", "120 seconds")
		b.screenshot("settings-webhooks")
		b.keys(kb.Escape)

		// HubSpot's app sends its webhooks to the URL the page shows, signed with the secret.
		var appID int64
		for _, tok := range ts.sb.Tokens(ts.acct.HubID) {
			if tok.Token == ts.token {
				appID = tok.AppID
			}
		}
		if _, err := ts.sb.SetWebhooks(sandbox.WebhookConfig{AppID: appID, TargetURL: target, ClientSecret: secret,
			Subscriptions: []sandbox.WebhookSubscription{{SubscriptionType: "contact." + sandbox.ChangePropertyChange, PropertyName: "firstname"}}}); err != nil {
			t.Fatalf("subscribing the app to %s: %v", target, err)
		}
		defer func() {
			if _, err := ts.sb.SetWebhooks(sandbox.WebhookConfig{AppID: appID}); err != nil {
				t.Error(err)
			}
		}()
		b.click("#tab-changes")
		b.waitText("#changes-state", "Live:")
		id, err := ts.sb.CreateRecord(ts.acct.HubID, "contacts", map[string]string{"email": "grace.live@example.com", "firstname": "Grace"})
		if err != nil {
			t.Fatal(err)
		}
		if err := ts.sb.EditRecord(ts.acct.HubID, "contacts", id, map[string]string{"firstname": "Amazing Grace"}); err != nil {
			t.Fatal(err)
		}
		const row = `#changes-list li[data-source="webhook"]`
		b.waitText(row, "firstname = Amazing Grace")
		b.waitText(row, "written in HubSpot")
		b.screenshot("changes")
		b.click("#tab-overview")
		b.waitCanceled("/changes:watch") // leaving the view ends the stream
	})

	step("changes: a Service Key connection refuses a webhook secret, with the reason", func(t *testing.T) {
		sk, err := ts.sb.CreateToken(sandbox.Token{HubID: ts.acct.HubID, Kind: sandbox.KindServiceKey, Scopes: sandbox.AllScopes()})
		if err != nil {
			t.Fatal(err)
		}
		r := ts.do(t, "POST", "/v1/workspaces/acme/connections", key,
			fmt.Sprintf(`{"displayName":"Service Key HubSpot","connectionId":"browser-sk","accessToken":%q,"requestId":"browser-sk"}`, sk.Token))
		if r.code != 200 {
			t.Fatalf("connect a Service Key: %d %s", r.code, r.raw)
		}
		b.run("reload the page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#connections")))
		b.click(`#connections li button[aria-label="Open Service Key HubSpot"]`)
		b.click("#settings-open")
		b.waitText("#webhook-unavailable", "Service Key")
		b.waitText("#webhook-facts", "seconds")
		b.typeInto("#webhook-secret", "a-secret-of-the-app")
		b.click("#webhook-form button[type=submit]")
		b.waitText("#settings-error", "WEBHOOKS_UNSUPPORTED")
		b.screenshot("settings-webhooks-service-key")
		b.keys(kb.Escape)
		if r := ts.do(t, "DELETE", "/v1/workspaces/acme/connections/browser-sk?requestId=browser-sk-delete", key, ""); r.code != 200 {
			t.Fatalf("disconnect the Service Key: %d %s", r.code, r.raw)
		}
		b.run("reload the page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#connections")))
		b.click(`#connections li button[aria-label="Open Production HubSpot"]`)
		b.waitText("#overview", "Token age")
	})

	step("settings: refresh fields, update credentials; a revoked token tested", func(t *testing.T) {
		b.click("#settings-open")
		b.run("settings open", chromedp.WaitVisible(chromedp.CSS("#settings-dialog")))
		b.waitText("#webhook-facts", "seconds")
		b.click("#refresh-fields")
		b.waitText("#settings-progress", "Fields refreshed: ")
		b.screenshot("settings")
		fresh := ts.newToken(t, sandbox.AllScopes())
		b.typeInto("#creds-token", fresh)
		b.click("#creds-form button[type=submit]")
		b.waitText("#settings-progress", "Credentials updated: the token now ends …"+fresh[len(fresh)-4:])
		other, err := ts.sb.CreateAccount(sandbox.Account{Tier: sandbox.TierFree})
		if err != nil {
			t.Fatal(err)
		}
		otherTok, err := ts.sb.CreateToken(sandbox.Token{HubID: other.HubID, Scopes: sandbox.AllScopes()})
		if err != nil {
			t.Fatal(err)
		}
		b.typeInto("#creds-token", otherTok.Token)
		b.click("#creds-form button[type=submit]")
		b.waitText("#settings-error", "HUBSPOT_ACCOUNT_MISMATCH")
		b.screenshot("update-credentials-refused")
		b.keys(kb.Escape)
		if id := b.focused(); id != "settings-open" {
			t.Errorf("after closing Settings the focus is on %q, want the Settings button", id)
		}

		// The token is revoked in HubSpot: Test Connection shows the ERROR badge, in words,
		// with the reason.
		if err := ts.sb.RevokeToken(fresh); err != nil {
			t.Fatal(err)
		}
		b.click("#test-run")
		b.waitText("#detail-title .badge", "ERROR")
		b.waitText("#overview", "ERROR: ")
		b.waitText("#diagnosis", "No: token accepted")
		b.waitText("#diagnosis p.capabilities", "Not checked: see the problems below.")
		b.screenshot("test-connection-error")
	})

	step("every screen of a connection readable 375 px wide", func(t *testing.T) {
		b.run("phone size", chromedp.EmulateViewport(375, 800))
		defer b.run("desktop size", chromedp.EmulateViewport(1100, 900))
		for _, tab := range []string{"overview", "fields", "conditions", "activity", "changes", "usage"} {
			b.click("#tab-" + tab)
			b.run("show "+tab, chromedp.WaitVisible(chromedp.CSS("#panel-"+tab)))
			if width := eval[int](b, `document.documentElement.scrollWidth`); width > 375 {
				t.Errorf("the %s screen is %d px wide at a 375 px viewport: it scrolls sideways", tab, width)
			}
			b.screenshot(tab + "-phone")
		}
		b.click("#tab-overview")
	})

	step("disconnect, with a confirmation naming the connection", func(t *testing.T) {
		b.click("#settings-open")
		b.waitText("#webhook-facts", "seconds") // loaded: nothing moves any more
		b.click("#disconnect-open")
		b.waitText("#disconnect-text", "“Production HubSpot”")
		b.screenshot("disconnect-confirm")
		b.click("#disconnect-confirm")
		b.waitText("#status", "Disconnected “Production HubSpot”")
		b.waitText("#connections", "No HubSpot account is connected")
		if r := ts.do(t, "GET", "/v1/workspaces/acme/connections", key, ""); r.code != 200 || len(r.body["connections"].([]any)) != 0 {
			t.Errorf("after Disconnect the API lists %s", r.raw)
		}
	})

	step("readable 375 px wide", func(t *testing.T) {
		b.run("phone size", chromedp.EmulateViewport(375, 800))
		width := eval[int](b, `document.documentElement.scrollWidth`)
		if width > 375 {
			t.Errorf("the page is %d px wide at a 375 px viewport: it scrolls sideways", width)
		}
		b.screenshot("integrations-phone")
		b.run("desktop size", chromedp.EmulateViewport(1100, 900))
	})

	step("sign-out clears the key", func(t *testing.T) {
		b.click("#signout")
		b.waitText("#status", "Signed out.")
		session := eval[any](b, `sessionStorage.getItem("connectflo.session")`)
		if session != nil {
			t.Errorf("after sign-out sessionStorage holds %v", session)
		}
	})

	step("every request is an asset or a documented REST call with the key", func(t *testing.T) {
		b.checkRequests(wrongKey, key)
	})

	step("no CSP violation, no console error; the policy is enforced", func(t *testing.T) {
		violations := eval[[]string](b, `window.cspViolations`)
		b.mu.Lock()
		console := slices.Clone(b.console)
		b.mu.Unlock()
		if len(violations) != 0 || len(console) != 0 {
			t.Errorf("CSP violations %q, console %q; want none", violations, console)
		}
		// The detector works: an inline style is refused, and seen.
		eval[bool](b, `(() => { const d = document.createElement("div"); d.setAttribute("style", "color: red"); document.body.append(d); return true; })()`)
		ctx, cancel := b.bounded()
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.cspViolations.length > 0`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Errorf("an inline style caused no CSP violation: the policy is not enforced (%v)", err)
		}
	})
}

// usageView is the usage view's figures: each by its name (the windows' in-use counts left
// out: they change by the second), and the hourly table's rows of standard, search and
// rate-limited requests.
type usageView struct {
	Figures map[string]string `json:"figures"`
	Hours   [][]string        `json:"hours"`
}

// usageFromAPI is GetUsage's answer over REST as the usage view should show it.
func usageFromAPI(t *testing.T, ts *testServer, key, conn string) usageView {
	t.Helper()
	r := ts.do(t, "GET", "/v1/"+conn+"/usage", key, "")
	if r.code != 200 {
		t.Fatalf("GetUsage: %d %s", r.code, r.raw)
	}
	var u struct {
		StandardWindow struct{ Budget int } `json:"standardWindow"`
		SearchWindow   struct{ Budget int } `json:"searchWindow"`
		Daily          struct {
			Used, Limit, ResetTime string
			Remaining              *string
		}
		RateLimitedTotal string `json:"rateLimitedTotal"`
		RateLimited24h   string `json:"rateLimited24h"`
		Requests24h      string `json:"requests24h"`
		Hours            []struct{ StandardRequests, SearchRequests, RateLimited string }
	}
	if err := json.Unmarshal([]byte(r.raw), &u); err != nil {
		t.Fatalf("GetUsage: %v in %s", err, r.raw)
	}
	n := func(s string) string { // proto3 JSON leaves zeros out and writes int64 as strings
		if s == "" {
			return "0"
		}
		return s
	}
	v := usageView{Figures: map[string]string{
		"standard-budget":    fmt.Sprint(u.StandardWindow.Budget),
		"search-budget":      fmt.Sprint(u.SearchWindow.Budget),
		"daily-used":         n(u.Daily.Used),
		"daily-reset":        u.Daily.ResetTime,
		"rate-limited-total": n(u.RateLimitedTotal),
		"rate-limited-24h":   n(u.RateLimited24h),
		"requests-24h":       n(u.Requests24h),
	}}
	if n(u.Daily.Limit) != "0" {
		v.Figures["daily-limit"] = u.Daily.Limit
	}
	if u.Daily.Remaining != nil {
		v.Figures["daily-remaining"] = *u.Daily.Remaining
	}
	for _, h := range u.Hours {
		v.Hours = append(v.Hours, []string{n(h.StandardRequests), n(h.SearchRequests), n(h.RateLimited)})
	}
	return v
}

// connectionName is the name of the workspace's only connection.
func connectionName(t *testing.T, ts *testServer, key string) string {
	t.Helper()
	r := ts.do(t, "GET", "/v1/workspaces/acme/connections", key, "")
	var list struct {
		Connections []struct {
			Name string `json:"name"`
		} `json:"connections"`
	}
	if err := json.Unmarshal([]byte(r.raw), &list); err != nil || len(list.Connections) != 1 {
		t.Fatalf("connections: %s (%v)", r.raw, err)
	}
	return list.Connections[0].Name
}

// The page and its assets carry the security headers, and unknown paths stay API errors.
func TestSettingsPageHeaders(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	for _, p := range web.Assets() {
		resp, err := http.Get("http://" + ts.httpAddr + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if h := resp.Header; resp.StatusCode != 200 || h.Get("Content-Security-Policy") != web.ContentSecurityPolicy ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: %d %v", p, resp.StatusCode, h)
		}
	}
	if r := ts.do(t, "GET", "/no/such/page", "", ""); r.code != 404 || reasonOf(r.body) != "NO_SUCH_ROUTE" {
		t.Errorf("GET /no/such/page: %d %s, want 404 NO_SUCH_ROUTE", r.code, r.raw)
	}
}

// Without Chromium the browser tests are skipped with a message that says what to install,
// unless BROWSER_REQUIRED=1 (CI) turns the skip into a failure. The test binary runs the
// browser test again with an empty PATH, so that chromium cannot be found.
func TestSettingsPageWithoutChromiumSkipsUnlessRequired(t *testing.T) {
	t.Parallel()
	if os.Getenv("BROWSER_SKIP_CHILD") == "1" {
		t.Skip("the child run of this test")
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		required string
		wantFail bool
		want     string
	}{
		{"a developer without chromium: skipped", "", false, "--- SKIP: TestSettingsPageInChromium"},
		{"CI without chromium: failed", "1", true, "--- FAIL: TestSettingsPageInChromium"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, "-test.run=^TestSettingsPageInChromium$", "-test.v", "-test.count=1")
			cmd.Env = []string{"PATH=", "BROWSER_SKIP_CHILD=1", browserRequired + "=" + tc.required}
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tc.wantFail {
				t.Errorf("the run failed: %v, want %v\n%s", failed, tc.wantFail, out)
			}
			for _, want := range []string{tc.want, "chromium is not on PATH", "apt-get install chromium", browserRequired + "=1"} {
				if !strings.Contains(string(out), want) {
					t.Errorf("the output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}
