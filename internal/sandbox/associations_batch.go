package sandbox

import (
	"encoding/json"
	"net/http"
)

type associationBatchInput struct {
	ID    flexID            `json:"id"`
	From  objectID          `json:"from"`
	To    objectIDs         `json:"to"`
	Types []associationSpec `json:"types"`
}

// objectIDs accepts "to" as one {id} (create, associate) or a list (archive).
type objectIDs []objectID

func (o *objectIDs) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var list []objectID
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		*o = list
		return nil
	}
	var one objectID
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*o = objectIDs{one}
	return nil
}

func (c *call) readAssociationBatch() ([]associationBatchInput, reply, bool) {
	var req struct {
		Inputs []associationBatchInput `json:"inputs"`
	}
	if err := decodeJSON(c.r, &req); err != nil {
		return nil, c.badRequest("Invalid input JSON: %v", err), false
	}
	if len(req.Inputs) > maxBatchInputs*10 {
		// The v4 association batch endpoints take up to 1,000 inputs.
		return nil, c.badRequest("Batch input size %d exceeds the limit of 1000 inputs", len(req.Inputs)), false
	}
	return req.Inputs, reply{}, true
}

// batchReadAssociations answers POST /crm/v4/associations/{from}/{to}/batch/read.
// Objects without associations come back as 207 errors, as HubSpot reports them.
func batchReadAssociations(c *call) reply {
	from, to, inputs, rep, ok := c.associationBatch(accessRead)
	if !ok {
		return rep
	}
	type result struct {
		From objectID           `json:"from"`
		To   []associatedObject `json:"to"`
	}
	var results []result
	var errs []standardError
	for _, in := range inputs {
		id := string(in.ID)
		if id == "" {
			id = string(in.From.ID)
		}
		linked := c.associatedObjects(from, id, to)
		if len(linked) == 0 {
			errs = append(errs, newStandardError("OBJECT_NOT_FOUND",
				"No "+to.singular+" is associated with "+from.singular+" "+id+".",
				map[string][]string{"fromObjectId": {id}}))
			continue
		}
		results = append(results, result{From: objectID{flexID(id)}, To: linked})
	}
	c.s.rng.Shuffle(len(results), func(i, j int) { results[i], results[j] = results[j], results[i] })
	body := map[string]any{"status": "COMPLETE", "results": nonNil(results),
		"startedAt": isoMillis(c.now), "completedAt": isoMillis(c.now)}
	status := http.StatusOK
	if len(errs) > 0 {
		body["numErrors"], body["errors"], status = len(errs), errs, http.StatusMultiStatus
	}
	return jsonReply(status, body)
}

// associationWrite is one input of a batch association write, checked.
type associationWrite struct {
	fromID, toID string
	types        []*assocType // labelled writes only
}

// checkAssociationWrites checks every input of a batch association write before any is
// applied: each names one "to" object, both objects exist, and (for labelled writes) its
// types are valid in this direction. A refused batch thus changes nothing, which is the
// sandbox's choice: HubSpot does not document what a refused batch leaves behind.
func (c *call) checkAssociationWrites(from, to *objectType, inputs []associationBatchInput, labelled bool) ([]associationWrite, reply, bool) {
	writes := make([]associationWrite, 0, len(inputs))
	for _, in := range inputs {
		if len(in.To) != 1 {
			return nil, c.badRequest("each input needs one \"to\" object"), false
		}
		w := associationWrite{fromID: string(in.From.ID), toID: string(in.To[0].ID)}
		if rep, ok := c.bothExist(from, w.fromID, to, w.toID); !ok {
			return nil, rep, false
		}
		if labelled {
			var msg string
			if w.types, msg = labelTypes(from, to, in.Types); msg != "" {
				return nil, c.badRequest("%s", msg), false
			}
		}
		writes = append(writes, w)
	}
	return writes, reply{}, true
}

// associationBatch resolves the pair of object types of a v4 batch route and decodes its
// inputs.
func (c *call) associationBatch(mode access) (from, to *objectType, inputs []associationBatchInput, rep reply, ok bool) {
	if from, to, rep, ok = c.pairTypes(mode); !ok {
		return nil, nil, nil, rep, false
	}
	inputs, rep, ok = c.readAssociationBatch()
	return from, to, inputs, rep, ok
}

func batchAssociateDefault(c *call) reply {
	from, to, inputs, rep, ok := c.associationBatch(accessWrite)
	if !ok {
		return rep
	}
	if _, ok := defaultAssocType(from.name, to.name); !ok {
		return c.badRequest("No default association type exists from %s to %s", from.typeID, to.typeID)
	}
	writes, rep, ok := c.checkAssociationWrites(from, to, inputs, false)
	if !ok {
		return rep
	}
	var results []defaultAssociationJSON
	for _, w := range writes {
		r, _ := c.associateDefault(from, w.fromID, to, w.toID) // the type was checked above
		results = append(results, r...)
	}
	return jsonReply(http.StatusOK, map[string]any{"status": "COMPLETE", "results": nonNil(results),
		"startedAt": isoMillis(c.now), "completedAt": isoMillis(c.now)})
}

func batchCreateAssociations(c *call) reply {
	from, to, inputs, rep, ok := c.associationBatch(accessWrite)
	if !ok {
		return rep
	}
	writes, rep, ok := c.checkAssociationWrites(from, to, inputs, true)
	if !ok {
		return rep
	}
	results := make([]labelsBetween, 0, len(writes))
	for _, w := range writes {
		results = append(results, c.applyLabels(from, w.fromID, to, w.toID, w.types))
	}
	return jsonReply(http.StatusCreated, map[string]any{"status": "COMPLETE", "results": nonNil(results),
		"startedAt": isoMillis(c.now), "completedAt": isoMillis(c.now)})
}

func batchArchiveAssociations(c *call) reply {
	from, to, inputs, rep, ok := c.associationBatch(accessWrite)
	if !ok {
		return rep
	}
	for _, in := range inputs {
		for _, target := range in.To {
			c.acct.links.removePair(objRef{from.name, string(in.From.ID)}, objRef{to.name, string(target.ID)})
			c.s.counters.writes++
		}
	}
	return noContent()
}
