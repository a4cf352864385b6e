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

	"github.com/connectflo/integrations/internal/sandbox"
)

// conformanceRequired names the environment variable that makes a missing Node.js or
// conformance/node_modules a failure instead of a skip. CI (.ci/run) sets it, so that the check
// cannot silently stop running there; a developer without Node still gets a green go test.
const conformanceRequired = "CONFORMANCE_REQUIRED"

// missingPrerequisite skips the conformance test, saying what is missing and how to get it,
// or fails it where it is required.
func missingPrerequisite(t *testing.T, what, remedy string) {
	t.Helper()
	if os.Getenv(conformanceRequired) == "1" {
		t.Fatalf("%s, and %s=1 requires this test: %s", what, conformanceRequired, remedy)
	}
	t.Skipf("skipping the conformance test against HubSpot's official npm client: %s; %s (set %s=1 to make this a failure, as CI does)",
		what, remedy, conformanceRequired)
}

// TestConformanceWithOfficialNodeClient runs HubSpot's own npm client against the
// sandbox (conformance/sandbox.test.mjs). It is the check that the sandbox speaks
// HubSpot's wire format, not just our reading of it.
func TestConformanceWithOfficialNodeClient(t *testing.T) {
	dir, err := filepath.Abs("conformance")
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missingPrerequisite(t, "node is not on PATH", "install Node.js 20 or later")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@hubspot", "api-client")); err != nil {
		missingPrerequisite(t, "conformance/node_modules is missing", "run `npm ci --prefix internal/sandbox/conformance` from the repository root")
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
