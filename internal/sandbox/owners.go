package sandbox

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Owner is a HubSpot owner (a user or queue records can be assigned to) in HubSpot's wire
// shape (PublicOwner of the CRM owners API, https://developers.hubspot.com/docs/api/crm/owners).
// Its ID is what hubspot_owner_id holds; it is not the UserID.
type Owner struct {
	ID        string      `json:"id"`
	Type      string      `json:"type"` // PERSON or QUEUE
	Email     string      `json:"email,omitempty"`
	FirstName string      `json:"firstName,omitempty"`
	LastName  string      `json:"lastName,omitempty"`
	UserID    int64       `json:"userId,omitempty"`
	Teams     []OwnerTeam `json:"teams,omitempty"`
	Archived  bool        `json:"archived"`
	CreatedAt string      `json:"createdAt"`
	UpdatedAt string      `json:"updatedAt"`
}

// OwnerTeam is a team an owner belongs to; Primary marks the owner's main team.
type OwnerTeam struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Primary bool   `json:"primary"`
}

// The teams of the sample owners; "Senior Support" is the team the HubSpot guide's
// routing example sends conversations to.
var (
	teamSales         = OwnerTeam{ID: "5801", Name: "Sales"}
	teamSeniorSupport = OwnerTeam{ID: "5802", Name: "Senior Support"}
)

func primary(t OwnerTeam) OwnerTeam { t.Primary = true; return t }

// firstSampleOwnerID is the id of the first sample owner; owner ids are numbers HubSpot
// assigns, unrelated to user ids.
const firstSampleOwnerID = 41629779

// sampleOwners are the owners every account starts with: one per team, one in both, one in
// none, and one archived (a deactivated user, still named on old records).
func sampleOwners(ts string) []Owner {
	owner := func(i int, first, last string, archived bool, teams ...OwnerTeam) Owner {
		return Owner{ID: strconv.FormatInt(firstSampleOwnerID+int64(i), 10), Type: "PERSON",
			Email:     strings.ToLower(first + "." + last + "@northwind.example"),
			FirstName: first, LastName: last, UserID: 9_100_001 + int64(i), Teams: teams,
			Archived: archived, CreatedAt: ts, UpdatedAt: ts}
	}
	return []Owner{
		owner(0, "Maya", "Patel", false, primary(teamSales)),
		owner(1, "Jonas", "Weber", false, primary(teamSeniorSupport)),
		owner(2, "Aiko", "Tanaka", false, primary(teamSeniorSupport), teamSales),
		owner(3, "Luis", "Ortega", false),
		owner(4, "Grace", "Kim", true, primary(teamSeniorSupport)),
	}
}

// Owner page sizes: HubSpot's default and largest limit of the owners list.
const (
	defaultOwnerLimit = 100
	maxOwnerLimit     = 500
)

// listOwners answers GET /crm/v3/owners: active owners (archived=true: the archived ones
// only), optionally the one with an email, paged by an opaque after cursor (here an
// offset). It needs crm.objects.owners.read.
func listOwners(c *call) reply {
	if rep, ok := c.requireAny([]string{"crm.objects.owners.read"}); !ok {
		return rep
	}
	q := c.r.URL.Query()
	limit := defaultOwnerLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxOwnerLimit {
			return c.badRequest("limit must be a number from 1 to %d, not %q", maxOwnerLimit, s)
		}
		limit = n
	}
	offset := 0
	if s := q.Get("after"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return c.badRequest("Invalid after cursor: %q", s)
		}
		offset = n
	}
	archived := q.Get("archived") == "true"
	email := q.Get("email")
	var matching []Owner
	for _, o := range c.acct.owners {
		if o.Archived == archived && (email == "" || strings.EqualFold(o.Email, email)) {
			matching = append(matching, o)
		}
	}
	page := []Owner{}
	if offset < len(matching) {
		page = matching[offset:min(offset+limit, len(matching))]
	}
	body := map[string]any{"results": page}
	if next := offset + limit; next < len(matching) {
		after := strconv.Itoa(next)
		body["paging"] = map[string]any{"next": map[string]string{"after": after,
			"link": "https://api.hubapi.com/crm/v3/owners/?after=" + after}}
	}
	return jsonReply(http.StatusOK, body)
}

// CreateOwner adds an owner to an account, as adding a user in HubSpot does. An empty ID
// is the next free one; an empty Type is PERSON.
func (s *Sandbox) CreateOwner(hubID int64, o Owner) (Owner, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.accountLocked(hubID)
	if err != nil {
		return Owner{}, err
	}
	if o.ID == "" {
		a.nextOwnerID++
		o.ID = strconv.FormatInt(a.nextOwnerID, 10)
	}
	for _, existing := range a.owners {
		if existing.ID == o.ID {
			return Owner{}, fmt.Errorf("sandbox: owner %s already exists", o.ID)
		}
	}
	if o.Type == "" {
		o.Type = "PERSON"
	}
	ts := isoMillis(s.now())
	o.CreatedAt, o.UpdatedAt = ts, ts
	o.Teams = append([]OwnerTeam(nil), o.Teams...)
	a.owners = append(a.owners, o)
	return o, nil
}

// Owners lists an account's owners, archived ones included, in creation order.
func (s *Sandbox) Owners(hubID int64) ([]Owner, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, err := s.accountLocked(hubID)
	if err != nil {
		return nil, err
	}
	out := make([]Owner, len(a.owners))
	for i, o := range a.owners {
		o.Teams = append([]OwnerTeam(nil), o.Teams...)
		out[i] = o
	}
	return out, nil
}
