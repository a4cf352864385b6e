package sandbox

import (
	"net/http"
	"strings"
)

// batchUpdate updates records by id or by a hasUniqueValue property. Unlike the single
// PATCH, it refuses idProperty=email (REFERENCE §3, hubspot-api-nodejs#548).
func batchUpdate(c *call) reply {
	ot, rep, ok := c.objectType("objectType", accessWrite)
	if !ok {
		return rep
	}
	req, rep, ok := c.readBatch(ot)
	if !ok {
		return rep
	}
	ids := make([]string, len(req.Inputs))
	for i, in := range req.Inputs {
		idProp := in.IDProperty
		if idProp == "" {
			idProp = req.IDProperty
		}
		if idProp == "email" || !c.acct.isUniqueIDProperty(ot, idProp) {
			return c.badRequest("Unable to perform update/upsert by non-unique %s property %s", ot.typeID, idProp)
		}
		req.Inputs[i].IDProperty = idProp
		ids[i] = in.ID
	}
	if rep, dup := c.duplicateIDs(ids, false); dup {
		return rep
	}
	multiStatus := allTraced(req.Inputs)
	type prepared struct {
		in     writeInput
		r      *record
		values map[string]string
	}
	var good []prepared
	var failures []itemFailure
	var missing []string
	for _, in := range req.Inputs {
		r := c.acct.findRecord(ot, in.ID, in.IDProperty)
		if r == nil {
			missing = append(missing, in.ID)
			continue
		}
		values, verr := c.checkValues(ot, in.Properties, false)
		if verr != nil {
			failures = append(failures, itemFailure{traceID: in.ObjectWriteTraceID, invalid: verr})
			continue
		}
		good = append(good, prepared{in: in, r: r, values: values})
	}
	if len(failures) > 0 && !multiStatus {
		return c.wholeBatchFailure(failures[0])
	}
	var results []recordJSON
	var errs []standardError
	for _, p := range good {
		if conflict := c.acct.updateRecord(ot, p.r, p.values, c.now); conflict != nil {
			errs = append(errs, c.failureAsError(itemFailure{traceID: p.in.ObjectWriteTraceID, conflict: conflict}))
			continue
		}
		c.s.counters.writes++
		rj := c.renderWritten(ot, p.r, p.values)
		rj.ObjectWriteTraceID = p.in.ObjectWriteTraceID
		results = append(results, rj)
	}
	for _, f := range failures {
		errs = append(errs, c.failureAsError(f))
	}
	if len(missing) > 0 {
		errs = append(errs, newStandardError(categoryObjectNotFound, "Could not get some "+ot.upper()+
			" objects, they may be deleted or not exist. Check that ids are valid.", map[string][]string{"ids": missing}))
	}
	return c.finish(http.StatusOK, results, errs)
}

// batchUpsert creates or updates by idProperty (inside each input). Contacts may be
// upserted by email; then the batch is all-or-nothing, since HubSpot does not support
// partial upserts by email. Results carry "new".
func batchUpsert(c *call) reply {
	ot, rep, ok := c.objectType("objectType", accessWrite)
	if !ok {
		return rep
	}
	req, rep, ok := c.readBatch(ot)
	if !ok {
		return rep
	}
	ids := make([]string, len(req.Inputs))
	byEmail := false
	for i, in := range req.Inputs {
		idProp := in.IDProperty
		if idProp == "" {
			idProp = req.IDProperty
		}
		if idProp == "" {
			idProp = "hs_object_id"
		}
		if !c.acct.isUniqueIDProperty(ot, idProp) {
			return c.badRequest("Unable to perform update/upsert by non-unique %s property %s", ot.typeID, idProp)
		}
		byEmail = byEmail || (ot.name == "contacts" && idProp == "email")
		req.Inputs[i].IDProperty = idProp
		ids[i] = in.ID
	}
	if rep, dup := c.duplicateIDs(ids, byEmail); dup {
		return rep
	}
	multiStatus := allTraced(req.Inputs) && !byEmail
	type prepared struct {
		in     writeInput
		r      *record // nil: create
		values map[string]string
	}
	var good []prepared
	var failures []itemFailure
	for _, in := range req.Inputs {
		r := c.acct.findRecord(ot, in.ID, in.IDProperty)
		props := propertyInput{}
		for k, v := range in.Properties {
			props[k] = v
		}
		if r == nil && in.IDProperty != "hs_object_id" {
			// A created record takes the id value as its idProperty value.
			props[in.IDProperty] = []byte(`"` + strings.ReplaceAll(in.ID, `"`, `\"`) + `"`)
		}
		values, verr := c.checkValues(ot, props, r == nil)
		if verr != nil {
			failures = append(failures, itemFailure{traceID: in.ObjectWriteTraceID, invalid: verr})
			continue
		}
		good = append(good, prepared{in: in, r: r, values: values})
	}
	if len(failures) > 0 && !multiStatus {
		return c.wholeBatchFailure(failures[0])
	}
	var results []recordJSON
	var errs []standardError
	for _, p := range good {
		created := p.r == nil
		r := p.r
		var conflict *conflictError
		if created {
			r, conflict = c.acct.createRecord(ot, p.values, c.now)
		} else {
			conflict = c.acct.updateRecord(ot, r, p.values, c.now)
		}
		if conflict != nil {
			errs = append(errs, c.failureAsError(itemFailure{traceID: p.in.ObjectWriteTraceID, conflict: conflict}))
			continue
		}
		c.s.counters.writes++
		rj := c.renderWritten(ot, r, p.values)
		rj.New = &created
		rj.ObjectWriteTraceID = p.in.ObjectWriteTraceID
		results = append(results, rj)
	}
	for _, f := range failures {
		errs = append(errs, c.failureAsError(f))
	}
	return c.finish(http.StatusOK, results, errs)
}
