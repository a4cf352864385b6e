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
// (https://github.com/HubSpot/hubspot-api-nodejs/issues/548). It succeeds or fails as a
// whole (see batchUpsert): an unknown id fails the call with 404 OBJECT_NOT_FOUND
// naming the ids (unverified) and nothing is written.
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
	var good []preparedWrite
	var failures []itemFailure
	var missing []string
	claimed := map[string]bool{}
	for _, in := range req.Inputs {
		r := c.acct.findRecord(ot, in.ID, in.IDProperty)
		if r == nil {
			missing = append(missing, in.ID)
			continue
		}
		p, f := c.prepareWrite(ot, in, in.Properties, r, claimed)
		if f != nil {
			failures = append(failures, *f)
			continue
		}
		good = append(good, p)
	}
	if len(missing) > 0 {
		return jsonReply(http.StatusNotFound, apiError{Status: "error", Message: "Could not get some " + ot.upper() +
			" objects, they may be deleted or not exist. Check that ids are valid.", CorrelationID: c.correlationID,
			Category: categoryObjectNotFound, Context: map[string][]string{"ids": missing}})
	}
	return writeBatch(c, http.StatusOK, false, good, failures, func(p preparedWrite) (recordJSON, *itemFailure) {
		if conflict := c.acct.updateRecord(ot, p.r, p.values, c.now); conflict != nil {
			return recordJSON{}, &itemFailure{traceID: p.in.ObjectWriteTraceID, conflict: conflict}
		}
		c.s.counters.writes++
		rj := c.renderWritten(ot, p.r, p.values)
		rj.ObjectWriteTraceID = p.in.ObjectWriteTraceID
		return rj, nil
	})
}

// preparedWrite is one input of a batch update or upsert that passed every check, with the
// record it writes (nil: one to create) and its validated values.
type preparedWrite struct {
	in     writeInput
	r      *record
	values map[string]string
}

// prepareWrite checks one input of a batch update or upsert against r, the record it writes
// (nil: one to create): its values, then its email against the account and the batch's other
// inputs (claimed). Nothing is written until every input of the batch has passed.
func (c *call) prepareWrite(ot *objectType, in writeInput, props propertyInput, r *record, claimed map[string]bool) (preparedWrite, *itemFailure) {
	values, verr := c.checkValues(ot, props, r)
	if verr != nil {
		return preparedWrite{}, &itemFailure{traceID: in.ObjectWriteTraceID, invalid: verr}
	}
	if f := c.emailClaim(ot, r, values, claimed); f != nil {
		return preparedWrite{}, f
	}
	return preparedWrite{in: in, r: r, values: values}, nil
}

// emailClaim refuses, before anything is written, a contact write whose email another
// contact holds (409, as a create would get) or another input of the same batch sets
// (400), so that a batch refused for it changes nothing. r is nil for a record to create.
func (c *call) emailClaim(ot *objectType, r *record, values map[string]string, claimed map[string]bool) *itemFailure {
	email := values["email"]
	if ot.name != "contacts" || email == "" || (r != nil && email == r.props["email"]) {
		return nil
	}
	if id, taken := c.acct.emails[email]; taken && (r == nil || id != r.id) {
		return &itemFailure{conflict: &conflictError{existingID: id}}
	}
	if claimed[email] {
		return &itemFailure{invalid: &apiError{Status: "error", Message: "Duplicate email found in batch input: " + email,
			CorrelationID: c.correlationID, Category: categoryValidation}}
	}
	claimed[email] = true
	return nil
}

// batchUpsert creates or updates by idProperty (inside each input). Results carry "new".
//
// Batch update and upsert succeed or fail as a whole: one invalid input rejects the call
// and nothing is written, objectWriteTraceId or not. HubSpot documents multi-status (207)
// only for batch create ("multi-status … for the object API batch create endpoints",
// https://developers.hubspot.com/docs/api/error-handling), and partial upserts by email
// are explicitly unsupported (https://developers.hubspot.com/docs/api/crm/contacts).
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
	var good []preparedWrite
	var failures []itemFailure
	claimed := map[string]bool{}
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
		p, f := c.prepareWrite(ot, in, props, r, claimed)
		if f != nil {
			failures = append(failures, *f)
			continue
		}
		good = append(good, p)
	}
	return writeBatch(c, http.StatusOK, false, good, failures, func(p preparedWrite) (recordJSON, *itemFailure) {
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
