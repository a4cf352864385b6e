package sandbox

import (
	"net/http"
	"strconv"
)

// The handlers of the admin routes of the way back from HubSpot (their table is
// adminChangeRoutes, in routes.go): the change log, edits "made in HubSpot"
// (hubspot_edits.go) and the webhook settings, faults and counters (webhooks.go).

func (s *Sandbox) adminChanges(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	limit, _ := strconv.Atoi(q.Get("limit"))
	evs, err := s.Changes(pathHubID(r), after, limit)
	adminResult(w, http.StatusOK, nonNil(evs), err)
}

func (s *Sandbox) adminEditRecord(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Properties map[string]string `json:"properties"`
	}
	if !adminDecode(w, r, &in) {
		return
	}
	err := s.EditRecord(pathHubID(r), r.PathValue("objectType"), r.PathValue("objectId"), in.Properties)
	adminResult(w, http.StatusOK, map[string]string{"id": r.PathValue("objectId")}, err)
}

func (s *Sandbox) adminDeleteRecord(w http.ResponseWriter, r *http.Request) {
	err := s.DeleteRecord(pathHubID(r), r.PathValue("objectType"), r.PathValue("objectId"))
	adminResult(w, http.StatusOK, map[string]string{"id": r.PathValue("objectId")}, err)
}

func (s *Sandbox) adminRestoreRecord(w http.ResponseWriter, r *http.Request) {
	err := s.RestoreRecord(pathHubID(r), r.PathValue("objectType"), r.PathValue("objectId"))
	adminResult(w, http.StatusOK, map[string]string{"id": r.PathValue("objectId")}, err)
}

func (s *Sandbox) adminMerge(w http.ResponseWriter, r *http.Request) {
	var in mergeInput
	if !adminDecode(w, r, &in) {
		return
	}
	err := s.MergeRecords(pathHubID(r), r.PathValue("objectType"), string(in.PrimaryObjectID), string(in.ObjectIDToMerge))
	adminResult(w, http.StatusOK, map[string]string{"id": string(in.PrimaryObjectID)}, err)
}

func (s *Sandbox) adminBulkEdit(w http.ResponseWriter, r *http.Request) {
	var in BulkEdit
	if !adminDecode(w, r, &in) {
		return
	}
	res, err := s.BulkEdit(pathHubID(r), in)
	adminResult(w, http.StatusOK, res, err)
}

func (s *Sandbox) adminPutWebhooks(w http.ResponseWriter, r *http.Request) {
	var in WebhookConfig
	if !adminDecode(w, r, &in) {
		return
	}
	in.AppID, _ = strconv.ParseInt(r.PathValue("appId"), 10, 64)
	cfg, err := s.SetWebhooks(in)
	adminResult(w, http.StatusOK, cfg, err)
}

func (s *Sandbox) adminGetWebhooks(w http.ResponseWriter, r *http.Request) {
	appID, _ := strconv.ParseInt(r.PathValue("appId"), 10, 64)
	cfg, ok := s.Webhooks(appID)
	if !ok {
		adminJSON(w, http.StatusNotFound, map[string]string{"error": "no webhooks for app " + r.PathValue("appId")})
		return
	}
	adminJSON(w, http.StatusOK, cfg)
}

func (s *Sandbox) adminPutWebhookFaults(w http.ResponseWriter, r *http.Request) {
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
}

func (s *Sandbox) adminWebhookCounters(w http.ResponseWriter, r *http.Request) {
	adminJSON(w, http.StatusOK, s.WebhookCounters())
}
