package hubspot

import (
	"context"
	"fmt"
)

// EngagementType is an activity object that can be created on a contact's
// timeline by a private app (which cannot create timeline events).
type EngagementType string

const (
	EngagementNote          EngagementType = "notes"
	EngagementCall          EngagementType = "calls"
	EngagementCommunication EngagementType = "communications" // SMS, WhatsApp, LinkedIn messages
)

// ToContactAssociationType is the HUBSPOT_DEFINED association type id from
// the engagement to a contact (note→contact 202, call→contact 194,
// communication→contact 81). The reverse direction has other ids.
func (t EngagementType) ToContactAssociationType() (int, bool) {
	switch t {
	case EngagementNote:
		return 202, true
	case EngagementCall:
		return 194, true
	case EngagementCommunication:
		return 81, true
	}
	return 0, false
}

// EngagementInput is one activity to log.
type EngagementInput struct {
	Type EngagementType
	// Properties must include hs_timestamp (ISO 8601 or epoch ms), which
	// places it on the timeline, e.g. hs_note_body, hs_call_body,
	// hs_communication_channel_type (WHATS_APP, LINKEDIN_MESSAGE, SMS).
	Properties map[string]string
	// ContactIDs are associated with the default engagement→contact type.
	ContactIDs []string
	// Associations are any further associations (companies, deals…).
	Associations []AssociationInput
}

// CreateEngagement creates a note, call or communication already associated
// with its contacts, in one request (201). For communications it sets
// hs_communication_logged_from to "CRM", which HubSpot requires.
//
// Not idempotent (see CreateObject): a caller needing exactly-once delivery
// must check for the engagement before re-sending after ErrUnavailable.
func (c *Client) CreateEngagement(ctx context.Context, in EngagementInput) (*Object, error) {
	typeID, ok := in.Type.ToContactAssociationType()
	if !ok {
		return nil, invalid("unknown engagement type %q", string(in.Type))
	}
	if in.Properties["hs_timestamp"] == "" {
		return nil, invalid("%s need an hs_timestamp", string(in.Type))
	}
	props := make(map[string]string, len(in.Properties)+1)
	for k, v := range in.Properties {
		props[k] = v
	}
	if in.Type == EngagementCommunication && props["hs_communication_logged_from"] == "" {
		props["hs_communication_logged_from"] = "CRM"
	}
	assocs := make([]AssociationInput, 0, len(in.ContactIDs)+len(in.Associations))
	for _, id := range in.ContactIDs {
		if id == "" {
			return nil, fmt.Errorf("%w: empty contact id", ErrInvalidRequest)
		}
		assocs = append(assocs, AssociateTo(id, typeID))
	}
	assocs = append(assocs, in.Associations...)
	return c.CreateObject(ctx, string(in.Type), CreateObjectInput{Properties: props, Associations: assocs})
}
