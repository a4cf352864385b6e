package client

import (
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/rpcerr"
)

// TestReasonConstantsAreTheEnum: the client's Reason constants, the server's list
// (rpcerr.Reasons) and the proto's ErrorReason enum are the same set of wire reasons, so that
// a caller comparing against a constant can meet every reason the server sends, and no other.
func TestReasonConstantsAreTheEnum(t *testing.T) {
	constants := reasonConstants(t)
	var clientSet []string
	for name, value := range constants {
		clientSet = append(clientSet, value)
		// The name is the value in Go's casing: ReasonHubSpotTokenInvalid for HUBSPOT_TOKEN_INVALID.
		if strings.ToUpper(strings.TrimPrefix(name, "Reason")) != strings.ReplaceAll(value, "_", "") {
			t.Errorf("constant %s = %q: the name does not spell the reason", name, value)
		}
	}
	var enumSet []string
	for i, values := 0, integrationsv1.ErrorReason(0).Descriptor().Values(); i < values.Len(); i++ {
		if n := string(values.Get(i).Name()); n != "ERROR_REASON_UNSPECIFIED" {
			enumSet = append(enumSet, strings.TrimPrefix(n, "ERROR_REASON_"))
		}
	}
	serverSet := append([]string(nil), rpcerr.Reasons...)
	for _, s := range [][]string{clientSet, enumSet, serverSet} {
		sort.Strings(s)
	}
	if diff := cmp.Diff(enumSet, clientSet); diff != "" {
		t.Errorf("client constants differ from the ErrorReason enum (-enum +client):\n%s", diff)
	}
	if diff := cmp.Diff(enumSet, serverSet); diff != "" {
		t.Errorf("rpcerr.Reasons differs from the ErrorReason enum (-enum +rpcerr):\n%s", diff)
	}
}

// reasonConstants reads the Reason constants of reasons.go, name → value.
func reasonConstants(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "reasons.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("constant %s is not a string literal", name.Name)
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				if _, dup := out[name.Name]; dup {
					t.Errorf("constant %s declared twice", name.Name)
				}
				out[name.Name] = v
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("reasons.go declares no Reason constants")
	}
	return out
}
