package hubspot

import (
	"fmt"
	"strings"
)

// APIVersion is a family of HubSpot API paths. HubSpot versions its APIs by date since
// 2026-03, the first generally available date version, with a new one every March and
// September, each supported for 18 months
// (https://developers.hubspot.com/docs/api-reference/2026-03/overview); the legacy v1–v3
// APIs lose support in September 2027, and associations v4 on March 30, 2027
// (https://developers.hubspot.com/docs/api-reference/legacy/migration-guide). Both
// families take and return the same shapes, so a Client differs only in the paths it calls.
type APIVersion string

const (
	// APIVersion202603 calls the 2026-03 paths (/crm/objects/2026-03/…): the default.
	APIVersion202603 APIVersion = "2026-03"
	// APIVersionV3 calls the legacy paths: /crm/v3/…, and /crm/v4/… for associations.
	APIVersionV3 APIVersion = "v3"
)

// DefaultAPIVersion is the family a Client calls when Options.APIVersion is empty.
const DefaultAPIVersion = APIVersion202603

// APIVersions lists every accepted APIVersion, the default first.
func APIVersions() []APIVersion { return []APIVersion{APIVersion202603, APIVersionV3} }

// ParseAPIVersion reads an APIVersion as a user writes it ("2026-03" or "v3"); anything
// else is ErrInvalidRequest naming the accepted values.
func ParseAPIVersion(s string) (APIVersion, error) {
	for _, v := range APIVersions() {
		if s == string(v) {
			return v, nil
		}
	}
	names := make([]string, 0, len(APIVersions()))
	for _, v := range APIVersions() {
		names = append(names, string(v))
	}
	return "", fmt.Errorf("%w: unknown HubSpot API version %q: want %s", ErrInvalidRequest, s, strings.Join(names, " or "))
}

// operation names one HubSpot call of this package: a row of operations.
type operation int

const (
	opIntrospectToken operation = iota
	opAccountDetails
	opListProperties
	opGetProperty
	opListPropertyGroups
	opListPipelines
	opListOwners
	opGetObject
	opListObjects
	opCreateObject
	opUpdateObject
	opArchiveObject
	opBatchRead
	opBatchCreate
	opBatchUpdate
	opBatchUpsert
	opBatchArchive
	opSearch
	opListAssociations
	opAssociateDefault
	opBatchReadAssociations
	numOperations
)

// operationSpec is one HubSpot call: its method, how it is limited and retried, and its
// path template in each API family. A template names its parameters in braces and holds
// nothing else that varies, so it is what logs, errors and metrics show.
type operationSpec struct {
	method     string
	kind       RequestKind
	idempotent bool // see retry.go for the classification
	v3         string
	v202603    string
}

// operations is the one table of the paths this package calls. Where HubSpot documents no
// 2026-03 form of a call, both columns hold the legacy path: reading one record's
// associations stays on associations v4 in both families (the 2026-03 associations API
// documents only its batch, default-association and labels calls), and token introspection
// has never been versioned.
var operations = [numOperations]operationSpec{
	opIntrospectToken: {method: "POST", idempotent: true,
		v3:      "/oauth/v2/private-apps/get/access-token-info",
		v202603: "/oauth/v2/private-apps/get/access-token-info"},
	opAccountDetails: {method: "GET", idempotent: true,
		v3:      "/account-info/v3/details",
		v202603: "/account-info/2026-03/details"},

	opListProperties: {method: "GET", idempotent: true,
		v3:      "/crm/v3/properties/{objectType}",
		v202603: "/crm/properties/2026-03/{objectType}"},
	opGetProperty: {method: "GET", idempotent: true,
		v3:      "/crm/v3/properties/{objectType}/{propertyName}",
		v202603: "/crm/properties/2026-03/{objectType}/{propertyName}"},
	opListPropertyGroups: {method: "GET", idempotent: true,
		v3:      "/crm/v3/properties/{objectType}/groups",
		v202603: "/crm/properties/2026-03/{objectType}/groups"},
	opListPipelines: {method: "GET", idempotent: true,
		v3:      "/crm/v3/pipelines/{objectType}",
		v202603: "/crm/pipelines/2026-03/{objectType}"},
	// HubSpot's spec and its npm client list owners with a trailing slash.
	opListOwners: {method: "GET", idempotent: true,
		v3:      "/crm/v3/owners/",
		v202603: "/crm/owners/2026-03/"},

	opGetObject: {method: "GET", idempotent: true,
		v3:      "/crm/v3/objects/{objectType}/{objectId}",
		v202603: "/crm/objects/2026-03/{objectType}/{objectId}"},
	opListObjects: {method: "GET", idempotent: true,
		v3:      "/crm/v3/objects/{objectType}",
		v202603: "/crm/objects/2026-03/{objectType}"},
	opCreateObject: {method: "POST",
		v3:      "/crm/v3/objects/{objectType}",
		v202603: "/crm/objects/2026-03/{objectType}"},
	opUpdateObject: {method: "PATCH", idempotent: true,
		v3:      "/crm/v3/objects/{objectType}/{objectId}",
		v202603: "/crm/objects/2026-03/{objectType}/{objectId}"},
	opArchiveObject: {method: "DELETE", idempotent: true,
		v3:      "/crm/v3/objects/{objectType}/{objectId}",
		v202603: "/crm/objects/2026-03/{objectType}/{objectId}"},
	opBatchRead: {method: "POST", idempotent: true,
		v3:      "/crm/v3/objects/{objectType}/batch/read",
		v202603: "/crm/objects/2026-03/{objectType}/batch/read"},
	opBatchCreate: {method: "POST",
		v3:      "/crm/v3/objects/{objectType}/batch/create",
		v202603: "/crm/objects/2026-03/{objectType}/batch/create"},
	opBatchUpdate: {method: "POST", idempotent: true,
		v3:      "/crm/v3/objects/{objectType}/batch/update",
		v202603: "/crm/objects/2026-03/{objectType}/batch/update"},
	opBatchUpsert: {method: "POST", idempotent: true,
		v3:      "/crm/v3/objects/{objectType}/batch/upsert",
		v202603: "/crm/objects/2026-03/{objectType}/batch/upsert"},
	opBatchArchive: {method: "POST", idempotent: true,
		v3:      "/crm/v3/objects/{objectType}/batch/archive",
		v202603: "/crm/objects/2026-03/{objectType}/batch/archive"},
	opSearch: {method: "POST", kind: KindSearch, idempotent: true,
		v3:      "/crm/v3/objects/{objectType}/search",
		v202603: "/crm/objects/2026-03/{objectType}/search"},

	opListAssociations: {method: "GET", idempotent: true,
		v3:      "/crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/{toObjectType}",
		v202603: "/crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/{toObjectType}"},
	opAssociateDefault: {method: "PUT", idempotent: true,
		v3:      "/crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId}",
		v202603: "/crm/objects/2026-03/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId}"},
	opBatchReadAssociations: {method: "POST", idempotent: true,
		v3:      "/crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read",
		v202603: "/crm/associations/2026-03/{fromObjectType}/{toObjectType}/batch/read"},
}

// endpoint is op in the client's API family.
func (c *Client) endpoint(op operation) endpoint {
	spec := operations[op]
	template := spec.v202603
	if c.apiVersion == APIVersionV3 {
		template = spec.v3
	}
	return endpoint{method: spec.method, template: template, kind: spec.kind, idempotent: spec.idempotent}
}

// request is a call of op with its path parameters filled in, in the template's order.
func (c *Client) request(op operation, pathValues ...string) request {
	ep := c.endpoint(op)
	return request{endpoint: ep, path: expand(ep.template, pathValues...)}
}

// APIVersion is the family of paths the client calls.
func (c *Client) APIVersion() APIVersion { return c.apiVersion }
