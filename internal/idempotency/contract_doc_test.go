package idempotency

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// contractStart and contractEnd bound the request_id contract, the promise this package keeps.
const contractStart, contractEnd = "Per workspace, the same request_id", "after any other answer a retry runs again."

// TestOneRequestIDContract: docs/guarantees.md and the comment of the request_id field of
// every request that has one state the same contract, in the same words, so that the SDK's
// godoc, the OpenAPI description and the docs cannot promise different things.
func TestOneRequestIDContract(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "guarantees.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, ok := requestIDContract(string(doc))
	if !ok {
		t.Fatalf("docs/guarantees.md does not state the request_id contract (%q … %q)", contractStart, contractEnd)
	}

	comments := requestIDComments(t, filepath.Join(root, "proto", "connectflo", "integrations", "v1"))
	var documented []string
	for message, comment := range comments {
		documented = append(documented, message)
		got, ok := requestIDContract(comment)
		if !ok {
			t.Errorf("%s.request_id: its comment does not state the request_id contract (%q … %q)", message, contractStart, contractEnd)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s.request_id states another contract than docs/guarantees.md (-docs +proto):\n%s", message, diff)
		}
	}

	// Every request the service takes with a request_id is one of those read above, so that a
	// new mutation cannot leave the comparison.
	var takers []string
	methods := integrationsv1.File_connectflo_integrations_v1_service_proto.Services().Get(0).Methods()
	for i := range methods.Len() {
		in := methods.Get(i).Input()
		if in.Fields().ByName("request_id") != nil {
			takers = append(takers, string(in.Name()))
		}
	}
	sort.Strings(takers)
	sort.Strings(documented)
	if diff := cmp.Diff(takers, documented); diff != "" {
		t.Errorf("requests with a request_id (-service +read from the protos):\n%s", diff)
	}
}

// requestIDContract is the contract as stated in text: markdown emphasis and line breaks
// removed, from contractStart to contractEnd.
func requestIDContract(text string) (string, bool) {
	text = strings.Join(strings.Fields(strings.ReplaceAll(text, "**", "")), " ")
	i := strings.Index(text, contractStart)
	if i < 0 {
		return "", false
	}
	j := strings.Index(text[i:], contractEnd)
	if j < 0 {
		return "", false
	}
	return text[i : i+j+len(contractEnd)], true
}

var (
	messageLine   = regexp.MustCompile(`^message (\w+) \{$`)
	requestIDLine = regexp.MustCompile(`^string request_id = \d+`)
)

// requestIDComments reads the .proto files of dir and returns, for each top-level message
// whose name ends in "Request" and that has a request_id field, that field's comment with its
// lines joined.
func requestIDComments(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.proto"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no protos in %s: %v", dir, err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var message string
		var comment []string
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			switch {
			case messageLine.MatchString(line):
				message = messageLine.FindStringSubmatch(line)[1]
			case strings.HasPrefix(line, "//"):
				comment = append(comment, strings.TrimPrefix(line, "//"))
				continue
			case requestIDLine.MatchString(line) && strings.HasSuffix(message, "Request"):
				out[message] = strings.Join(comment, " ")
			}
			comment = nil
		}
	}
	return out
}
