package clienttest_test

import (
	"fmt"
	"os"
	"testing"
)

// exampleT is the testing.TB that Example passes to NewServer, since an example function gets
// no *testing.T: it runs cleanups at end, turns a fatal error into a panic (which fails the
// example) and keeps logs on stderr, out of the checked output.
type exampleT struct {
	testing.TB // the methods NewServer does not call: calling one panics
	cleanups   []func()
	failed     bool
}

func newExampleT() *exampleT { return &exampleT{} }

func (t *exampleT) Helper()                 {}
func (t *exampleT) Name() string            { return "Example" }
func (t *exampleT) Failed() bool            { return t.failed }
func (t *exampleT) Cleanup(f func())        { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Logf(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }
func (t *exampleT) Errorf(f string, a ...any) {
	t.failed = true
	t.Logf(f, a...)
}
func (t *exampleT) Fatalf(f string, a ...any) {
	t.failed = true
	panic(fmt.Sprintf(f, a...))
}

func (t *exampleT) TempDir() string {
	dir, err := os.MkdirTemp("", "clienttest-example-")
	if err != nil {
		t.Fatalf("temporary folder: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// end runs the cleanups, last registered first, as testing does; an error logged by one fails
// the example.
func (t *exampleT) end() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
	if t.failed {
		panic("the example logged an error")
	}
}
