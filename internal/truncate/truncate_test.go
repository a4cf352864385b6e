package truncate

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		s    string
		n    int
		want string
	}{
		{"short", "short", 10, "short"},
		{"exactly the limit", "exactly10!", 10, "exactly10!"},
		{"ASCII", "abcdefghijk", 10, "abcdefg…"},
		{"two-byte characters at the cut", "ééééé", 6, "é…"}, // "é" is 2 bytes, "…" 3: one "é" fits
		{"three-byte character straddling the cut", "ab€€", 7, "ab…"},
		{"four-byte emoji straddling the cut", "a😀😀", 7, "a…"},
		{"combining text fits", "日本語", 9, "日本語"},
		{"limit below the ellipsis", "abcdef", 1, "…"},
		{"empty", "", 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Text(tc.s, tc.n)
			if got != tc.want {
				t.Errorf("Text(%q, %d) = %q; want %q", tc.s, tc.n, got, tc.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Text(%q, %d) = %q is not valid UTF-8", tc.s, tc.n, got)
			}
		})
	}
}

// FuzzText checks the promises on any input: valid UTF-8 stays valid, the result fits (when
// the limit leaves room for the ellipsis), and it is a prefix of s plus the ellipsis.
func FuzzText(f *testing.F) {
	f.Add("ééééé", 6)
	f.Add("a😀😀", 8)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 1<<16 {
			return
		}
		got := Text(s, n)
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Text(%q, %d) = %q: a character was cut", s, n, got)
		}
		if n >= len(Ellipsis) && len(got) > n {
			t.Fatalf("Text(%q, %d) = %q is %d bytes", s, n, got, len(got))
		}
		if got != s && !strings.HasPrefix(s, strings.TrimSuffix(got, Ellipsis)) {
			t.Fatalf("Text(%q, %d) = %q is not a prefix of s", s, n, got)
		}
	})
}
