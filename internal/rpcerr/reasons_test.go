package rpcerr

import (
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// TestEveryReasonHasOneVariable: reasons.go names each ErrorReason value (but UNSPECIFIED)
// exactly once, so that a reason added to the proto is also at hand for the server's code.
func TestEveryReasonHasOneVariable(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "reasons.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var named []string
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && strings.HasPrefix(sel.Sel.Name, "ErrorReason_ERROR_REASON_") &&
			sel.Sel.Name != "ErrorReason_ERROR_REASON_UNSPECIFIED" {
			named = append(named, strings.TrimPrefix(sel.Sel.Name, "ErrorReason_ERROR_REASON_"))
		}
		return true
	})
	sort.Strings(named)
	want := append([]string(nil), Reasons...)
	sort.Strings(want)
	if diff := cmp.Diff(want, named); diff != "" {
		t.Errorf("reasons.go's variables differ from the ErrorReason enum (-enum +reasons.go):\n%s", diff)
	}
}

// TestIsReason: the wire names of the enum are reasons; the enum's own names, UNSPECIFIED and
// strays are not.
func TestIsReason(t *testing.T) {
	for reason, want := range map[string]bool{
		"TIMELINE_QUEUE_FULL":              true,
		"INVALID_ARGUMENT":                 true,
		"CONDITION_SYNTAX":                 true,
		"UNSPECIFIED":                      false,
		"ERROR_REASON_TIMELINE_QUEUE_FULL": false,
		"timeline_queue_full":              false,
		"":                                 false,
		"CONDITION_":                       false,
	} {
		if got := IsReason(reason); got != want {
			t.Errorf("IsReason(%q) = %v, want %v", reason, got, want)
		}
	}
	if got := Name(integrationsv1.ErrorReason_ERROR_REASON_TIMELINE_QUEUE_FULL); got != "TIMELINE_QUEUE_FULL" {
		t.Errorf("Name(ERROR_REASON_TIMELINE_QUEUE_FULL) = %q", got)
	}
}
