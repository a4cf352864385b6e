package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/app"
)

// shellWords splits a command line as the demo prints it: words separated by spaces, with
// '…' quoting (no escapes inside, as in sh).
func shellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, r := range line {
		switch {
		case quoted && r == '\'':
			quoted = false
		case quoted:
			cur.WriteRune(r)
		case r == '\'':
			quoted, inWord = true, true
		case r == ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("unterminated quote in %q", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// curlRequest runs a printed "curl -s [-H h]… [-X m] [-d body] URL" line with net/http, so that
// the test needs no curl; anything else in the line is a failure.
func curlRequest(t *testing.T, line string) (int, map[string]any) {
	t.Helper()
	words, err := shellWords(line)
	if err != nil || len(words) < 3 || words[0] != "curl" || words[1] != "-s" {
		t.Fatalf("not a curl line the test knows: %q (%v)", line, err)
	}
	method, body, url := "", "", ""
	header := http.Header{}
	for i := 2; i < len(words); i++ {
		switch w := words[i]; {
		case w == "-H" && i+1 < len(words):
			k, v, _ := strings.Cut(words[i+1], ": ")
			header.Add(k, v)
			i++
		case w == "-X" && i+1 < len(words):
			method = words[i+1]
			i++
		case w == "-d" && i+1 < len(words):
			body = words[i+1]
			i++
		case !strings.HasPrefix(w, "-") && url == "":
			url = w
		default:
			t.Fatalf("curl option %q in %q is not one the test knows", w, line)
		}
	}
	if method == "" {
		method = "GET"
		if body != "" {
			method = "POST" // as curl does with -d
		}
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded") // curl's -d default; the gateway must not mind
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s\nanswered %d with a body that is not JSON: %s", line, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// The README's first command is demo mode. This runs it and then every command it prints,
// exactly as printed: grpcurl through the pinned tool from the repository root, curl through
// net/http with the same method, headers and body. A newcomer pasting them must get what the
// text promises.
func TestDemoModeCommandsWork(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds grpcurl")
	}
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done, ready := make(chan error, 1), make(chan app.Ready, 1)
	go func() {
		done <- app.Run(ctx, []string{"--sandbox", "--sandbox-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"},
			noEnv, stdout, stderr, app.OnReady(func(r app.Ready) { ready <- r }))
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo exited with %v", err)
		}
		if !strings.Contains(stdout.String(), "demo stopped; its database and sandbox data are gone") {
			t.Errorf("the demo did not say goodbye:\n%s", stdout.String())
		}
	}()
	// The demo prints its commands before it serves, so they are all there once it is ready.
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		t.Fatalf("the demo did not serve within 20 s:\n%s\n%s", stdout.String(), stderr.String())
	}
	// The settings page's address is the first thing printed, and it serves the page.
	first := strings.SplitN(strings.TrimLeft(stdout.String(), "\n"), "\n", 2)[0]
	page, ok := strings.CutPrefix(first, "Settings page: ")
	page, _, _ = strings.Cut(page, " ")
	if !ok || !strings.HasPrefix(page, "http://") {
		t.Fatalf("the demo's first line is %q, want the settings page's address", first)
	}
	resp, err := http.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET %s: %d %s, want the page (200 text/html)", page, resp.StatusCode, ct)
	}

	var grpcurls, curls []string
	for _, line := range strings.Split(stdout.String(), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "go tool -modfile=tools/go.mod grpcurl "):
			grpcurls = append(grpcurls, line)
		case strings.HasPrefix(line, "curl "):
			curls = append(curls, line)
		}
	}
	if len(grpcurls) != 3 || len(curls) != 14 {
		t.Fatalf("the demo printed %d grpcurl and %d curl commands, want 3 and 14:\n%s", len(grpcurls), len(curls), stdout.String())
	}

	// grpcurl: Connect, then TestConnection.
	for i, want := range []string{`"CONNECTION_STATUS_CONNECTED"`, `"tokenValid": true`} {
		words, err := shellWords(grpcurls[i])
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(words[0], words[1:]...)
		cmd.Dir = ".." // "from the repository root"
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), want) {
			t.Fatalf("%s\nfailed (%v) or lacks %s:\n%s", grpcurls[i], err, want, out)
		}
	}

	// curl: the connection already exists (the text says to connect once, with either tool).
	wants := []struct {
		status int
		check  func(map[string]any) bool
		what   string
	}{
		{409, func(b map[string]any) bool { return reasonOf(b) == "CONNECTION_NAME_TAKEN" }, "a second Connect is refused: the name is taken"},
		{200, func(b map[string]any) bool { return b["tokenValid"] == true }, "TestConnection says the token is valid"},
		{200, func(b map[string]any) bool { l, _ := b["connections"].([]any); return len(l) == 1 }, "one connection listed"},
		{400, func(b map[string]any) bool { return reasonOf(b) == "HUBSPOT_MISSING_SCOPES" }, "the token without deal scopes is refused for them"},
		{200, func(b map[string]any) bool {
			return b["credentialKind"] == "CREDENTIAL_KIND_SERVICE_KEY" && b["status"] == "CONNECTION_STATUS_CONNECTED"
		}, "the Service Key connects"},
		{200, func(b map[string]any) bool {
			return b["contactId"] != "" && b["contactId"] != nil && b["created"] == true
		}, "the upsert creates the contact"},
		{200, func(b map[string]any) bool {
			p, _ := b["properties"].(map[string]any)
			first, _ := p["firstname"].(map[string]any)
			return first["stringValue"] == "Ada"
		}, "the record reads back"},
		{200, func(b map[string]any) bool { return b["result"] == true }, "the condition holds"},
		{200, func(b map[string]any) bool {
			return b["status"] == "TIMELINE_EVENT_STATUS_DELIVERED"
		}, "the timeline event is delivered"},
		{200, func(b map[string]any) bool { l, _ := b["schemas"].([]any); return len(l) == 3 }, "fields of 3 object types"},
		{200, func(b map[string]any) bool {
			raw, _ := json.Marshal(b["properties"])
			return strings.Contains(string(raw), `"2096394"`) && strings.Contains(string(raw), `"1467822"`)
		}, "the deal moves to Enterprise's Closed Won (stage 2096394 of pipeline 1467822)"},
	}
	for i, line := range curls[:len(wants)] {
		status, body := curlRequest(t, line)
		if status != wants[i].status || !wants[i].check(body) {
			raw, _ := json.Marshal(body)
			t.Errorf("%s\n→ HTTP %d %.600s\nwant %d: %s", line, status, raw, wants[i].status, wants[i].what)
		}
	}

	demoWatchesAChange(t, grpcurls[2], curls[len(wants):])
}

// demoWatchesAChange runs the demo's last commands as printed: the change settings that give
// the connection the app's secret, the two watches (grpcurl and curl NDJSON) and the edit of a
// contact in HubSpot, which must arrive on both watches as an update by webhook.
func demoWatchesAChange(t *testing.T, grpcWatch string, curls []string) {
	t.Helper()
	settingsLine, watchLine, editLine := curls[0], curls[1], curls[2]
	if status, body := curlRequest(t, settingsLine); status != 200 || body["webhookSecretSet"] != true {
		t.Fatalf("%s\n→ HTTP %d %v; want the secret set", settingsLine, status, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), feedWait)
	defer cancel()

	// curl -s -H h -N URL, streamed.
	words, err := shellWords(watchLine)
	if err != nil || len(words) != 6 || words[2] != "-H" || words[4] != "-N" {
		t.Fatalf("not the curl watch the test knows: %q (%v)", watchLine, err)
	}
	req, err := http.NewRequestWithContext(ctx, "GET", words[5], nil)
	if err != nil {
		t.Fatal(err)
	}
	k, v, _ := strings.Cut(words[3], ": ")
	req.Header.Set(k, v)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%s: %v %v", watchLine, resp, err)
	}
	defer resp.Body.Close()

	words, err = shellWords(grpcWatch)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, words[0], words[1:]...)
	cmd.Dir = ".."
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()
	// Both watches start without a cursor, so they send every stored change first: the edit
	// reaches them whether they opened before it or after.
	if status, body := curlRequest(t, editLine); status != 200 || body["id"] == nil {
		t.Fatalf("%s\n→ HTTP %d %v", editLine, status, body)
	}

	// Changes stored before the edit come first: the demo's own writes (the deal moved to
	// Closed Won) reach the feed by webhook too, once the secret is set and HubSpot's retry
	// of their delivery is accepted.
	rest := bufio.NewScanner(resp.Body)
	var restSeen strings.Builder
	found := false
	for !found && rest.Scan() {
		restSeen.WriteString(rest.Text() + "\n")
		found = strings.Contains(rest.Text(), `"CHANGE_KIND_UPDATED"`) && strings.Contains(rest.Text(), `"CHANGE_SOURCE_WEBHOOK"`) &&
			strings.Contains(rest.Text(), `"Grace"`)
	}
	if !found {
		t.Errorf("%s\nprinted no update of the contact by webhook within %v (%v):\n%s", watchLine, feedWait, rest.Err(), restSeen.String())
	}
	grpc := bufio.NewScanner(out)
	var seen strings.Builder
	for grpc.Scan() {
		seen.WriteString(grpc.Text() + "\n")
		if strings.Contains(grpc.Text(), `"CHANGE_KIND_UPDATED"`) {
			return
		}
	}
	t.Errorf("%s\nprinted no update within %v:\n%s", grpcWatch, feedWait, seen.String())
}
