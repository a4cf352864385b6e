package resname

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseTimelineEvent(t *testing.T) {
	t.Parallel()
	conn := Connection{Workspace: "acme", ID: "prod"}
	cases := []struct {
		name, in string
		want     TimelineEvent
		wantErr  bool
	}{
		{"valid", "workspaces/acme/connections/prod/timelineEvents/abc123", TimelineEvent{conn, "abc123"}, false},
		{"id at the limit", "workspaces/acme/connections/prod/timelineEvents/" + strings.Repeat("a", MaxTimelineEventIDLength),
			TimelineEvent{conn, strings.Repeat("a", MaxTimelineEventIDLength)}, false},
		{"id over the limit", "workspaces/acme/connections/prod/timelineEvents/" + strings.Repeat("a", MaxTimelineEventIDLength+1), TimelineEvent{}, true},
		{"empty", "", TimelineEvent{}, true},
		{"connection only", "workspaces/acme/connections/prod", TimelineEvent{}, true},
		{"empty id", "workspaces/acme/connections/prod/timelineEvents/", TimelineEvent{}, true},
		{"wrong collection", "workspaces/acme/connections/prod/events/abc", TimelineEvent{}, true},
		{"extra segment", "workspaces/acme/connections/prod/timelineEvents/abc/x", TimelineEvent{}, true},
		{"bad connection id", "workspaces/acme/connections/Prod/timelineEvents/abc", TimelineEvent{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTimelineEvent("name", tc.in)
			if tc.wantErr {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != "name" || !strings.Contains(fe.Description, "want "+TimelineEventPattern) {
					t.Fatalf("ParseTimelineEvent(%q) err = %v; want a FieldError on name quoting the pattern", tc.in, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" || got.String() != tc.in {
				t.Errorf("ParseTimelineEvent(%q) (-want +got):\n%s\nformats back as %q", tc.in, diff, got.String())
			}
		})
	}
}

func TestParseAuditEvent(t *testing.T) {
	t.Parallel()
	got, err := ParseAuditEvent("name", "workspaces/acme/auditEvents/eabcdefghijklmnopqrst")
	if want := (AuditEvent{Workspace{"acme"}, "eabcdefghijklmnopqrst"}); err != nil || got != want || got.String() != "workspaces/acme/auditEvents/eabcdefghijklmnopqrst" {
		t.Fatalf("ParseAuditEvent = %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []string{"", "workspaces/acme", "workspaces/acme/auditEvents/", "workspaces/acme/auditEvents/E1", "workspaces/acme/connections/x"} {
		var fe *FieldError
		if _, err := ParseAuditEvent("name", bad); !errors.As(err, &fe) || fe.Field != "name" {
			t.Errorf("ParseAuditEvent(%q) err = %v; want a FieldError on name", bad, err)
		}
	}
}
