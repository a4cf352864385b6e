package sandbox_test

import (
	"go/build"
	"strings"
	"testing"
)

// The emulator shares no code with our HubSpot client: a fake that reused the client's types
// or helpers would agree with the client's mistakes. So its non-test files import the
// standard library only (nothing of this module, hence nothing of internal/hubspot, directly
// or through another package), and the client imports the emulator only from its tests.
func TestSandboxSharesNothingWithTheClient(t *testing.T) {
	const sandboxPath = "github.com/connectflo/integrations/internal/sandbox"
	tests := []struct {
		name   string
		dir    string
		forbid func(importPath string) bool
		why    string
	}{
		{
			name:   "the sandbox imports only the standard library",
			dir:    ".",
			forbid: func(p string) bool { return !isStandard(p) },
			why:    "the emulator must not share code with the client; write its own",
		},
		{
			name:   "the client imports the sandbox only from tests",
			dir:    "../hubspot",
			forbid: func(p string) bool { return p == sandboxPath || strings.HasPrefix(p, sandboxPath+"/") },
			why:    "only the client's tests may run against the emulator",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkg, err := build.ImportDir(tt.dir, 0)
			if err != nil {
				t.Fatalf("reading the package in %s: %v", tt.dir, err)
			}
			if len(pkg.GoFiles) == 0 {
				t.Fatalf("no Go files in %s: the test reads the wrong folder", tt.dir)
			}
			for _, p := range pkg.Imports {
				if tt.forbid(p) {
					t.Errorf("package %s (non-test files) imports %q: %s", pkg.Name, p, tt.why)
				}
			}
		})
	}
}

// isStandard reports whether an import path names a standard-library package: their first
// path element has no dot, unlike a module path such as github.com/...
func isStandard(importPath string) bool {
	first, _, _ := strings.Cut(importPath, "/")
	return !strings.Contains(first, ".")
}
