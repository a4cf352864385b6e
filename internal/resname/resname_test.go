package resname

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseConnection(t *testing.T) {
	cases := []struct {
		name, in string
		want     Connection
		wantErr  bool
	}{
		{"valid", "workspaces/acme/connections/prod-hubspot", Connection{"acme", "prod-hubspot"}, false},
		{"empty", "", Connection{}, true},
		{"workspace only", "workspaces/acme", Connection{}, true},
		{"wrong collection", "workspaces/acme/integrations/x", Connection{}, true},
		{"extra segment", "workspaces/acme/connections/x/y", Connection{}, true},
		{"uppercase id", "workspaces/Acme/connections/x", Connection{}, true},
		{"empty id", "workspaces//connections/x", Connection{}, true},
		{"trailing hyphen", "workspaces/acme-/connections/x", Connection{}, true},
		{"id too long", "workspaces/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/connections/x", Connection{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConnection("name", tc.in)
			if tc.wantErr {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != "name" || fe.Description == "" {
					t.Fatalf("ParseConnection(%q) err = %v, want a FieldError on \"name\"", tc.in, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseConnection(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			if got.String() != tc.in {
				t.Errorf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

func TestPageTokenRoundTripAndTampering(t *testing.T) {
	fp := Fingerprint("ListConnections", "workspaces/acme")
	tok := EncodePageToken(PageToken{After: 42, Fingerprint: fp})
	got, err := DecodePageToken(tok, fp)
	if err != nil || got.After != 42 {
		t.Fatalf("round trip = %v, %v", got, err)
	}
	if _, err := DecodePageToken(tok, Fingerprint("ListConnections", "workspaces/globex")); err == nil {
		t.Error("a token of one workspace was accepted for another")
	}
	for _, bad := range []string{"!!!", "e30", "bm90IGpzb24", EncodePageToken(PageToken{After: -1, Fingerprint: fp})} {
		var fe *FieldError
		if _, err := DecodePageToken(bad, fp); !errors.As(err, &fe) || fe.Field != "page_token" {
			t.Errorf("DecodePageToken(%q) err = %v, want a FieldError on page_token", bad, err)
		}
	}
	if got, err := DecodePageToken("", fp); err != nil || got.After != 0 {
		t.Errorf("empty token = %v, %v; want the first page", got, err)
	}
}

func TestPageSize(t *testing.T) {
	for _, tc := range []struct {
		in      int32
		want    int
		wantErr bool
	}{{0, 50, false}, {1, 1, false}, {1000, 1000, false}, {5000, 1000, false}, {-1, 0, true}} {
		got, err := PageSize(tc.in, 50, 1000)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("PageSize(%d) = %d, %v; want %d (error %v)", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

// FuzzParse checks that no input crashes the parsers and that whatever parses formats back to
// the same name.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"workspaces/acme/connections/x", "workspaces/a", "", "/", "workspaces//connections/", "eyJhIjoxfQ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := ParseConnection("name", s); err == nil && c.String() != s {
			t.Errorf("ParseConnection(%q) formats back as %q", s, c.String())
		}
		if w, err := ParseWorkspace("parent", s); err == nil && w.String() != s {
			t.Errorf("ParseWorkspace(%q) formats back as %q", s, w.String())
		}
		_, _ = DecodePageToken(s, 1)
		if r, err := ParseRecord("name", s); err == nil && r.String() != s {
			t.Errorf("ParseRecord(%q) formats back as %q", s, r.String())
		}
		if e, err := ParseTimelineEvent("name", s); err == nil && e.String() != s {
			t.Errorf("ParseTimelineEvent(%q) formats back as %q", s, e.String())
		}
		if e, err := ParseAuditEvent("name", s); err == nil && e.String() != s {
			t.Errorf("ParseAuditEvent(%q) formats back as %q", s, e.String())
		}
	})
}

func TestParseRecordNames(t *testing.T) {
	r, err := ParseRecord("name", "workspaces/acme/connections/prod/objects/contacts/records/ada@example.com")
	if err != nil || r.ObjectType != "contacts" || r.ID != "ada@example.com" || r.Connection.ID != "prod" ||
		r.String() != "workspaces/acme/connections/prod/objects/contacts/records/ada@example.com" {
		t.Fatalf("ParseRecord = %+v, %v", r, err)
	}
	for _, bad := range []string{"", "workspaces/acme/connections/prod", "workspaces/acme/connections/prod/objects/tickets/records/1",
		"workspaces/acme/connections/prod/objects/contacts/records/", "workspaces/acme/connections/prod/objects/contacts/things/1",
		"workspaces/acme/connections/prod/objects/contacts/records/1/x", "workspaces/ACME/connections/prod/objects/contacts/records/1"} {
		var fe *FieldError
		if _, err := ParseRecord("name", bad); !errors.As(err, &fe) || fe.Field != "name" {
			t.Errorf("ParseRecord(%q) err = %v, want a FieldError", bad, err)
		}
	}
	o, err := ParseObjectCollection("parent", "workspaces/acme/connections/prod/objects/deals")
	if err != nil || o.ObjectType != "deals" || o.String() != "workspaces/acme/connections/prod/objects/deals" {
		t.Errorf("ParseObjectCollection = %+v, %v", o, err)
	}
	if _, err := ParseObjectCollection("parent", "workspaces/acme/connections/prod/objects/deals/x"); err == nil {
		t.Error("a record name was accepted as an object collection")
	}
}

// TestErrorsQuoteWholeCharacters: a long name is quoted shortened, never with a character cut
// in two (a multi-byte character sits across the cut in each case).
func TestErrorsQuoteWholeCharacters(t *testing.T) {
	// Three-byte characters after one ASCII byte: a cut after 80 bytes of it, or of
	// "workspaces/" and it, falls inside a character.
	long := "a" + strings.Repeat("€", 50)
	parsers := map[string]func() error{
		"ParseWorkspace":        func() error { _, err := ParseWorkspace("name", "workspaces/"+long); return err },
		"ParseConnection":       func() error { _, err := ParseConnection("name", long+"/x/y/z"); return err },
		"ParseObjectCollection": func() error { _, err := ParseObjectCollection("parent", long+"/x/y/z/w"); return err },
		"ParseRecord": func() error {
			_, err := ParseRecord("name", "workspaces/a/connections/b/objects/"+long+"/records/1")
			return err
		},
		"CheckObjectID": func() error { return CheckObjectID("contact.id", long) },
	}
	for name, parse := range parsers {
		t.Run(name, func(t *testing.T) {
			var fe *FieldError
			if err := parse(); !errors.As(err, &fe) || strings.Contains(fe.Description, `\x`) || !utf8.ValidString(fe.Description) || !strings.Contains(fe.Description, "…") {
				t.Errorf("%s error = %v; want a FieldError quoting valid UTF-8 shortened with …", name, err)
			}
		})
	}
}
