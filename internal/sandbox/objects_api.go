package sandbox

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
)

const (
	listDefaultLimit = 10
	listMaxLimit     = 100
)

// queryList reads a multi-valued query parameter given either repeated or
// comma-separated (the npm client sends "a,b").
func queryList(c *call, key string) []string {
	var out []string
	for _, v := range c.r.URL.Query()[key] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// writeInput is one create/update/upsert input (single or batch).
type writeInput struct {
	ID                 string              `json:"id"`
	IDProperty         string              `json:"idProperty"`
	Properties         propertyInput       `json:"properties"`
	Associations       []inlineAssociation `json:"associations"`
	ObjectWriteTraceID string              `json:"objectWriteTraceId"`
}

// checkValues validates a write's values and the stage against the pipeline of current
// (the record updated, nil on create), that lifecyclestage does not move backward, then
// (on create) that the required properties are set, then the account admin's write rules,
// returning the 400 to answer when they are not.
func (c *call) checkValues(ot *objectType, in propertyInput, current *record) (map[string]string, *apiError) {
	values, errs := validateValues(c.acct, c.acct.schema[ot.name], in.strings())
	if len(errs) == 0 {
		errs = c.acct.checkStage(ot, current, values)
	}
	creating := current == nil
	if len(errs) > 0 {
		body := propertyErrorsBody(c.correlationID, errs)
		return nil, &body
	}
	if d := c.acct.checkLifecycle(ot, current, values); d != nil {
		return nil, &apiError{Status: "error", Message: d.Message, CorrelationID: c.correlationID,
			Category: categoryValidation, Errors: []errorDetail{*d}}
	}
	if creating {
		var missing []string
		for _, req := range ot.requiredOnCreate {
			if values[req] == "" {
				missing = append(missing, req)
			}
		}
		if len(missing) > 0 {
			body := missingRequiredBody(c.correlationID, ot, missing)
			return nil, &body
		}
	}
	if details := c.acct.checkWriteRules(ot, current, values); len(details) > 0 {
		body := writeRulesBody(c.correlationID, details)
		return nil, &body
	}
	return values, nil
}

func (c *call) conflict(e *conflictError) reply {
	return c.fail(http.StatusConflict, categoryConflict, "Contact already exists. Existing ID: "+e.existingID)
}

// renderWritten renders a record after a write: the defaults plus what was written.
func (c *call) renderWritten(ot *objectType, r *record, written map[string]string) recordJSON {
	names := append(append([]string{}, ot.defaultProps...), "hs_object_id", ot.createdProp, ot.modifiedProp)
	for n := range written {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return c.acct.render(ot, r, names, nil)
}

func listObjects(c *call) reply {
	ot, rep, ok := c.objectType("objectType", accessRead)
	if !ok {
		return rep
	}
	q := c.r.URL.Query()
	limit := listDefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return c.badRequest("limit must be a positive integer")
		}
		limit = min(n, listMaxLimit)
	}
	after := int64(0)
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return c.badRequest("Invalid after cursor: %s", v)
		}
		after = n
	}
	archived := q.Get("archived") == "true"
	ids := c.acct.sortedIDs(ot, func(r *record) bool { return r.archived == archived })
	var page []recordJSON
	var next string
	for _, id := range ids {
		if id < after {
			continue
		}
		if len(page) == limit {
			next = strconv.FormatInt(id, 10)
			break
		}
		r := c.acct.records[ot.name][strconv.FormatInt(id, 10)]
		rj := c.acct.render(ot, r, queryList(c, "properties"), queryList(c, "propertiesWithHistory"))
		rj.Associations = c.v3Associations(ot, r, queryList(c, "associations"))
		page = append(page, rj)
	}
	body := map[string]any{"results": nonNil(page)}
	if next != "" {
		body["paging"] = nextPaging(c, next)
	}
	return jsonReply(http.StatusOK, body)
}

// sortedIDs lists record ids (as numbers) in ascending order.
func (a *account) sortedIDs(ot *objectType, keep func(*record) bool) []int64 {
	ids := make([]int64, 0, len(a.records[ot.name]))
	for id, r := range a.records[ot.name] {
		if keep(r) {
			n, _ := strconv.ParseInt(id, 10, 64)
			ids = append(ids, n)
		}
	}
	slices.Sort(ids)
	return ids
}

func nextPaging(c *call, after string) map[string]any {
	q := c.r.URL.Query()
	q.Set("after", after)
	link := "http://" + c.r.Host + c.r.URL.Path + "?" + q.Encode()
	return map[string]any{"next": map[string]any{"after": after, "link": link}}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func getObject(c *call) reply {
	ot, rep, ok := c.objectType("objectType", accessRead)
	if !ok {
		return rep
	}
	idProp := c.r.URL.Query().Get("idProperty")
	if !c.acct.isUniqueIDProperty(ot, idProp) {
		return c.badRequest("Unable to perform get by non-unique %s property %s", ot.typeID, idProp)
	}
	id := c.r.PathValue("objectId")
	r := c.acct.findRecord(ot, id, idProp)
	if r == nil && c.r.URL.Query().Get("archived") == "true" {
		if ar, ok := c.acct.records[ot.name][id]; ok && ar.archived {
			r = ar
		}
	}
	if r == nil {
		return c.notFound()
	}
	rj := c.acct.render(ot, r, queryList(c, "properties"), queryList(c, "propertiesWithHistory"))
	rj.Associations = c.v3Associations(ot, r, queryList(c, "associations"))
	return jsonReply(http.StatusOK, rj)
}

func createObject(c *call) reply {
	ot, rep, ok := c.objectType("objectType", accessWrite)
	if !ok {
		return rep
	}
	var in writeInput
	if err := decodeJSON(c.r, &in); err != nil {
		return c.badRequest("Invalid input JSON on line 1: %v", err)
	}
	values, verr := c.checkValues(ot, in.Properties, nil)
	if verr != nil {
		return jsonReply(http.StatusBadRequest, verr)
	}
	links, msg := c.resolveInline(ot, in.Associations)
	if msg != "" {
		return c.badRequest("%s", msg)
	}
	r, conflict := c.acct.createRecord(ot, values, c.now)
	if conflict != nil {
		return c.conflict(conflict)
	}
	c.acct.applyInline(ot, r.id, links)
	c.s.counters.writes += 1 + len(links)
	return jsonReply(http.StatusCreated, c.renderWritten(ot, r, values))
}

func updateObject(c *call) reply {
	ot, rep, ok := c.objectType("objectType", accessWrite)
	if !ok {
		return rep
	}
	idProp := c.r.URL.Query().Get("idProperty")
	if !c.acct.isUniqueIDProperty(ot, idProp) {
		return c.badRequest("Unable to perform update/upsert by non-unique %s property %s", ot.typeID, idProp)
	}
	r := c.acct.findRecord(ot, c.r.PathValue("objectId"), idProp)
	if r == nil {
		return c.notFound()
	}
	var in writeInput
	if err := decodeJSON(c.r, &in); err != nil {
		return c.badRequest("Invalid input JSON on line 1: %v", err)
	}
	values, verr := c.checkValues(ot, in.Properties, r)
	if verr != nil {
		return jsonReply(http.StatusBadRequest, verr)
	}
	if conflict := c.acct.updateRecord(ot, r, values, c.now); conflict != nil {
		return c.conflict(conflict)
	}
	c.s.counters.writes++
	return jsonReply(http.StatusOK, c.renderWritten(ot, r, values))
}

// archiveObject answers 204 even for an unknown id, as HubSpot does.
func archiveObject(c *call) reply {
	ot, rep, ok := c.objectType("objectType", accessWrite)
	if !ok {
		return rep
	}
	if r := c.acct.findRecord(ot, c.r.PathValue("objectId"), ""); r != nil {
		c.acct.archiveRecord(ot, r, c.now)
		c.s.counters.writes++
	}
	return noContent()
}
