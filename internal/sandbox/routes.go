package sandbox

import (
	"net/http"
)

// datedVersion is the date version of HubSpot's API the sandbox serves beside the legacy
// v3/v4 paths: 2026-03, the first generally available one
// (https://developers.hubspot.com/docs/api-reference/2026-03/overview). Its calls take and
// return the same shapes as the legacy ones, so both paths lead to one handler.
const datedVersion = "2026-03"

// apiRoute is one HubSpot operation: its handler, served under the legacy path and, when
// HubSpot documents one, under the 2026-03 path (dated "" when it does not).
type apiRoute struct {
	method  string
	legacy  string
	dated   string
	handler http.HandlerFunc
}

// apiRoutes is the table of HubSpot's endpoints the sandbox serves. Emails may appear in
// {objectId} because HubSpot's path pattern is ".+". Reading one record's associations,
// the labelled PUT and the DELETE of a pair have no documented 2026-03 form: they stay on
// associations v4 only, as on HubSpot; token introspection has never been versioned.
func (s *Sandbox) apiRoutes() []apiRoute {
	std, search := budgetStandard, budgetSearch
	const (
		objects     = "/crm/v3/objects/{objectType}"
		objectsDate = "/crm/objects/" + datedVersion + "/{objectType}"
		v4          = "/crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}"
		v4batch     = "/crm/v4/associations/{objectType}/{toObjectType}"
		assocDate   = "/crm/associations/" + datedVersion + "/{objectType}/{toObjectType}"
	)
	return []apiRoute{
		{"POST", "/oauth/v2/private-apps/get/access-token-info", "", s.tokenInfo},
		{"GET", "/account-info/v3/details", "/account-info/" + datedVersion + "/details", s.api(std, accountDetails)},

		{"GET", "/crm/v3/properties/{objectType}", "/crm/properties/" + datedVersion + "/{objectType}", s.apiRead(std, listProperties)},
		{"POST", "/crm/v3/properties/{objectType}", "/crm/properties/" + datedVersion + "/{objectType}", s.api(std, createProperty)},
		{"GET", "/crm/v3/properties/{objectType}/{propertyName}", "/crm/properties/" + datedVersion + "/{objectType}/{propertyName}",
			s.apiRead(std, getProperty)},
		{"GET", "/crm/v3/properties/{objectType}/groups", "/crm/properties/" + datedVersion + "/{objectType}/groups", s.apiRead(std, listPropertyGroups)},
		{"GET", "/crm/v3/pipelines/{objectType}", "/crm/pipelines/" + datedVersion + "/{objectType}", s.apiRead(std, listPipelines)},
		// HubSpot's spec (and its npm client) lists owners at /crm/v3/owners/, trailing slash;
		// both forms are served.
		{"GET", "/crm/v3/owners/{$}", "/crm/owners/" + datedVersion + "/{$}", s.apiRead(std, listOwners)},
		{"GET", "/crm/v3/owners", "/crm/owners/" + datedVersion, s.apiRead(std, listOwners)},

		{"GET", objects, objectsDate, s.api(std, listObjects)},
		{"POST", objects, objectsDate, s.api(std, createObject)},
		{"GET", objects + "/{objectId}", objectsDate + "/{objectId}", s.api(std, getObject)},
		{"PATCH", objects + "/{objectId}", objectsDate + "/{objectId}", s.api(std, updateObject)},
		{"DELETE", objects + "/{objectId}", objectsDate + "/{objectId}", s.api(std, archiveObject)},
		{"POST", objects + "/batch/read", objectsDate + "/batch/read", s.api(std, batchRead)},
		{"POST", objects + "/batch/create", objectsDate + "/batch/create", s.api(std, batchCreate)},
		{"POST", objects + "/batch/update", objectsDate + "/batch/update", s.api(std, batchUpdate)},
		{"POST", objects + "/batch/upsert", objectsDate + "/batch/upsert", s.api(std, batchUpsert)},
		{"POST", objects + "/batch/archive", objectsDate + "/batch/archive", s.api(std, batchArchive)},
		{"POST", objects + "/search", objectsDate + "/search", s.api(search, searchObjects)},
		{"POST", objects + "/merge", objectsDate + "/merge", s.api(std, mergeObjects)},

		{"GET", v4, "", s.api(std, listAssociations)},
		{"PUT", v4 + "/{toObjectId}", "", s.api(std, putLabelledAssociation)},
		{"DELETE", v4 + "/{toObjectId}", "", s.api(std, deleteAssociations)},
		{"PUT", "/crm/v4/objects/{objectType}/{objectId}/associations/default/{toObjectType}/{toObjectId}",
			objectsDate + "/{objectId}/associations/default/{toObjectType}/{toObjectId}", s.api(std, putDefaultAssociation)},
		{"POST", v4batch + "/batch/read", assocDate + "/batch/read", s.api(std, batchReadAssociations)},
		{"POST", v4batch + "/batch/associate/default", assocDate + "/batch/associate/default", s.api(std, batchAssociateDefault)},
		{"POST", v4batch + "/batch/create", assocDate + "/batch/create", s.api(std, batchCreateAssociations)},
		{"POST", v4batch + "/batch/archive", assocDate + "/batch/archive", s.api(std, batchArchiveAssociations)},
		{"GET", v4batch + "/labels", assocDate + "/labels", s.api(std, associationLabels)},
		{"GET", "/crm/associations/v4/{objectType}/{toObjectType}/labels", "", s.api(std, associationLabels)},
	}
}

// routes registers HubSpot's endpoints, each under its legacy and its 2026-03 path, and the
// admin API (admin.go, and adminChangeRoutes below).
func (s *Sandbox) routes() *http.ServeMux {
	m := http.NewServeMux()
	for _, r := range s.apiRoutes() {
		m.HandleFunc(r.method+" "+r.legacy, r.handler)
		if r.dated != "" {
			m.HandleFunc(r.method+" "+r.dated, r.handler)
		}
	}
	s.adminRoutes(m)
	for _, a := range s.adminChangeRoutes() {
		m.HandleFunc(a.pattern, a.handler)
	}
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		id := correlationIDFrom(r.Context())
		jsonReply(http.StatusNotFound, apiError{Status: "error", Message: "Unable to route " + r.Method +
			" " + r.URL.Path, CorrelationID: id, Category: categoryObjectNotFound}).write(w, id)
	})
	return m
}

// adminRoute is one /_sandbox route: a ServeMux pattern ("METHOD /path") and its handler.
type adminRoute struct {
	pattern string
	handler http.HandlerFunc
}

// adminChangeRoutes is the table of the admin routes of changes back from HubSpot (handlers
// in admin_changes.go). Like the rest of the admin API they are JSON, unauthenticated, not
// faulted and not counted.
func (s *Sandbox) adminChangeRoutes() []adminRoute {
	const record = "/_sandbox/accounts/{hubId}/objects/{objectType}/{objectId}"
	return []adminRoute{
		{"GET /_sandbox/accounts/{hubId}/changes", s.adminChanges},
		{"PATCH " + record, s.adminEditRecord},
		{"DELETE " + record, s.adminDeleteRecord},
		{"POST " + record + "/restore", s.adminRestoreRecord},
		{"POST /_sandbox/accounts/{hubId}/objects/{objectType}/merge", s.adminMerge},
		{"POST /_sandbox/accounts/{hubId}/bulk-edit", s.adminBulkEdit},
		{"PUT /_sandbox/apps/{appId}/webhooks", s.adminPutWebhooks},
		{"GET /_sandbox/apps/{appId}/webhooks", s.adminGetWebhooks},
		{"PUT /_sandbox/webhooks/faults", s.adminPutWebhookFaults},
		{"GET /_sandbox/webhooks/counters", s.adminWebhookCounters},
	}
}
