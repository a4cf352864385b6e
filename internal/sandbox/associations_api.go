package sandbox

import (
	"net/http"
	"strconv"
)

const maxAssociationPage = 500

type associationTypeJSON struct {
	Category string  `json:"category"`
	TypeID   int     `json:"typeId"`
	Label    *string `json:"label"`
}

// associatedObject is MultiAssociatedObjectWithLabel. toObjectId is a number, as real
// responses send it, although HubSpot's OpenAPI spec types it as a string.
type associatedObject struct {
	ToObjectID       int64                 `json:"toObjectId"`
	AssociationTypes []associationTypeJSON `json:"associationTypes"`
}

func typeJSON(t *assocType) associationTypeJSON {
	out := associationTypeJSON{Category: "HUBSPOT_DEFINED", TypeID: t.typeID}
	if t.label != "" {
		l := t.label
		out.Label = &l
	}
	return out
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// pairTypes resolves the from and to types of a v4 route and checks the from type's
// scopes.
func (c *call) pairTypes(mode access) (*objectType, *objectType, reply, bool) {
	from, rep, ok := c.objectType("objectType", mode)
	if !ok {
		return nil, nil, rep, false
	}
	to, ok := lookupObjectType(c.r.PathValue("toObjectType"))
	if !ok {
		return nil, nil, c.badRequest("Unable to infer object type from: %s", c.r.PathValue("toObjectType")), false
	}
	return from, to, reply{}, true
}

func (c *call) associatedObjects(from *objectType, id string, to *objectType) []associatedObject {
	ref := objRef{from.name, id}
	var out []associatedObject
	for _, target := range c.acct.links.targets(ref, to.name) {
		ao := associatedObject{ToObjectID: atoi64(target.id)}
		for _, typeID := range c.acct.links.links[ref][target] {
			if t, ok := findAssocType(from.name, typeID); ok {
				ao.AssociationTypes = append(ao.AssociationTypes, typeJSON(t))
			}
		}
		out = append(out, ao)
	}
	return out
}

// listAssociations answers GET /crm/v4/objects/{type}/{id}/associations/{toType}.
func listAssociations(c *call) reply {
	from, to, rep, ok := c.pairTypes(accessRead)
	if !ok {
		return rep
	}
	limit := maxAssociationPage
	if v := c.r.URL.Query().Get("limit"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			limit = min(n, maxAssociationPage)
		}
	}
	after := atoi64(c.r.URL.Query().Get("after"))
	all := c.associatedObjects(from, c.r.PathValue("objectId"), to)
	var page []associatedObject
	var next string
	for _, ao := range all {
		if ao.ToObjectID < after {
			continue
		}
		if len(page) == limit {
			next = strconv.FormatInt(ao.ToObjectID, 10)
			break
		}
		page = append(page, ao)
	}
	body := map[string]any{"results": nonNil(page)}
	if next != "" {
		body["paging"] = nextPaging(c, next)
	}
	return jsonReply(http.StatusOK, body)
}

// bothExist returns the 404 to answer unless both ends of a pair are live records.
func (c *call) bothExist(from *objectType, fromID string, to *objectType, toID string) (reply, bool) {
	if c.acct.findRecord(from, fromID, "") == nil || c.acct.findRecord(to, toID, "") == nil {
		return c.notFound(), false
	}
	return reply{}, true
}

type objectID struct {
	ID flexID `json:"id"`
}

type defaultAssociationJSON struct {
	From            objectID        `json:"from"`
	To              objectID        `json:"to"`
	AssociationSpec associationSpec `json:"associationSpec"`
}

// associateDefault creates the pair's unlabelled type and returns both directions, as
// BatchResponsePublicDefaultAssociation lists them.
func (c *call) associateDefault(from *objectType, fromID string, to *objectType, toID string) ([]defaultAssociationJSON, string) {
	t, ok := defaultAssocType(from.name, to.name)
	if !ok {
		return nil, "No default association type exists from " + from.typeID + " to " + to.typeID
	}
	c.acct.links.add(t, fromID, toID)
	c.s.counters.writes++
	return []defaultAssociationJSON{
		{From: objectID{flexID(fromID)}, To: objectID{flexID(toID)},
			AssociationSpec: associationSpec{"HUBSPOT_DEFINED", t.typeID}},
		{From: objectID{flexID(toID)}, To: objectID{flexID(fromID)},
			AssociationSpec: associationSpec{"HUBSPOT_DEFINED", t.reverse}},
	}, ""
}

func putDefaultAssociation(c *call) reply {
	from, to, rep, ok := c.pairTypes(accessWrite)
	if !ok {
		return rep
	}
	fromID, toID := c.r.PathValue("objectId"), c.r.PathValue("toObjectId")
	if rep, ok := c.bothExist(from, fromID, to, toID); !ok {
		return rep
	}
	results, msg := c.associateDefault(from, fromID, to, toID)
	if msg != "" {
		return c.badRequest("%s", msg)
	}
	return jsonReply(http.StatusOK, map[string]any{"status": "COMPLETE", "results": results,
		"startedAt": isoMillis(c.now), "completedAt": isoMillis(c.now)})
}

// labelsBetween is LabelsBetweenObjectPair; ids are numbers as in real responses.
type labelsBetween struct {
	FromObjectTypeID string   `json:"fromObjectTypeId"`
	FromObjectID     int64    `json:"fromObjectId"`
	ToObjectTypeID   string   `json:"toObjectTypeId"`
	ToObjectID       int64    `json:"toObjectId"`
	Labels           []string `json:"labels"`
}

// setLabels adds association types to a pair, after checking every type id is valid in
// this direction.
func (c *call) setLabels(from *objectType, fromID string, to *objectType, toID string, specs []associationSpec) (labelsBetween, string) {
	types, msg := labelTypes(from, to, specs)
	if msg != "" {
		return labelsBetween{}, msg
	}
	return c.applyLabels(from, fromID, to, toID, types), ""
}

// labelTypes resolves the association types of a labelled write, or says why it cannot.
func labelTypes(from, to *objectType, specs []associationSpec) ([]*assocType, string) {
	var types []*assocType
	for _, spec := range specs {
		t, ok := findAssocType(from.name, spec.AssociationTypeID)
		if !ok || t.to != to.name {
			return nil, "association type id " + strconv.Itoa(spec.AssociationTypeID) +
				" is not valid from " + from.typeID + " to " + to.typeID
		}
		types = append(types, t)
	}
	if len(types) == 0 {
		return nil, "at least one association type is required"
	}
	return types, ""
}

// applyLabels ADDS types to the association types between a pair: a labelled write
// (the v4 PUT and batch create) keeps the pair's other labels, as HubSpot does
// (https://developers.hubspot.com/docs/api/crm/associations, "associate records with a
// label"); to drop a label, delete the pair's associations and write those to keep. The
// answer lists the pair's labels after the write (the unlabelled type has none).
func (c *call) applyLabels(from *objectType, fromID string, to *objectType, toID string, types []*assocType) labelsBetween {
	for _, t := range types {
		c.acct.links.add(t, fromID, toID)
	}
	out := labelsBetween{FromObjectTypeID: from.typeID, FromObjectID: atoi64(fromID),
		ToObjectTypeID: to.typeID, ToObjectID: atoi64(toID), Labels: []string{}}
	for _, id := range c.acct.links.typeIDs(objRef{from.name, fromID}, objRef{to.name, toID}) {
		if t, ok := findAssocType(from.name, id); ok && t.label != "" {
			out.Labels = append(out.Labels, t.label)
		}
	}
	c.s.counters.writes++
	return out
}

func putLabelledAssociation(c *call) reply {
	from, to, rep, ok := c.pairTypes(accessWrite)
	if !ok {
		return rep
	}
	fromID, toID := c.r.PathValue("objectId"), c.r.PathValue("toObjectId")
	var specs []associationSpec
	if err := decodeJSON(c.r, &specs); err != nil {
		return c.badRequest("Invalid input JSON: %v", err)
	}
	if rep, ok := c.bothExist(from, fromID, to, toID); !ok {
		return rep
	}
	out, msg := c.setLabels(from, fromID, to, toID, specs)
	if msg != "" {
		return c.badRequest("%s", msg)
	}
	return jsonReply(http.StatusCreated, out)
}

func deleteAssociations(c *call) reply {
	from, to, rep, ok := c.pairTypes(accessWrite)
	if !ok {
		return rep
	}
	c.acct.links.removePair(objRef{from.name, c.r.PathValue("objectId")}, objRef{to.name, c.r.PathValue("toObjectId")})
	c.s.counters.writes++
	return noContent()
}

func associationLabels(c *call) reply {
	from, to, rep, ok := c.pairTypes(accessRead)
	if !ok {
		return rep
	}
	var out []associationTypeJSON
	for _, t := range typesBetween(from.name, to.name) {
		out = append(out, typeJSON(&t))
	}
	return jsonReply(http.StatusOK, map[string]any{"results": nonNil(out)})
}
