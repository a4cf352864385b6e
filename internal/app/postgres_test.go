package app

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// The apikey commands take a postgres:// URL in --db as they take a SQLite path, and never
// print the URL's password, even in an error that names the database.
func TestAPIKeyCommandsOnPostgres(t *testing.T) {
	db := withPassword(t, storetest.PostgresDSN(t), testPassword)
	noEnv := func(string) string { return "" }
	run := func(args ...string) (stdout, stderr string, err error) {
		t.Helper()
		var out, errOut bytes.Buffer
		err = Run(t.Context(), append(args, "--db", db), noEnv, &out, &errOut)
		for _, text := range []string{out.String(), errOut.String(), errString(err)} {
			if strings.Contains(text, testPassword) {
				t.Errorf("%v printed the database password: %q", args, text)
			}
		}
		return out.String(), errOut.String(), err
	}

	key, _, err := run("apikey", "create", "--workspace", "acme")
	if err != nil {
		t.Fatalf("apikey create: %v", err)
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(key), "cfk_"), "_")
	if out, _, err := run("apikey", "revoke", id); err != nil || !strings.Contains(out, "Revoked API key "+id) {
		t.Errorf("apikey revoke = %q, %v", out, err)
	}
	if list, _, err := run("apikey", "list"); err != nil || !strings.Contains(list, id) || !strings.Contains(list, "acme") {
		t.Errorf("apikey list = %q, %v; want the revoked acme key", list, err)
	}
	if _, _, err := run("apikey", "revoke", "aaaaaaaaaaaaaaaa"); err == nil || !strings.Contains(err.Error(), "postgres://postgres:xxxxx@") {
		t.Errorf("revoking an unknown id: %v; want an error naming the database with its password masked", err)
	}
}

// The server runs on a postgres:// URL as on a SQLite file: it migrates the database, serves,
// and stops; its log names the database without the password.
func TestServerOnPostgres(t *testing.T) {
	db := withPassword(t, storetest.PostgresDSN(t), testPassword)
	dir := t.TempDir()
	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready, done := make(chan Ready, 1), make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--db", db,
			"--key-file", filepath.Join(dir, "keys"), "--hubspot-base-url", "http://127.0.0.1:1"},
			func(string) string { return "" }, io.Discard, &logs, OnReady(func(r Ready) { ready <- r }))
	}()
	select {
	case r := <-ready:
		resp, err := http.Get("http://" + r.HTTPAddr + "/healthz")
		if err != nil {
			t.Fatalf("GET /healthz: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /healthz: %d, want 200", resp.StatusCode)
		}
	case err := <-done:
		t.Fatalf("Run returned before it was ready: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("OnReady was not called within 30 s")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if strings.Contains(logs.String(), testPassword) || !strings.Contains(logs.String(), "postgres://postgres:xxxxx@") {
		t.Errorf("the log must name the database with its password masked:\n%s", logs.String())
	}
}

// testPassword is put in the test server's URL, which trusts loopback and accepts any
// password, to check that it is never shown.
const testPassword = "pw-never-shown"

// withPassword is dsn with password as its user's password.
func withPassword(t *testing.T, dsn, password string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String()
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
