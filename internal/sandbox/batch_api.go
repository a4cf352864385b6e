package sandbox

import (
	"net/http"
	"slices"
	"strings"
)

// maxBatchInputs is HubSpot's per-call batch limit: 101 inputs get a 400. The specs
// declare no maxItems; https://developers.hubspot.com/docs/api/crm/contacts states it.
const maxBatchInputs = 100

type batchRequest struct {
	Inputs                []writeInput `json:"inputs"`
	Properties            []string     `json:"properties"`
	PropertiesWithHistory []string     `json:"propertiesWithHistory"`
	IDProperty            string       `json:"idProperty"`
}

// batchResponse is BatchResponseSimplePublicObject and its …WithErrors form (207).
type batchResponse struct {
	Status      string          `json:"status"`
	Results     []recordJSON    `json:"results"`
	NumErrors   int             `json:"numErrors,omitempty"`
	Errors      []standardError `json:"errors,omitempty"`
	StartedAt   string          `json:"startedAt"`
	CompletedAt string          `json:"completedAt"`
}

// readBatch decodes a batch body and enforces the size limit.
func (c *call) readBatch(ot *objectType) (batchRequest, reply, bool) {
	var req batchRequest
	if err := decodeJSON(c.r, &req); err != nil {
		return req, c.badRequest("Invalid input JSON on line 1: %v", err), false
	}
	if len(req.Inputs) > maxBatchInputs {
		return req, c.badRequest("Batch input size %d exceeds the limit of %d inputs for %s",
			len(req.Inputs), maxBatchInputs, ot.name), false
	}
	return req, reply{}, true
}

// objectBatch resolves the path's object type for mode and decodes the batch body.
func (c *call) objectBatch(mode access) (*objectType, batchRequest, reply, bool) {
	ot, rep, ok := c.objectType("objectType", mode)
	if !ok {
		return nil, batchRequest{}, rep, false
	}
	req, rep, ok := c.readBatch(ot)
	return ot, req, rep, ok
}

// duplicateIDs reports ids given more than once (case-insensitively for emails).
func (c *call) duplicateIDs(ids []string, fold bool) (reply, bool) {
	seen := map[string]bool{}
	var dups []string
	for _, id := range ids {
		k := id
		if fold {
			k = strings.ToLower(id)
		}
		if seen[k] && !slices.Contains(dups, id) {
			dups = append(dups, id)
		}
		seen[k] = true
	}
	if len(dups) > 0 {
		return c.badRequest("Duplicate IDs found in batch input: [%s]. IDs must be unique", strings.Join(dups, ", ")), true
	}
	return reply{}, false
}

// finish shuffles the results (HubSpot does not keep input order, and callers must not
// rely on it) and picks 200/201 or 207.
func (c *call) finish(okStatus int, results []recordJSON, errs []standardError) reply {
	c.s.rng.Shuffle(len(results), func(i, j int) { results[i], results[j] = results[j], results[i] })
	resp := batchResponse{Status: "COMPLETE", Results: nonNil(results), StartedAt: isoMillis(c.now),
		CompletedAt: isoMillis(c.now)}
	status := okStatus
	if len(errs) > 0 {
		resp.NumErrors, resp.Errors, status = len(errs), errs, http.StatusMultiStatus
	}
	return jsonReply(status, resp)
}

func batchRead(c *call) reply {
	ot, req, rep, ok := c.objectBatch(accessRead)
	if !ok {
		return rep
	}
	if !c.acct.isUniqueIDProperty(ot, req.IDProperty) {
		return c.badRequest("Unable to perform get by non-unique %s property %s", ot.typeID, req.IDProperty)
	}
	ids := make([]string, len(req.Inputs))
	for i, in := range req.Inputs {
		ids[i] = in.ID
	}
	if rep, dup := c.duplicateIDs(ids, req.IDProperty == "email"); dup {
		return rep
	}
	var results []recordJSON
	var missing []string
	for _, id := range ids {
		r := c.acct.findRecord(ot, id, req.IDProperty)
		if r == nil {
			missing = append(missing, id)
			continue
		}
		results = append(results, c.acct.render(ot, r, req.Properties, req.PropertiesWithHistory))
	}
	var errs []standardError
	if len(missing) > 0 {
		errs = append(errs, newStandardError(categoryObjectNotFound, "Could not get some "+ot.upper()+
			" objects, they may be deleted or not exist. Check that ids are valid.", map[string][]string{"ids": missing}))
	}
	return c.finish(http.StatusOK, results, errs)
}

// itemFailure is one input's failure: either invalid values or a conflict.
type itemFailure struct {
	traceID  string
	invalid  *apiError
	conflict *conflictError
}

func (c *call) failureAsError(f itemFailure) standardError {
	ctx := map[string][]string{}
	if f.traceID != "" {
		ctx["objectWriteTraceId"] = []string{f.traceID}
	}
	if f.conflict != nil {
		return newStandardError(categoryConflict, "Contact already exists. Existing ID: "+f.conflict.existingID, ctx)
	}
	for k, v := range f.invalid.Context { // e.g. the properties a create left unset
		ctx[k] = v
	}
	se := newStandardError(categoryValidation, f.invalid.Message, ctx)
	if f.invalid.Errors != nil {
		se.Errors = f.invalid.Errors
	}
	return se
}

// wholeBatchFailure answers a batch where an input failed and multi-status was not
// asked for (some input lacked an objectWriteTraceId): the whole call is rejected.
func (c *call) wholeBatchFailure(f itemFailure) reply {
	if f.conflict != nil {
		return c.conflict(f.conflict)
	}
	return jsonReply(http.StatusBadRequest, f.invalid)
}

// writeBatch is the shared end of the batch writes. When an input failed and multi-status
// was not asked for, the whole batch fails with the first failure and nothing is written.
// Otherwise apply writes each prepared input (a conflict found while writing fails only
// that input), and the answer lists the results, then every failure, then extra errors.
func writeBatch[P any](c *call, okStatus int, multiStatus bool, good []P, failures []itemFailure,
	apply func(P) (recordJSON, *itemFailure), extra ...standardError) reply {
	if len(failures) > 0 && !multiStatus {
		return c.wholeBatchFailure(failures[0])
	}
	var results []recordJSON
	var errs []standardError
	for _, p := range good {
		rj, failed := apply(p)
		if failed != nil {
			errs = append(errs, c.failureAsError(*failed))
			continue
		}
		results = append(results, rj)
	}
	for _, f := range failures {
		errs = append(errs, c.failureAsError(f))
	}
	return c.finish(okStatus, results, append(errs, extra...))
}

func allTraced(inputs []writeInput) bool {
	for _, in := range inputs {
		if in.ObjectWriteTraceID == "" {
			return false
		}
	}
	return len(inputs) > 0
}

func batchCreate(c *call) reply {
	ot, req, rep, ok := c.objectBatch(accessWrite)
	if !ok {
		return rep
	}
	multiStatus := allTraced(req.Inputs)
	type prepared struct {
		in     writeInput
		values map[string]string
		links  []resolvedLink
	}
	var good []prepared
	var failures []itemFailure
	batchEmails := map[string]bool{}
	for _, in := range req.Inputs {
		values, verr := c.checkValues(ot, in.Properties, nil)
		if verr == nil {
			links, msg := c.resolveInline(ot, in.Associations)
			if msg != "" {
				verr = &apiError{Status: "error", Message: msg, CorrelationID: c.correlationID, Category: categoryValidation}
			}
			if verr == nil {
				if email := values["email"]; ot.name == "contacts" && email != "" {
					if id, dup := c.acct.emails[email]; dup {
						failures = append(failures, itemFailure{traceID: in.ObjectWriteTraceID, conflict: &conflictError{existingID: id}})
						continue
					}
					if batchEmails[email] {
						verr = &apiError{Status: "error", Message: "Duplicate email found in batch input: " + email,
							CorrelationID: c.correlationID, Category: categoryValidation}
					}
					batchEmails[email] = true
				}
			}
			if verr == nil {
				good = append(good, prepared{in: in, values: values, links: links})
				continue
			}
		}
		failures = append(failures, itemFailure{traceID: in.ObjectWriteTraceID, invalid: verr})
	}
	return writeBatch(c, http.StatusCreated, multiStatus, good, failures, func(p prepared) (recordJSON, *itemFailure) {
		r, _ := c.acct.createRecord(ot, p.values, c.now) // emails were checked above
		c.acct.applyInline(ot, r.id, p.links)
		c.s.counters.writes += 1 + len(p.links)
		rj := c.renderWritten(ot, r, p.values)
		rj.ObjectWriteTraceID = p.in.ObjectWriteTraceID
		return rj, nil
	})
}

func batchArchive(c *call) reply {
	ot, req, rep, ok := c.objectBatch(accessWrite)
	if !ok {
		return rep
	}
	for _, in := range req.Inputs {
		if r := c.acct.findRecord(ot, in.ID, ""); r != nil {
			c.acct.archiveRecord(ot, r, c.now)
			c.s.counters.writes++
		}
	}
	return noContent()
}
