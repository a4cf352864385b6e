package sandbox

import (
	"cmp"
	"net/http"
	"strings"
)

// resolveIDProperties gives each input its idProperty (its own, else the request's, else
// def) and refuses one that is not a unique property, or is refused (batch update refuses
// email, batch upsert hs_object_id). It returns the inputs' ids.
func (c *call) resolveIDProperties(ot *objectType, req *batchRequest, def, refused string) ([]string, reply, bool) {
	ids := make([]string, len(req.Inputs))
	for i, in := range req.Inputs {
		idProp := cmp.Or(in.IDProperty, req.IDProperty, def)
		if (refused != "" && idProp == refused) || !c.acct.isUniqueIDProperty(ot, idProp) {
			return nil, c.badRequest("Unable to perform update/upsert by non-unique %s property %s", ot.typeID, idProp), false
		}
		req.Inputs[i].IDProperty = idProp
		ids[i] = in.ID
	}
	return ids, reply{}, true
}

// batchUpdate updates records by id or by a hasUniqueValue property. Unlike the single
// PATCH, it refuses idProperty=email with HubSpot's non-unique property error
// (https://github.com/HubSpot/hubspot-api-nodejs/issues/548).
func batchUpdate(c *call) reply {
	ot, req, rep, ok := c.objectBatch(accessWrite)
	if !ok {
		return rep
	}
	ids, rep, ok := c.resolveIDProperties(ot, &req, "", "email")
	if !ok {
		return rep
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
	var notFound []standardError
	if len(missing) > 0 {
		notFound = append(notFound, newStandardError(categoryObjectNotFound, "Could not get some "+ot.upper()+
			" objects, they may be deleted or not exist. Check that ids are valid.", map[string][]string{"ids": missing}))
	}
	return writeBatch(c, http.StatusOK, multiStatus, good, failures, func(p prepared) (recordJSON, *itemFailure) {
		if conflict := c.acct.updateRecord(ot, p.r, p.values, c.now); conflict != nil {
			return recordJSON{}, &itemFailure{traceID: p.in.ObjectWriteTraceID, conflict: conflict}
		}
		c.s.counters.writes++
		rj := c.renderWritten(ot, p.r, p.values)
		rj.ObjectWriteTraceID = p.in.ObjectWriteTraceID
		return rj, nil
	}, notFound...)
}

// batchUpsert creates or updates by idProperty (inside each input). Contacts may be
// upserted by email; then the batch is all-or-nothing, since HubSpot does not support
// partial upserts by email. Results carry "new".
//
// idProperty must be a property with unique values (email for contacts, or a
// hasUniqueValue property): HubSpot answers hs_object_id, the record id, with its
// non-unique property 400, since an upsert must be able to create the record it names
// (https://developers.hubspot.com/docs/api/crm/contacts, "upsert contacts"). An input
// without idProperty means hs_object_id and is refused the same way (unverified).
func batchUpsert(c *call) reply {
	ot, req, rep, ok := c.objectBatch(accessWrite)
	if !ok {
		return rep
	}
	ids, rep, ok := c.resolveIDProperties(ot, &req, "hs_object_id", "hs_object_id")
	if !ok {
		return rep
	}
	byEmail := false
	for _, in := range req.Inputs {
		byEmail = byEmail || (ot.name == "contacts" && in.IDProperty == "email")
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
		if r == nil {
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
	return writeBatch(c, http.StatusOK, multiStatus, good, failures, func(p prepared) (recordJSON, *itemFailure) {
		created := p.r == nil
		r := p.r
		var conflict *conflictError
		if created {
			r, conflict = c.acct.createRecord(ot, p.values, c.now)
		} else {
			conflict = c.acct.updateRecord(ot, r, p.values, c.now)
		}
		if conflict != nil {
			return recordJSON{}, &itemFailure{traceID: p.in.ObjectWriteTraceID, conflict: conflict}
		}
		c.s.counters.writes++
		rj := c.renderWritten(ot, r, p.values)
		rj.New = &created
		rj.ObjectWriteTraceID = p.in.ObjectWriteTraceID
		return rj, nil
	})
}
