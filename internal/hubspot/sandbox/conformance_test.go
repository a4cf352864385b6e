package sandbox_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/hubspot/sandbox"
)

// TestConformanceWithOfficialNodeClient runs HubSpot's own npm client against the
// sandbox (conformance/sandbox.test.mjs). It is the check that the sandbox speaks
// HubSpot's wire format, not just our reading of it.
func TestConformanceWithOfficialNodeClient(t *testing.T) {
	dir, err := filepath.Abs("conformance")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@hubspot", "api-client")); err != nil {
		if os.Getenv("SKIP_NODE_CONFORMANCE") == "1" {
			t.Skip("SKIP_NODE_CONFORMANCE=1 and conformance/node_modules is missing")
		}
		t.Fatalf("conformance/node_modules is missing: run `npm ci --prefix internal/hubspot/sandbox/conformance` "+
			"from the repository root (or set SKIP_NODE_CONFORMANCE=1 to skip this test): %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("SKIP_NODE_CONFORMANCE") == "1" {
			t.Skip("SKIP_NODE_CONFORMANCE=1 and node is not installed")
		}
		t.Fatalf("node is not on PATH (Node 20 or later is needed): %v", err)
	}

	demo, err := sandbox.NewDemo(sandbox.Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(demo.Sandbox) // listens on 127.0.0.1, port 0
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "sandbox.test.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"HUBSPOT_SANDBOX_URL="+srv.URL,
		"HUBSPOT_SANDBOX_TOKEN="+demo.Token.Token,
		"HUBSPOT_SANDBOX_TOKEN_NO_DEALS="+demo.TokenWithoutDeals.Token,
		"HUBSPOT_SANDBOX_HUB_ID="+strconv.FormatInt(demo.Account.HubID, 10),
		"NO_COLOR=1",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test failed: %v\n%s", err, out)
	}
	t.Logf("node --test:\n%s", out)
}
