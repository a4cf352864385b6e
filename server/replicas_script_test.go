package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// TestReplicasScript runs scripts/replicas with two replicas on a PostgreSQL schema of its
// own, as a newcomer would: both replicas answer their ready probe, a connection made through
// replica 1 is served by replica 2, an edit in HubSpot whose webhook replica 1 accepts reaches
// a watch on replica 2, and Ctrl-C (SIGINT) stops everything and removes the script's folder
// but not the key file given to it, which a second run on the same database needs.
func TestReplicasScript(t *testing.T) {
	if *e2eAPIVersion != "" {
		t.Skip("the script does not depend on the HubSpot API version: it runs once, in the default suite")
	}
	for _, tool := range []string{"bash", "curl", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("scripts/replicas needs %s: %v", tool, err)
		}
	}
	db := storetest.PostgresDSN(t) // skips without INTEGRATIONS_TEST_POSTGRES, fails under POSTGRES_REQUIRED=1
	dir := filepath.Join(t.TempDir(), "replicas")
	first := freeLoopbackPorts(t, 5)
	grpcBase, httpBase, sandboxPort := first, first+2, first+4
	keys := filepath.Join(t.TempDir(), "replicas.keys")
	keyRing := "k7:" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")) + "\n"
	if err := os.WriteFile(keys, []byte(keyRing), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"INTEGRATIONS_REPLICAS_DIR="+dir, "INTEGRATIONS_REPLICAS_DB="+db, "INTEGRATIONS_REPLICAS_KEY_FILE="+keys,
		fmt.Sprint("INTEGRATIONS_REPLICAS_GRPC_PORT=", grpcBase), fmt.Sprint("INTEGRATIONS_REPLICAS_HTTP_PORT=", httpBase),
		fmt.Sprint("INTEGRATIONS_REPLICAS_SANDBOX_PORT=", sandboxPort))

	// Building the server is most of the start; the bound is for a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join("..", "scripts", "replicas"), "2")
	cmd.Env = env
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = 30 * time.Second
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, stdoutW := io.Pipe()
	cmd.Stdout = stdoutW
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // whatever happened above, leave no process behind
		stop := exec.Command("bash", filepath.Join("..", "scripts", "replicas"), "stop")
		stop.Env = env
		if out, err := stop.CombinedOutput(); err != nil {
			t.Errorf("scripts/replicas stop: %v\n%s", err, out)
		}
	})

	exited := make(chan error, 1)
	go func() { // the script's end ends the pipe, and readLinesUntil with it
		err := cmd.Wait()
		stdoutW.Close()
		exited <- err
	}()
	printed := readLinesUntil(t, stdout, "Ctrl-C stops everything")
	go io.Copy(io.Discard, stdout) //nolint:errcheck // the rest of the output is not checked
	key, token := scriptPrinted(t, printed, `API key (workspace "demo"): `), scriptPrinted(t, printed, "HubSpot token (the sandbox's, all scopes): ")
	replica := func(i int) string { return fmt.Sprintf("http://127.0.0.1:%d", httpBase+i-1) }

	for i := 1; i <= 2; i++ {
		var ready struct{ Status string }
		if code := restCall(t, http.MethodGet, replica(i)+"/readyz", "", "", &ready); code != http.StatusOK || ready.Status != "SERVING" {
			t.Errorf("replica %d: /readyz = %d %+v, want 200 SERVING", i, code, ready)
		}
	}
	type connection struct{ Name, Status, HubID string }
	var made, served connection
	body := fmt.Sprintf(`{"connectionId":"shared","displayName":"Shared","accessToken":%q}`, token)
	if code := restCall(t, http.MethodPost, replica(1)+"/v1/workspaces/demo/connections", key, body, &made); code != http.StatusOK {
		t.Fatalf("Connect through replica 1: HTTP %d %+v", code, made)
	}
	if code := restCall(t, http.MethodGet, replica(2)+"/v1/workspaces/demo/connections/shared", key, "", &served); code != http.StatusOK {
		t.Fatalf("GetConnection on replica 2: HTTP %d", code)
	}
	if diff := cmp.Diff(made, served); diff != "" || made.Status != "CONNECTION_STATUS_CONNECTED" {
		t.Errorf("replica 2 serves the connection made through replica 1 differently (-replica 1 +replica 2):\n%s\n(made: %+v)", diff, made)
	}
	watchAcrossReplicas(t, printed, key, replica(1)+"/v1/workspaces/demo/connections/shared", replica(2)+"/v1/workspaces/demo/connections/shared")

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err != nil && cmd.ProcessState.ExitCode() != 130 {
		t.Errorf("scripts/replicas after Ctrl-C: %v, want exit status 130\n%s", err, stderr.String())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("after Ctrl-C the script's folder %s is still there (%v)", dir, err)
	}
	if got, err := os.ReadFile(keys); err != nil || string(got) != keyRing {
		t.Errorf("after Ctrl-C the key file given is %q (%v), want it kept as it was", got, err)
	}
	if !strings.Contains(printed, "the same key file for all: "+keys) {
		t.Errorf("scripts/replicas did not say it runs on the key file given (%s):\n%s", keys, printed)
	}
	for i := 1; i <= 2; i++ {
		if c, err := net.DialTimeout("tcp", strings.TrimPrefix(replica(i), "http://"), time.Second); err == nil {
			c.Close()
			t.Errorf("replica %d still listens after Ctrl-C", i)
		}
	}
}

// watchAcrossReplicas follows the printed commands' promise: with the webhook secret the
// script printed, an edit made with its sandbox command reaches a watch on the last replica,
// although the sandbox sends its webhooks to replica 1.
func watchAcrossReplicas(t *testing.T, printed, key, onReplica1, onLast string) {
	t.Helper()
	secret := regexp.MustCompile(`"webhookClientSecret":"([^"]+)"`).FindStringSubmatch(printed)
	edit := regexp.MustCompile(`http://127\.0\.0\.1:\d+/_sandbox/accounts/\d+/objects/contacts/(\d+)`).FindStringSubmatch(printed)
	if secret == nil || edit == nil {
		t.Fatalf("scripts/replicas printed no webhook secret or no sandbox edit command:\n%s", printed)
	}
	var settings struct{ WebhookSecretSet bool }
	if code := restCall(t, http.MethodPatch, onReplica1+"/changeSettings", key, fmt.Sprintf(`{"webhookClientSecret":%q}`, secret[1]), &settings); code != http.StatusOK || !settings.WebhookSecretSet {
		t.Fatalf("UpdateChangeSettings on replica 1: HTTP %d %+v", code, settings)
	}

	// The bound is for a loaded machine; the change normally arrives within a second.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, onLast+"/changes:watch", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req) // answered once the watch is open
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("WatchChanges on the last replica: HTTP %d", resp.StatusCode)
	}
	var edited map[string]any
	if code := restCall(t, http.MethodPatch, edit[0], "", `{"properties":{"firstname":"Grace"}}`, &edited); code != http.StatusOK {
		t.Fatalf("the sandbox's edit: HTTP %d %v", code, edited)
	}
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		var c struct {
			Result struct{ RecordID, Kind string }
		}
		if err := json.Unmarshal(lines.Bytes(), &c); err != nil {
			t.Fatalf("WatchChanges line %q: %v", lines.Text(), err)
		}
		if c.Result.RecordID == edit[1] && c.Result.Kind == "CHANGE_KIND_UPDATED" {
			return
		}
	}
	t.Errorf("the edit of contact %s in HubSpot never reached the watch on the last replica: %v", edit[1], lines.Err())
}

// readLinesUntil returns the lines of r up to and including the first holding marker, failing t
// when r ends first (the script stopped: its error is in its stderr).
func readLinesUntil(t *testing.T, r io.Reader, marker string) string {
	t.Helper()
	var b strings.Builder
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), marker) {
			return b.String()
		}
	}
	t.Fatalf("scripts/replicas ended before printing %q: %v\n%s", marker, sc.Err(), b.String())
	return ""
}

// scriptPrinted is what follows prefix on its line of the script's output.
func scriptPrinted(t *testing.T, printed, prefix string) string {
	t.Helper()
	for line := range strings.Lines(printed) {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("scripts/replicas printed no line starting with %q:\n%s", prefix, printed)
	return ""
}

// restCall makes one REST call with the API key and decodes its JSON answer into out.
func restCall(t *testing.T, method, url, key, body string, out any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Errorf("%s %s: HTTP %d, answer not JSON: %v", method, url, resp.StatusCode, err)
	}
	return resp.StatusCode
}

// freeLoopbackPorts returns the first of n consecutive ports free on loopback now, from a random
// start so that parallel runs seldom collide (the script checks them again before it binds).
func freeLoopbackPorts(t *testing.T, n int) int {
	t.Helper()
	for range 100 {
		first := 20000 + rand.IntN(30000)
		var held []net.Listener
		for p := first; p < first+n; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				break
			}
			held = append(held, l)
		}
		for _, l := range held {
			l.Close()
		}
		if len(held) == n {
			return first
		}
	}
	t.Fatalf("no %d consecutive free ports on 127.0.0.1", n)
	return 0
}
