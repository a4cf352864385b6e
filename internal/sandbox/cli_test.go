package sandbox_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/sandbox"
)

// startCLI runs RunCLI with args on a loopback port until the test ends, and returns its
// base URL and the banner's token lines.
func startCLI(t *testing.T, args ...string) (base string, tokenLines []string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- sandbox.RunCLI(ctx, append([]string{"--listen", "127.0.0.1:0", "--empty"}, args...), pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "token:   "); ok {
			tokenLines = append(tokenLines, v)
		}
		if v, ok := strings.CutPrefix(line, "export HUBSPOT_BASE_URL="); ok {
			base = v
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("RunCLI: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("RunCLI did not stop after cancel")
		}
	})
	if base == "" {
		t.Fatal("no base URL printed")
	}
	return base, tokenLines
}

// TestRunCLIIssuesEveryTokenKind: --token-kind and --introspect set the kind and the
// introspection of the --token flags after them. Each token identifies the account, and
// HubSpot's token introspection answers for it exactly when it should.
func TestRunCLIIssuesEveryTokenKind(t *testing.T) {
	base, lines := startCLI(t,
		"--token", "pat-na1-private",
		"--token-kind", "service-key", "--token", "pat-na1-key-introspected",
		"--introspect=false", "--token", "pat-na1-key-probed",
		"--token-kind", "static", "--token", "CNna1-static-probed=crm.objects.contacts.read",
		"--introspect", "--token", "CNna1-static-introspected")
	wantLines := []string{
		"pat-na1-private  (private-app, introspected; app 3000001; all scopes)",
		"pat-na1-key-introspected  (service-key, introspected; app 3000002; all scopes)",
		"pat-na1-key-probed  (service-key, not introspected; app 3000003; all scopes)",
		"CNna1-static-probed  (static, not introspected; app 3000004; crm.objects.contacts.read)",
		"CNna1-static-introspected  (static, introspected; app 3000005; all scopes)",
	}
	if diff := cmp.Diff(wantLines, lines); diff != "" {
		t.Errorf("the banner's tokens (-want +got):\n%s", diff)
	}
	status := func(method, path, token, body string) int {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	type answers struct{ AccountInfo, Introspection int }
	want := map[string]answers{
		"pat-na1-private":           {200, 200},
		"pat-na1-key-introspected":  {200, 200},
		"pat-na1-key-probed":        {200, 401},
		"CNna1-static-probed":       {200, 401},
		"CNna1-static-introspected": {200, 200},
	}
	got := map[string]answers{}
	for tok := range want {
		got[tok] = answers{
			AccountInfo:   status("GET", "/account-info/v3/details", tok, ""),
			Introspection: status("POST", "/oauth/v2/private-apps/get/access-token-info", "", `{"tokenKey":"`+tok+`"}`),
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("account-info and introspection per token (-want +got):\n%s", diff)
	}
}

// TestRunCLITokenKindFlags: without --token the generated token is of the kind given, in its
// shape; kinds and introspection HubSpot does not have are refused naming the flag.
func TestRunCLITokenKindFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    string // in the output
		wantErr string // in the error
	}{
		{name: "generated private-app token", args: nil,
			want: "(private-app, introspected; app 3000001; all scopes)\nadmin:"},
		{name: "generated static token", args: []string{"--token-kind", "static", "--introspect=false"},
			want: "(static, not introspected; app 3000001; all scopes)"},
		{name: "generated static token's shape", args: []string{"--token-kind", "static"},
			want: "export HUBSPOT_TOKEN=CNna1-"},
		{name: "generated Service Key", args: []string{"--token-kind", "service-key", "--introspect=false"},
			want: "(service-key, not introspected; app 3000001; all scopes)"},
		{name: "an unknown kind", args: []string{"--token-kind", "oauth"},
			wantErr: `"oauth" is not a token kind`},
		{name: "introspection off for a private app's token", args: []string{"--introspect=false", "--token", "pat-na1-x"},
			wantErr: "HubSpot always introspects a private app's token"},
		{name: "introspection off for the generated private app's token", args: []string{"--introspect=false"},
			wantErr: "HubSpot always introspects a private app's token"},
		{name: "introspection neither true nor false", args: []string{"--introspect=maybe"},
			wantErr: "--introspect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // print the banner, then stop
			var out, stderr bytes.Buffer
			err := sandbox.RunCLI(ctx, append([]string{"--listen", "127.0.0.1:0", "--empty"}, tt.args...), &out, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error()+stderr.String(), tt.wantErr) {
					t.Fatalf("RunCLI %v = %v (stderr %q); want an error saying %q", tt.args, err, stderr.String(), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("output does not say %q:\n%s", tt.want, out.String())
			}
		})
	}
}
