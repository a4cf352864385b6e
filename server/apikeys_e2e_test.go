package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/app"
)

// runCLI runs a subcommand of the real program and returns its standard output and error.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = app.Run(context.Background(), args, noEnv, &out, &errOut)
	return out.String(), errOut.String(), err
}

// An operator lists the keys of a running server's database and revokes one by its id (a
// whole key on the command line is refused, naming the id): the server then refuses the key
// with API_KEY_REVOKED, over gRPC and REST, while the other keys keep working.
func TestAPIKeyListAndRevoke(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	idOf := func(key string) string { return strings.SplitN(key, "_", 3)[1] }

	out, _, err := runCLI(t, "apikey", "list", "--db", ts.db)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("apikey list printed\n%s\nwant a header and the 3 keys", out)
	}
	for ws, key := range ts.keys {
		if !strings.Contains(out, idOf(key)) {
			t.Errorf("the %q key's id %s is not listed:\n%s", ws, idOf(key), out)
		}
		if strings.Contains(out, strings.SplitN(key, "_", 3)[2]) {
			t.Errorf("apikey list shows the %q key's secret", ws)
		}
	}
	if out, _, _ := runCLI(t, "apikey", "list", "--workspace", "globex", "--db", ts.db); strings.Count(strings.TrimSpace(out), "\n") != 1 ||
		!strings.Contains(out, idOf(ts.keys["globex"])) {
		t.Errorf("apikey list --workspace globex printed\n%s", out)
	}

	// A whole key is refused, naming the id to pass instead and never the secret; nothing is revoked.
	globexSecret := strings.SplitN(ts.keys["globex"], "_", 3)[2]
	out, errOut, err := runCLI(t, "apikey", "revoke", ts.keys["globex"], "--db", ts.db)
	if err == nil || !strings.Contains(err.Error(), "pass the key id "+idOf(ts.keys["globex"])) {
		t.Errorf("apikey revoke with a whole key: %v; want a refusal naming the id", err)
	}
	if strings.Contains(fmt.Sprint(out, errOut, err), globexSecret) {
		t.Error("apikey revoke repeated the secret of the whole key it was given")
	}
	if out, _, _ := runCLI(t, "apikey", "list", "--workspace", "globex", "--db", ts.db); !strings.HasSuffix(strings.TrimSpace(out), " -") {
		t.Errorf("a refused revoke revoked the key (its REVOKED column must stay -):\n%s", out)
	}
	out, _, err = runCLI(t, "apikey", "revoke", idOf(ts.keys["globex"]), "--db", ts.db)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Revoked API key "+idOf(ts.keys["globex"])) {
		t.Errorf("apikey revoke printed %q", out)
	}
	if out, _, err := runCLI(t, "apikey", "revoke", "--db", ts.db, idOf(ts.keys["globex"])); err != nil || !strings.Contains(out, "already revoked") {
		t.Errorf("revoking twice: %q, %v", out, err)
	}
	if _, _, err := runCLI(t, "apikey", "revoke", "aaaaaaaaaaaaaaaa", "--db", ts.db); err == nil || !strings.Contains(err.Error(), "no API key has id") {
		t.Errorf("revoking an unknown id: %v", err)
	}
	if _, _, err := runCLI(t, "apikey", "revoke", "not a key!", "--db", ts.db); err == nil || !strings.Contains(err.Error(), "is not a key id") {
		t.Errorf("revoking garbage: %v", err)
	}
	// A mistyped --db is an error, not a new empty database.
	typo := filepath.Join(t.TempDir(), "typo.db")
	if _, _, err := runCLI(t, "apikey", "list", "--db", typo); err == nil || !strings.Contains(err.Error(), "no database at") {
		t.Errorf("listing a missing database: %v", err)
	}
	if _, err := os.Stat(typo); err == nil {
		t.Error("apikey list created the database it was pointed at")
	}
	if out, _, _ := runCLI(t, "apikey", "list", "--db", ts.db); !strings.Contains(out, idOf(ts.keys["globex"])) || strings.Count(out, "Z\n") < 1 {
		t.Errorf("a revoked key must stay listed with its revocation time:\n%s", out)
	}

	// The server never verified the globex key before, so nothing cached hides the revocation.
	_, err = ts.client(t, ts.keys["globex"]).ListConnections(context.Background(), &integrationsv1.ListConnectionsRequest{Parent: "workspaces/globex"})
	if status.Code(err) != codes.Unauthenticated || client.Reason(err) != "API_KEY_REVOKED" {
		t.Errorf("gRPC with a revoked key: %v (reason %q), want UNAUTHENTICATED API_KEY_REVOKED", err, client.Reason(err))
	}
	r := ts.do(t, "GET", "/v1/workspaces/globex/connections", ts.keys["globex"], "")
	if r.code != 401 || reasonOf(r.body) != "API_KEY_REVOKED" {
		t.Errorf("REST with a revoked key: HTTP %d %s", r.code, r.raw)
	}
	// A wrong secret under the revoked id says nothing about the revocation.
	forged := ts.keys["globex"][:len(ts.keys["globex"])-4] + "AAAA"
	if r := ts.do(t, "GET", "/v1/workspaces/globex/connections", forged, ""); reasonOf(r.body) != "API_KEY_INVALID" {
		t.Errorf("a forged key under a revoked id: HTTP %d %s, want API_KEY_INVALID", r.code, r.raw)
	}
	if r := ts.do(t, "GET", "/v1/workspaces/acme/connections", ts.keys["acme"], ""); r.code != 200 {
		t.Errorf("the acme key stopped working: HTTP %d %s", r.code, r.raw)
	}
}
