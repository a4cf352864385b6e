package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// schemaType resolves the object type of a properties route and checks the schema
// scopes for it.
func (c *call) schemaType(mode access) (*objectType, reply, bool) {
	ot, ok := lookupObjectType(c.r.PathValue("objectType"))
	if !ok {
		return nil, c.badRequest("Unable to infer object type from: %s", c.r.PathValue("objectType")), false
	}
	scopes := ot.schemaReadScopes()
	if mode == accessWrite {
		scopes = ot.schemaWriteScopes()
	}
	if rep, ok := c.requireAny(scopes); !ok {
		return nil, rep, false
	}
	return ot, reply{}, true
}

// listProperties answers GET /crm/v3/properties/{objectType}: {results} with no paging;
// archived=true lists only the archived properties.
func listProperties(c *call) reply {
	ot, rep, ok := c.schemaType(accessRead)
	if !ok {
		return rep
	}
	archived := c.r.URL.Query().Get("archived") == "true"
	return jsonReply(http.StatusOK, map[string]any{"results": c.acct.schema[ot.name].list(archived)})
}

func getProperty(c *call) reply {
	ot, rep, ok := c.schemaType(accessRead)
	if !ok {
		return rep
	}
	name := c.r.PathValue("propertyName")
	p, found := c.acct.schema[ot.name].byName[name]
	archived := c.r.URL.Query().Get("archived") == "true"
	if !found || p.Archived != archived {
		return c.fail(http.StatusNotFound, categoryObjectNotFound,
			fmt.Sprintf("Unable to find property %s for object type %s", name, ot.typeID))
	}
	return jsonReply(http.StatusOK, p)
}

// createProperty answers POST /crm/v3/properties/{objectType} with 201, or 409 when the
// name is taken (archived names included, as in HubSpot).
func createProperty(c *call) reply {
	ot, rep, ok := c.schemaType(accessWrite)
	if !ok {
		return rep
	}
	var p Property
	if err := decodeJSON(c.r, &p); err != nil {
		return c.badRequest("Invalid input JSON: %v", err)
	}
	created, err := c.acct.addCustomProperty(ot, p, c.now)
	if err != nil {
		if errors.Is(err, errPropertyExists) {
			return c.fail(http.StatusConflict, categoryConflict,
				fmt.Sprintf("A property named '%s' already exists.", p.Name))
		}
		return c.badRequest("%v", err)
	}
	return jsonReply(http.StatusCreated, created)
}

var errPropertyExists = fmt.Errorf("property exists")

func (a *account) addCustomProperty(ot *objectType, p Property, now time.Time) (Property, error) {
	ps := a.schema[ot.name]
	if _, dup := ps.byName[p.Name]; dup {
		return Property{}, errPropertyExists
	}
	if err := validateNewProperty(&p, now); err != nil {
		return Property{}, err
	}
	ps.add(p)
	return *ps.byName[p.Name], nil
}

// CreateProperty adds a custom property to an account, as the properties API does.
func (s *Sandbox) CreateProperty(hubID int64, objectType string, p Property) (Property, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.accountLocked(hubID)
	if err != nil {
		return Property{}, err
	}
	ot, ok := lookupObjectType(objectType)
	if !ok {
		return Property{}, fmt.Errorf("sandbox: unknown object type %q", objectType)
	}
	return a.addCustomProperty(ot, p, s.now())
}

// ArchiveProperty archives a property (it disappears from reads and writes and shows
// up under archived=true).
func (s *Sandbox) ArchiveProperty(hubID int64, objectType, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.accountLocked(hubID)
	if err != nil {
		return err
	}
	ot, ok := lookupObjectType(objectType)
	if !ok {
		return fmt.Errorf("sandbox: unknown object type %q", objectType)
	}
	p, ok := a.schema[ot.name].byName[name]
	if !ok {
		return ErrNotFound
	}
	p.Archived, p.ArchivedAt = true, isoMillis(s.now())
	return nil
}
