package sandbox_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Without Node, the conformance test is skipped with a message that says what to install,
// unless CONFORMANCE_REQUIRED=1 (CI) turns the skip into a failure. The test binary runs the
// conformance test again with an empty PATH, so that node cannot be found.
func TestConformanceWithoutNodeSkipsUnlessRequired(t *testing.T) {
	if os.Getenv("CONFORMANCE_SKIP_CHILD") == "1" {
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
		{"a developer without Node: skipped", "", false, "--- SKIP: TestConformanceWithOfficialNodeClient"},
		{"CI without Node: failed", "1", true, "--- FAIL: TestConformanceWithOfficialNodeClient"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, "-test.run=^TestConformanceWithOfficialNodeClient$", "-test.v", "-test.count=1")
			cmd.Env = []string{"PATH=", "CONFORMANCE_SKIP_CHILD=1", conformanceRequired + "=" + tc.required}
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tc.wantFail {
				t.Errorf("the run failed: %v, want %v\n%s", failed, tc.wantFail, out)
			}
			for _, want := range []string{tc.want, "node is not on PATH", "install Node.js 20 or later", conformanceRequired + "=1"} {
				if !strings.Contains(string(out), want) {
					t.Errorf("the output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}
