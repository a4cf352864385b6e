package app

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A renewed file is picked up at the first look after reloadCheckInterval, not before; a
// renewal that does not load keeps the last good value and says so; the next good one loads.
// The clock is stepped by hand, so the test waits for nothing.
func TestReloadingFilesFollowTheFilesAtMostOncePerInterval(t *testing.T) {
	file := filepath.Join(t.TempDir(), "value")
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("v1")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	var reloaded []string
	r, err := newReloadingFiles(&reloadingFiles[string]{
		files: []string{file},
		load: func() (string, error) {
			data, err := os.ReadFile(file) //nolint:gosec // the test's own file
			if strings.HasPrefix(string(data), "broken") {
				return "", errors.New("does not parse")
			}
			return string(data), err
		},
		loaded: func(v string) { reloaded = append(reloaded, v) },
		stale:  "changed but does not load",
		logger: slog.New(slog.NewTextHandler(&logs, nil)),
		now:    func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name    string
		write   string        // new file content, "" for none
		advance time.Duration // clock step before the look
		want    string
		warned  bool // the stale warning is logged at this look
	}{
		{"unchanged", "", reloadCheckInterval, "v1", false},
		{"renewed, looked at within the interval", "v2 renewed", reloadCheckInterval / 2, "v1", false},
		{"renewed, looked at after the interval", "", reloadCheckInterval / 2, "v2 renewed", false},
		{"a renewal that does not load", "broken renewal", reloadCheckInterval, "v2 renewed", true},
		{"fixed", "v3 fixed at last", reloadCheckInterval, "v3 fixed at last", false},
	}
	for _, st := range steps {
		if st.write != "" {
			write(st.write)
		}
		now = now.Add(st.advance)
		logs.Reset()
		if got := r.current(); got != st.want {
			t.Errorf("%s: current() = %q, want %q", st.name, got, st.want)
		}
		if warned := strings.Contains(logs.String(), "changed but does not load"); warned != st.warned {
			t.Errorf("%s: warning logged %v, want %v (%s)", st.name, warned, st.warned, logs.String())
		}
	}
	if d := cmp.Diff([]string{"v2 renewed", "v3 fixed at last"}, reloaded); d != "" {
		t.Errorf("reloads (-want +got):\n%s", d)
	}
}
