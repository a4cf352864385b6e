package hubspot

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

// TestCallPathsPerAPIVersion: every call goes to its path in the client's API family, with
// the same method, and its template (what logs and metrics see) holds no id.
func TestCallPathsPerAPIVersion(t *testing.T) {
	t.Parallel()
	upsert := []BatchUpsertInput{{ID: "a@b.com", IDProperty: "email", Properties: map[string]string{"firstname": "A"}}}
	tests := []struct {
		name     string
		call     func(context.Context, *Client) error
		method   string
		v3       string // path and template in the legacy family
		v202603  string // in the 2026-03 family
		template string // the 2026-03 template
	}{
		{"introspect token", func(ctx context.Context, c *Client) error { _, err := c.IntrospectToken(ctx); return err },
			"POST", "/oauth/v2/private-apps/get/access-token-info", "/oauth/v2/private-apps/get/access-token-info",
			"/oauth/v2/private-apps/get/access-token-info"},
		{"account details", func(ctx context.Context, c *Client) error { _, err := c.AccountDetails(ctx); return err },
			"GET", "/account-info/v3/details", "/account-info/2026-03/details", "/account-info/2026-03/details"},
		{"list properties", func(ctx context.Context, c *Client) error {
			_, err := c.ListProperties(ctx, "deals", ListPropertiesOptions{})
			return err
		}, "GET", "/crm/v3/properties/deals", "/crm/properties/2026-03/deals", "/crm/properties/2026-03/{objectType}"},
		{"get property", func(ctx context.Context, c *Client) error {
			_, err := c.GetProperty(ctx, "contacts", "email")
			return err
		},
			"GET", "/crm/v3/properties/contacts/email", "/crm/properties/2026-03/contacts/email", "/crm/properties/2026-03/{objectType}/{propertyName}"},
		{"list property groups", func(ctx context.Context, c *Client) error {
			_, err := c.ListPropertyGroups(ctx, "deals")
			return err
		}, "GET", "/crm/v3/properties/deals/groups", "/crm/properties/2026-03/deals/groups", "/crm/properties/2026-03/{objectType}/groups"},
		{"list pipelines", func(ctx context.Context, c *Client) error {
			_, err := c.ListPipelines(ctx, "deals")
			return err
		}, "GET", "/crm/v3/pipelines/deals", "/crm/pipelines/2026-03/deals", "/crm/pipelines/2026-03/{objectType}"},
		{"list owners", func(ctx context.Context, c *Client) error {
			_, err := c.ListOwners(ctx, ListOwnersOptions{})
			return err
		}, "GET", "/crm/v3/owners/", "/crm/owners/2026-03/", "/crm/owners/2026-03/"},
		{"get object", func(ctx context.Context, c *Client) error {
			_, err := c.GetObject(ctx, "contacts", "jon@x.com", GetObjectOptions{IDProperty: "email"})
			return err
		}, "GET", "/crm/v3/objects/contacts/jon@x.com", "/crm/objects/2026-03/contacts/jon@x.com", "/crm/objects/2026-03/{objectType}/{objectId}"},
		{"list archived objects", func(ctx context.Context, c *Client) error {
			_, err := c.ListObjects(ctx, "deals", ListObjectsOptions{Archived: true, Limit: MaxListLimit})
			return err
		}, "GET", "/crm/v3/objects/deals", "/crm/objects/2026-03/deals", "/crm/objects/2026-03/{objectType}"},
		{"create object", func(ctx context.Context, c *Client) error {
			_, err := c.CreateObject(ctx, "companies", CreateObjectInput{})
			return err
		}, "POST", "/crm/v3/objects/companies", "/crm/objects/2026-03/companies", "/crm/objects/2026-03/{objectType}"},
		{"create engagement", func(ctx context.Context, c *Client) error {
			_, err := c.CreateEngagement(ctx, EngagementInput{Type: EngagementNote, ContactIDs: []string{"1"}, Properties: map[string]string{"hs_timestamp": "1"}})
			return err
		}, "POST", "/crm/v3/objects/notes", "/crm/objects/2026-03/notes", "/crm/objects/2026-03/{objectType}"},
		{"update object", func(ctx context.Context, c *Client) error {
			_, err := c.UpdateObject(ctx, "deals", "7", map[string]string{"amount": "1"}, UpdateObjectOptions{})
			return err
		}, "PATCH", "/crm/v3/objects/deals/7", "/crm/objects/2026-03/deals/7", "/crm/objects/2026-03/{objectType}/{objectId}"},
		{"archive object", func(ctx context.Context, c *Client) error { return c.ArchiveObject(ctx, "deals", "7") },
			"DELETE", "/crm/v3/objects/deals/7", "/crm/objects/2026-03/deals/7", "/crm/objects/2026-03/{objectType}/{objectId}"},
		{"batch read", func(ctx context.Context, c *Client) error {
			_, err := c.BatchRead(ctx, "contacts", BatchReadRequest{IDs: []string{"1"}})
			return err
		}, "POST", "/crm/v3/objects/contacts/batch/read", "/crm/objects/2026-03/contacts/batch/read", "/crm/objects/2026-03/{objectType}/batch/read"},
		{"batch create", func(ctx context.Context, c *Client) error {
			_, err := c.BatchCreate(ctx, "contacts", []BatchCreateInput{{}})
			return err
		}, "POST", "/crm/v3/objects/contacts/batch/create", "/crm/objects/2026-03/contacts/batch/create", "/crm/objects/2026-03/{objectType}/batch/create"},
		{"batch update", func(ctx context.Context, c *Client) error {
			_, err := c.BatchUpdate(ctx, "contacts", []BatchUpdateInput{{ID: "1"}})
			return err
		}, "POST", "/crm/v3/objects/contacts/batch/update", "/crm/objects/2026-03/contacts/batch/update", "/crm/objects/2026-03/{objectType}/batch/update"},
		{"batch upsert", func(ctx context.Context, c *Client) error {
			_, err := c.BatchUpsert(ctx, "contacts", upsert)
			return err
		},
			"POST", "/crm/v3/objects/contacts/batch/upsert", "/crm/objects/2026-03/contacts/batch/upsert", "/crm/objects/2026-03/{objectType}/batch/upsert"},
		{"batch upsert with a permit", func(ctx context.Context, c *Client) error {
			p, err := c.Limiter().Wait(ctx, KindStandard)
			if err != nil {
				return err
			}
			_, err = c.BatchUpsertWithPermit(ctx, "contacts", upsert, p)
			return err
		}, "POST", "/crm/v3/objects/contacts/batch/upsert", "/crm/objects/2026-03/contacts/batch/upsert", "/crm/objects/2026-03/{objectType}/batch/upsert"},
		{"batch archive", func(ctx context.Context, c *Client) error { return c.BatchArchive(ctx, "deals", []string{"1"}) },
			"POST", "/crm/v3/objects/deals/batch/archive", "/crm/objects/2026-03/deals/batch/archive", "/crm/objects/2026-03/{objectType}/batch/archive"},
		{"search", func(ctx context.Context, c *Client) error {
			_, err := c.Search(ctx, "companies", SearchRequest{})
			return err
		},
			"POST", "/crm/v3/objects/companies/search", "/crm/objects/2026-03/companies/search", "/crm/objects/2026-03/{objectType}/search"},
		{"list associations stays on v4", func(ctx context.Context, c *Client) error {
			_, err := c.ListAssociations(ctx, "contacts", "1", "companies", ListAssociationsOptions{})
			return err
		}, "GET", "/crm/v4/objects/contacts/1/associations/companies", "/crm/v4/objects/contacts/1/associations/companies",
			"/crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/{toObjectType}"},
		{"default association", func(ctx context.Context, c *Client) error {
			return c.AssociateDefault(ctx, "contacts", "1", "companies", "2")
		}, "PUT", "/crm/v4/objects/contacts/1/associations/default/companies/2", "/crm/objects/2026-03/contacts/1/associations/default/companies/2",
			"/crm/objects/2026-03/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId}"},
		{"batch read associations", func(ctx context.Context, c *Client) error {
			_, err := c.BatchReadAssociations(ctx, "contacts", "deals", []AssociationReadInput{{ID: "1"}})
			return err
		}, "POST", "/crm/v4/associations/contacts/deals/batch/read", "/crm/associations/2026-03/contacts/deals/batch/read",
			"/crm/associations/2026-03/{fromObjectType}/{toObjectType}/batch/read"},
	}
	for _, tt := range tests {
		for _, version := range APIVersions() {
			want := map[APIVersion]string{APIVersionV3: tt.v3, APIVersion202603: tt.v202603}[version]
			t.Run(tt.name+" in "+string(version), func(t *testing.T) {
				t.Parallel()
				fake := newFakeHubSpot(t, func(w http.ResponseWriter, _ seen) { writeJSON(w, 200, `{}`) })
				var templates []string
				c := testClient(t, fake.srv.URL, func(o *Options) {
					o.APIVersion = version
					o.OnCall = func(ci CallInfo) { templates = append(templates, ci.Method+" "+ci.PathTemplate) }
				})
				_ = tt.call(t.Context(), c) // an empty answer may not decode to a result: only the request matters here
				reqs := fake.seen()
				if len(reqs) != 1 {
					t.Fatalf("server saw %d requests, want 1", len(reqs))
				}
				if got := reqs[0].Method + " " + reqs[0].Path; got != tt.method+" "+want {
					t.Errorf("request = %s, want %s %s", got, tt.method, want)
				}
				if version == APIVersion202603 && (len(templates) != 1 || templates[0] != tt.method+" "+tt.template) {
					t.Errorf("templates seen by OnCall = %q, want [%s %s]", templates, tt.method, tt.template)
				}
			})
		}
	}
}

// Every operation of the table has a method and a path in both families, and each path
// template starts with "/" and names its parameters in braces only.
func TestOperationsTableIsComplete(t *testing.T) {
	t.Parallel()
	for op, spec := range operations {
		for _, path := range []string{spec.v3, spec.v202603} {
			if spec.method == "" || len(path) == 0 || path[0] != '/' {
				t.Errorf("operation %d: method %q, path %q: want both set, the path absolute", op, spec.method, path)
			}
		}
	}
}

func TestParseAPIVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    APIVersion
		wantErr bool
	}{
		{"2026-03", APIVersion202603, false},
		{"v3", APIVersionV3, false},
		{"", "", true},
		{"V3", "", true},
		{"v4", "", true},
		{"2026-09", "", true},
		{" 2026-03", "", true},
	}
	for _, tt := range tests {
		got, err := ParseAPIVersion(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseAPIVersion(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("ParseAPIVersion(%q) error %v does not match ErrInvalidRequest", tt.in, err)
		}
	}
}

func TestNewClientAPIVersion(t *testing.T) {
	t.Parallel()
	tok, err := ParseToken(testTokenValue)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		version APIVersion
		want    APIVersion
		wantErr bool
	}{
		{"empty takes the default", "", APIVersion202603, false},
		{"legacy", APIVersionV3, APIVersionV3, false},
		{"unknown refused", "2025-09", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(Options{Token: tok, APIVersion: tt.version})
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidRequest) {
					t.Fatalf("NewClient error = %v, want ErrInvalidRequest", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.APIVersion(); got != tt.want {
				t.Errorf("APIVersion() = %q, want %q", got, tt.want)
			}
		})
	}
}
