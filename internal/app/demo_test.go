package app

import (
	"bytes"
	"strings"
	"testing"
)

// The demo says what it keeps: nothing by default, the database when --db was given.
func TestDemoSaysWhatItKeeps(t *testing.T) {
	for _, tc := range []struct {
		info        demoInfo
		want, wrong string
	}{
		{demoInfo{temporary: true}, "Nothing is kept", "kept at"},
		{demoInfo{db: "data/mine.db"}, "The database is kept at data/mine.db", "Nothing is kept"},
	} {
		var out bytes.Buffer
		printDemo(&out, tc.info)
		if !strings.Contains(out.String(), tc.want) || strings.Contains(out.String(), tc.wrong) {
			t.Errorf("temporary=%v: the demo text lacks %q or says %q:\n%s", tc.info.temporary, tc.want, tc.wrong, out.String())
		}
	}
}
