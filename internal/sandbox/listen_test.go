package sandbox

import (
	"context"
	"net"
	"strings"
	"testing"
)

// TestListenKeepsTheAdminAPIOnLoopback: the unauthenticated admin API is never reachable
// from other hosts unless the caller asked for it.
func TestListenKeepsTheAdminAPIOnLoopback(t *testing.T) {
	t.Parallel()
	cases := []struct {
		addr        string
		allowRemote bool
		wantErr     bool
	}{
		{"127.0.0.1:0", false, false},
		{"localhost:0", false, false},
		{"[::1]:0", false, false},
		{"0.0.0.0:0", false, true},
		{":0", false, true},
		{"0.0.0.0:0", true, false},
	}
	for _, tc := range cases {
		ln, err := Listen(tc.addr, tc.allowRemote)
		if tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), "/_sandbox admin API") {
				t.Errorf("Listen(%q, %v) = %v; want a refusal naming the admin API", tc.addr, tc.allowRemote, err)
			}
			if ln != nil {
				ln.Close()
			}
			continue
		}
		if err != nil {
			if strings.HasPrefix(tc.addr, "[::1]") {
				continue // no IPv6 loopback on this machine
			}
			t.Errorf("Listen(%q, %v): %v", tc.addr, tc.allowRemote, err)
			continue
		}
		if tcp := ln.Addr().(*net.TCPAddr); !tc.allowRemote && !tcp.IP.IsLoopback() {
			t.Errorf("Listen(%q) bound %s", tc.addr, tcp)
		}
		ln.Close()
	}
}

// TestStandaloneSandboxRefusesRemoteAdminUnlessAllowed: "server sandbox --listen 0.0.0.0:…"
// fails at start and names the flag that allows it.
func TestStandaloneSandboxRefusesRemoteAdminUnlessAllowed(t *testing.T) {
	t.Parallel()
	var stdout, stderr strings.Builder
	err := RunCLI(context.Background(), []string{"--listen", "0.0.0.0:0", "--empty"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "--allow-remote-admin") {
		t.Fatalf("RunCLI --listen 0.0.0.0:0 = %v; want a refusal naming --allow-remote-admin", err)
	}
	if strings.Contains(stdout.String(), "token:") {
		t.Errorf("tokens were printed although the sandbox did not start:\n%s", stdout.String())
	}
}
