package resname

import (
	"regexp"
	"slices"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// TestPatternsMatchTheHTTPRules checks the patterns against the contract: every resource path
// of a google.api.http rule in service.proto ({name=workspaces/*/connections/*}) is one of
// Patterns with its variables as "*".
func TestPatternsMatchTheHTTPRules(t *testing.T) {
	t.Parallel()
	variable := regexp.MustCompile(`\{[a-z_]+\}`)
	var known []string
	for _, p := range Patterns {
		known = append(known, variable.ReplaceAllString(p, "*"))
	}
	template := regexp.MustCompile(`\{[a-z_.]+=([^}]+)\}`)
	methods := integrationsv1.File_connectflo_integrations_v1_service_proto.Services().Get(0).Methods()
	checked := 0
	for i := range methods.Len() {
		m := methods.Get(i)
		rule, _ := proto.GetExtension(m.Options(), annotations.E_Http).(*annotations.HttpRule)
		for _, path := range []string{rule.GetGet(), rule.GetPost(), rule.GetPatch(), rule.GetDelete(), rule.GetPut()} {
			for _, match := range template.FindAllStringSubmatch(path, -1) {
				checked++
				if !slices.Contains(known, match[1]) {
					t.Errorf("%s: the HTTP rule %q names %s, which is none of resname.Patterns", m.Name(), path, match[1])
				}
			}
		}
	}
	if checked < methods.Len() {
		t.Fatalf("only %d resource paths in the HTTP rules of %d methods: the rules were not read", checked, methods.Len())
	}
}
