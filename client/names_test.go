package client

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/resname"
)

// nameCase is one resource type: its pattern, example ids, and how the client and the server
// (internal/resname) each build and parse its names, as ids in the pattern's order.
type nameCase struct {
	pattern     string
	ids         []string
	clientBuild func(ids []string) string
	clientParse func(name string) ([]string, string, error) // ids and the parsed value's String()
	serverBuild func(ids []string) string
	serverParse func(name string) ([]string, error)
}

var nameCases = map[string]nameCase{
	"Workspace": {WorkspacePattern, []string{"acme"},
		func(ids []string) string { return WorkspaceName(ids[0]) },
		func(n string) ([]string, string, error) {
			w, err := ParseWorkspaceName(n)
			return []string{w}, WorkspaceName(w), err
		},
		func(ids []string) string { return resname.Workspace{ID: ids[0]}.String() },
		func(n string) ([]string, error) {
			w, err := resname.ParseWorkspace("name", n)
			return []string{w.ID}, err
		}},
	"Connection": {ConnectionPattern, []string{"acme", "prod-hubspot"},
		func(ids []string) string { return ConnectionName(ids[0], ids[1]) },
		func(n string) ([]string, string, error) {
			r, err := ParseConnectionName(n)
			return []string{r.Workspace, r.Connection}, r.String(), err
		},
		func(ids []string) string { return resname.Connection{Workspace: ids[0], ID: ids[1]}.String() },
		func(n string) ([]string, error) {
			c, err := resname.ParseConnection("name", n)
			return []string{c.Workspace, c.ID}, err
		}},
	"ObjectCollection": {ObjectCollectionPattern, []string{"acme", "prod", "deals"},
		func(ids []string) string { return ObjectTypeName(ConnectionName(ids[0], ids[1]), ids[2]) },
		func(n string) ([]string, string, error) {
			r, err := ParseObjectCollectionName(n)
			return []string{r.Workspace, r.Connection, r.ObjectType}, r.String(), err
		},
		func(ids []string) string {
			return resname.ObjectCollection{Connection: resname.Connection{Workspace: ids[0], ID: ids[1]}, ObjectType: ids[2]}.String()
		},
		func(n string) ([]string, error) {
			o, err := resname.ParseObjectCollection("parent", n)
			return []string{o.Workspace, o.Connection.ID, o.ObjectType}, err
		}},
	"Record": {RecordPattern, []string{"acme", "prod", "contacts", "ada@example.com"},
		func(ids []string) string { return RecordName(ConnectionName(ids[0], ids[1]), ids[2], ids[3]) },
		func(n string) ([]string, string, error) {
			r, err := ParseRecordName(n)
			return []string{r.Workspace, r.Connection, r.ObjectType, r.Record}, r.String(), err
		},
		func(ids []string) string {
			return resname.Record{ObjectCollection: resname.ObjectCollection{Connection: resname.Connection{Workspace: ids[0], ID: ids[1]}, ObjectType: ids[2]}, ID: ids[3]}.String()
		},
		func(n string) ([]string, error) {
			r, err := resname.ParseRecord("name", n)
			return []string{r.Workspace, r.Connection.ID, r.ObjectType, r.ID}, err
		}},
	"TimelineEvent": {TimelineEventPattern, []string{"acme", "prod", "0123456789abcdefghijklmn"},
		func(ids []string) string { return TimelineEventName(ConnectionName(ids[0], ids[1]), ids[2]) },
		func(n string) ([]string, string, error) {
			r, err := ParseTimelineEventName(n)
			return []string{r.Workspace, r.Connection, r.TimelineEvent}, r.String(), err
		},
		func(ids []string) string {
			return resname.TimelineEvent{Connection: resname.Connection{Workspace: ids[0], ID: ids[1]}, ID: ids[2]}.String()
		},
		func(n string) ([]string, error) {
			e, err := resname.ParseTimelineEvent("name", n)
			return []string{e.Workspace, e.Connection.ID, e.ID}, err
		}},
	"Change": {ChangePattern, []string{"acme", "prod", "0123456789abcdef01234567"},
		func(ids []string) string { return ChangeName(ConnectionName(ids[0], ids[1]), ids[2]) },
		func(n string) ([]string, string, error) {
			r, err := ParseChangeName(n)
			return []string{r.Workspace, r.Connection, r.Change}, r.String(), err
		},
		func(ids []string) string {
			return resname.Change{Connection: resname.Connection{Workspace: ids[0], ID: ids[1]}, ID: ids[2]}.String()
		},
		func(n string) ([]string, error) {
			c, err := resname.ParseChange("name", n)
			return []string{c.Workspace, c.Connection.ID, c.ID}, err
		}},
	"ChangeSettings": {ChangeSettingsPattern, []string{"acme", "prod"},
		func(ids []string) string { return ChangeSettingsName(ConnectionName(ids[0], ids[1])) },
		func(n string) ([]string, string, error) {
			r, err := ParseChangeSettingsName(n)
			return []string{r.Workspace, r.Connection}, ChangeSettingsName(r.String()), err
		},
		func(ids []string) string {
			return resname.ChangeSettings{Connection: resname.Connection{Workspace: ids[0], ID: ids[1]}}.String()
		},
		func(n string) ([]string, error) {
			c, err := resname.ParseChangeSettings("name", n)
			return []string{c.Workspace, c.ID}, err
		}},
	"Usage": {UsagePattern, []string{"acme", "prod"},
		func(ids []string) string { return UsageName(ConnectionName(ids[0], ids[1])) },
		func(n string) ([]string, string, error) {
			r, err := ParseUsageName(n)
			return []string{r.Workspace, r.Connection}, UsageName(r.String()), err
		},
		func(ids []string) string {
			return resname.Usage{Connection: resname.Connection{Workspace: ids[0], ID: ids[1]}}.String()
		},
		func(n string) ([]string, error) {
			u, err := resname.ParseUsage("name", n)
			return []string{u.Workspace, u.ID}, err
		}},
	"AuditEvent": {AuditEventPattern, []string{"acme", "eabcdefghijklmnopqrst"},
		func(ids []string) string { return AuditEventName(ids[0], ids[1]) },
		func(n string) ([]string, string, error) {
			r, err := ParseAuditEventName(n)
			return []string{r.Workspace, r.AuditEvent}, r.String(), err
		},
		func(ids []string) string {
			return resname.AuditEvent{Workspace: resname.Workspace{ID: ids[0]}, ID: ids[1]}.String()
		},
		func(n string) ([]string, error) {
			e, err := resname.ParseAuditEvent("name", n)
			return []string{e.Workspace.ID, e.ID}, err
		}},
}

// TestNamesAgreeWithTheServer round-trips every resource pattern of the server through the
// client and back: the same patterns, names the client builds parse on the server to the same
// ids, and names the server builds parse in the client.
func TestNamesAgreeWithTheServer(t *testing.T) {
	t.Parallel()
	if diff := cmp.Diff(slices.Sorted(maps.Keys(resname.Patterns)), slices.Sorted(maps.Keys(nameCases))); diff != "" {
		t.Fatalf("resource types of the server (-) and of the client (+) differ:\n%s", diff)
	}
	for resource, tc := range nameCases {
		t.Run(resource, func(t *testing.T) {
			t.Parallel()
			if tc.pattern != resname.Patterns[resource] {
				t.Errorf("client pattern %q; the server's is %q", tc.pattern, resname.Patterns[resource])
			}
			want := tc.pattern
			for _, id := range tc.ids {
				want = want[:strings.Index(want, "{")] + id + want[strings.Index(want, "}")+1:]
			}
			built := tc.clientBuild(tc.ids)
			if built != want || tc.serverBuild(tc.ids) != want {
				t.Errorf("client builds %q, server %q; want %q", built, tc.serverBuild(tc.ids), want)
			}
			serverIDs, err := tc.serverParse(built)
			if err != nil {
				t.Fatalf("the server refuses the client's %q: %v", built, err)
			}
			clientIDs, formatted, err := tc.clientParse(tc.serverBuild(tc.ids))
			if err != nil {
				t.Fatalf("the client refuses the server's %q: %v", want, err)
			}
			if diff := cmp.Diff(tc.ids, serverIDs); diff != "" {
				t.Errorf("server parse (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.ids, clientIDs); diff != "" || formatted != want {
				t.Errorf("client parse (-want +got):\n%s\nformats back as %q", diff, formatted)
			}
		})
	}
}

// TestParseNamesRefusesOtherShapes: a name of another resource, an empty id or a wrong
// collection is refused by both the client and the server.
func TestParseNamesRefusesOtherShapes(t *testing.T) {
	t.Parallel()
	bad := []string{"", "workspaces", "workspaces/", "workspaces/acme/connections/", "workspaces/acme/connection/prod",
		"workspaces/acme/connections/prod/objects/contacts/records/", "workspaces/acme/connections/prod/timelineEvents//x",
		"workspaces/acme/auditEvents/e1/x", "spaces/acme"}
	for resource, tc := range nameCases {
		for _, name := range bad {
			if _, _, err := tc.clientParse(name); err == nil {
				t.Errorf("client %s parse accepted %q", resource, name)
			}
			if _, err := tc.serverParse(name); err == nil {
				t.Errorf("server %s parse accepted %q", resource, name)
			}
		}
		// A name of every other resource type is not one of this type.
		for other, oc := range nameCases {
			if other == resource {
				continue
			}
			if _, _, err := tc.clientParse(oc.clientBuild(oc.ids)); err == nil {
				t.Errorf("client %s parse accepted the %s name %q", resource, other, oc.clientBuild(oc.ids))
			}
		}
	}
}

// FuzzParseNames checks that whatever a client parser accepts formats back to the same name.
func FuzzParseNames(f *testing.F) {
	for _, tc := range nameCases {
		f.Add(tc.clientBuild(tc.ids))
	}
	f.Fuzz(func(t *testing.T, name string) {
		for resource, tc := range nameCases {
			if _, formatted, err := tc.clientParse(name); err == nil && formatted != name {
				t.Errorf("%s: %q formats back as %q", resource, name, formatted)
			}
		}
	})
}
