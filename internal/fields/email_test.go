package fields

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", MaxEmailLength-len("@example.com")) + "@example.com"
	cases := []struct {
		name, in, want string
		problem        string // part of the ValueError's message; "" when accepted
	}{
		{"plain", "ada@example.com", "ada@example.com", ""},
		{"trimmed and lowercased", "  Ada@Example.COM ", "ada@example.com", ""},
		{"at the length limit", long, long, ""},
		{"over the length limit", "a" + long, "", "is not an email address"},
		{"empty", "", "", "is required"},
		{"spaces only", "   ", "", "is required"},
		{"no at sign", "ada.example.com", "", "is not an email address"},
		{"display name", "Ada <ada@example.com>", "", "is not an email address"},
		{"domain without a dot", "ada@localhost", "", "is not an email address"},
		{"two addresses", "ada@example.com, bob@example.com", "", "is not an email address"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := NormalizeEmail(tc.in)
			if tc.problem == "" {
				if err != nil || got != tc.want {
					t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
				}
				return
			}
			var ve *ValueError
			if !errors.As(err, &ve) || ve.Field != "email" || !strings.Contains(ve.Message, tc.problem) {
				t.Errorf("NormalizeEmail(%q) = %q, %v; want a ValueError on email saying %q", tc.in, got, err, tc.problem)
			}
		})
	}
}

// FuzzNormalizeEmail checks that an accepted email is its own normal form.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"ada@example.com", " A@B.co ", "x", "<a@b.c>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if email, err := NormalizeEmail(raw); err == nil {
			if again, err := NormalizeEmail(email); err != nil || again != email {
				t.Errorf("NormalizeEmail(%q) = %q, which normalises to %q, %v", raw, email, again, err)
			}
		}
	})
}
