package sandbox

import (
	"net/http"
	"strconv"
)

// adminChangeRoutes registers the /_sandbox routes of the way back from HubSpot: the change
// log, edits "made in HubSpot" (hubspot_edits.go) and the webhook settings, faults and
// counters (webhooks.go). Like the rest of the admin API they are JSON, unauthenticated,
// not faulted and not counted.
func (s *Sandbox) adminChangeRoutes(m *http.ServeMux) {
	const record = "/_sandbox/accounts/{hubId}/objects/{objectType}/{objectId}"
	m.HandleFunc("GET /_sandbox/accounts/{hubId}/changes", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
		limit, _ := strconv.Atoi(q.Get("limit"))
		evs, err := s.Changes(pathHubID(r), after, limit)
		adminResult(w, http.StatusOK, nonNil(evs), err)
	})
	m.HandleFunc("PATCH "+record, func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Properties map[string]string `json:"properties"`
		}
		if !adminDecode(w, r, &in) {
			return
		}
		err := s.EditRecord(pathHubID(r), r.PathValue("objectType"), r.PathValue("objectId"), in.Properties)
		adminResult(w, http.StatusOK, map[string]string{"id": r.PathValue("objectId")}, err)
	})
	m.HandleFunc("DELETE "+record, func(w http.ResponseWriter, r *http.Request) {
		err := s.DeleteRecord(pathHubID(r), r.PathValue("objectType"), r.PathValue("objectId"))
		adminResult(w, http.StatusOK, map[string]string{"id": r.PathValue("objectId")}, err)
	})
	m.HandleFunc("POST "+record+"/restore", func(w http.ResponseWriter, r *http.Request) {
		err := s.RestoreRecord(pathHubID(r), r.PathValue("objectType"), r.PathValue("objectId"))
		adminResult(w, http.StatusOK, map[string]string{"id": r.PathValue("objectId")}, err)
	})
	m.HandleFunc("POST /_sandbox/accounts/{hubId}/objects/{objectType}/merge", func(w http.ResponseWriter, r *http.Request) {
		var in mergeInput
		if !adminDecode(w, r, &in) {
			return
		}
		err := s.MergeRecords(pathHubID(r), r.PathValue("objectType"), string(in.PrimaryObjectID), string(in.ObjectIDToMerge))
		adminResult(w, http.StatusOK, map[string]string{"id": string(in.PrimaryObjectID)}, err)
	})
	m.HandleFunc("POST /_sandbox/accounts/{hubId}/bulk-edit", func(w http.ResponseWriter, r *http.Request) {
		var in BulkEdit
		if !adminDecode(w, r, &in) {
			return
		}
		res, err := s.BulkEdit(pathHubID(r), in)
		adminResult(w, http.StatusOK, res, err)
	})
	m.HandleFunc("PUT /_sandbox/apps/{appId}/webhooks", func(w http.ResponseWriter, r *http.Request) {
		var in WebhookConfig
		if !adminDecode(w, r, &in) {
			return
		}
		in.AppID, _ = strconv.ParseInt(r.PathValue("appId"), 10, 64)
		cfg, err := s.SetWebhooks(in)
		adminResult(w, http.StatusOK, cfg, err)
	})
	m.HandleFunc("GET /_sandbox/apps/{appId}/webhooks", func(w http.ResponseWriter, r *http.Request) {
		appID, _ := strconv.ParseInt(r.PathValue("appId"), 10, 64)
		cfg, ok := s.Webhooks(appID)
		if !ok {
			adminJSON(w, http.StatusNotFound, map[string]string{"error": "no webhooks for app " + r.PathValue("appId")})
			return
		}
		adminJSON(w, http.StatusOK, cfg)
	})
	m.HandleFunc("PUT /_sandbox/webhooks/faults", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			WebhookFaults
			Delay string `json:"delay"` // a Go duration: "2s"
		}
		if !adminDecode(w, r, &in) {
			return
		}
		d, err := parseDur(in.Delay)
		if err == nil {
			in.WebhookFaults.Delay = d
			err = s.SetWebhookFaults(in.WebhookFaults)
		}
		adminResult(w, http.StatusOK, map[string]bool{"set": true}, err)
	})
	m.HandleFunc("GET /_sandbox/webhooks/counters", func(w http.ResponseWriter, r *http.Request) {
		adminJSON(w, http.StatusOK, s.WebhookCounters())
	})
}
