package sandbox

import (
	"net/http"
)

// routes registers HubSpot's endpoints and the admin API. Paths use the stable v3/v4
// forms; emails may appear in {objectId} because HubSpot's path pattern is ".+".
func (s *Sandbox) routes() *http.ServeMux {
	m := http.NewServeMux()
	std, search := budgetStandard, budgetSearch

	m.HandleFunc("POST /oauth/v2/private-apps/get/access-token-info", s.tokenInfo)
	m.HandleFunc("GET /account-info/v3/details", s.api(std, accountDetails))

	m.HandleFunc("GET /crm/v3/properties/{objectType}", s.apiRead(std, listProperties))
	m.HandleFunc("POST /crm/v3/properties/{objectType}", s.api(std, createProperty))
	m.HandleFunc("GET /crm/v3/properties/{objectType}/{propertyName}", s.apiRead(std, getProperty))
	m.HandleFunc("GET /crm/v3/properties/{objectType}/groups", s.apiRead(std, listPropertyGroups))
	m.HandleFunc("GET /crm/v3/pipelines/{objectType}", s.apiRead(std, listPipelines))
	// HubSpot's spec (and its npm client) lists owners at /crm/v3/owners/, trailing slash.
	m.HandleFunc("GET /crm/v3/owners/{$}", s.apiRead(std, listOwners))
	m.HandleFunc("GET /crm/v3/owners", s.apiRead(std, listOwners))

	const objects = "/crm/v3/objects/{objectType}"
	m.HandleFunc("GET "+objects, s.api(std, listObjects))
	m.HandleFunc("POST "+objects, s.api(std, createObject))
	m.HandleFunc("GET "+objects+"/{objectId}", s.api(std, getObject))
	m.HandleFunc("PATCH "+objects+"/{objectId}", s.api(std, updateObject))
	m.HandleFunc("DELETE "+objects+"/{objectId}", s.api(std, archiveObject))
	m.HandleFunc("POST "+objects+"/batch/read", s.api(std, batchRead))
	m.HandleFunc("POST "+objects+"/batch/create", s.api(std, batchCreate))
	m.HandleFunc("POST "+objects+"/batch/update", s.api(std, batchUpdate))
	m.HandleFunc("POST "+objects+"/batch/upsert", s.api(std, batchUpsert))
	m.HandleFunc("POST "+objects+"/batch/archive", s.api(std, batchArchive))
	m.HandleFunc("POST "+objects+"/search", s.api(search, searchObjects))

	const v4 = "/crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}"
	m.HandleFunc("GET "+v4, s.api(std, listAssociations))
	m.HandleFunc("PUT "+v4+"/{toObjectId}", s.api(std, putLabelledAssociation))
	m.HandleFunc("DELETE "+v4+"/{toObjectId}", s.api(std, deleteAssociations))
	m.HandleFunc("PUT /crm/v4/objects/{objectType}/{objectId}/associations/default/{toObjectType}/{toObjectId}",
		s.api(std, putDefaultAssociation))
	const v4batch = "/crm/v4/associations/{objectType}/{toObjectType}/batch"
	m.HandleFunc("POST "+v4batch+"/read", s.api(std, batchReadAssociations))
	m.HandleFunc("POST "+v4batch+"/associate/default", s.api(std, batchAssociateDefault))
	m.HandleFunc("POST "+v4batch+"/create", s.api(std, batchCreateAssociations))
	m.HandleFunc("POST "+v4batch+"/archive", s.api(std, batchArchiveAssociations))
	m.HandleFunc("GET /crm/v4/associations/{objectType}/{toObjectType}/labels", s.api(std, associationLabels))
	m.HandleFunc("GET /crm/associations/v4/{objectType}/{toObjectType}/labels", s.api(std, associationLabels))

	s.adminRoutes(m)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		id := correlationIDFrom(r.Context())
		jsonReply(http.StatusNotFound, apiError{Status: "error", Message: "Unable to route " + r.Method +
			" " + r.URL.Path, CorrelationID: id, Category: categoryObjectNotFound}).write(w, id)
	})
	return m
}
