package changes

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// HubSpot's webhooks (https://developers.hubspot.com/docs/api/webhooks): a POST of a JSON
// array of fewer than 100 events, in no guaranteed order and sometimes repeated, signed with
// the app's client secret (https://developers.hubspot.com/docs/api/webhooks/validating-requests).
const (
	// SignatureHeader is HubSpot's v3 signature: base64(HMAC-SHA256(client secret, method +
	// URI + body + timestamp)).
	SignatureHeader = "X-HubSpot-Signature-v3"
	// TimestampHeader is when HubSpot sent the request, in Unix milliseconds.
	TimestampHeader = "X-HubSpot-Request-Timestamp"
	// MaxClockSkew is how far from now a request's timestamp may be: HubSpot asks receivers to
	// refuse requests older than 5 minutes; one as far in the future is refused too.
	MaxClockSkew = 5 * time.Minute
	// MaxWebhookBody bounds a webhook request's body: HubSpot's batches of fewer than 100
	// events are a few tens of KiB.
	MaxWebhookBody = 1 << 20
	// WebhookPath is where HubSpot posts, on the HTTP listener.
	WebhookPath = "/webhooks/hubspot"
)

// Sign is HubSpot's v3 signature of a request.
func Sign(secret []byte, method, uri string, body []byte, timestamp string) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(method + uri))
	mac.Write(body)
	mac.Write([]byte(timestamp))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify reports whether signature is the v3 signature of the request with secret, compared
// in constant time.
func Verify(secret []byte, method, uri string, body []byte, timestamp, signature string) bool {
	want := Sign(secret, method, uri, body, timestamp)
	return hmac.Equal([]byte(want), []byte(signature))
}

// Errors of CheckTimestamp.
var (
	ErrNoTimestamp    = errors.New("changes: no request timestamp")
	ErrStaleTimestamp = errors.New("changes: request timestamp too old or in the future")
)

// CheckTimestamp checks a request's timestamp header against now.
func CheckTimestamp(ts string, now time.Time) error {
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrNoTimestamp
	}
	d := now.Sub(time.UnixMilli(ms))
	if d > MaxClockSkew || d < -MaxClockSkew {
		return ErrStaleTimestamp
	}
	return nil
}

// Event is one webhook event as HubSpot sends it (the fields the service reads).
type Event struct {
	EventID            json.Number   `json:"eventId"`
	PortalID           json.Number   `json:"portalId"`
	AppID              json.Number   `json:"appId"`
	OccurredAt         json.Number   `json:"occurredAt"`
	SubscriptionType   string        `json:"subscriptionType"`
	ObjectTypeID       string        `json:"objectTypeId"`
	ObjectID           json.Number   `json:"objectId"`
	PropertyName       string        `json:"propertyName"`
	PropertyValue      *string       `json:"propertyValue"`
	ChangeSource       string        `json:"changeSource"`
	SourceID           string        `json:"sourceId"`
	PrimaryObjectID    json.Number   `json:"primaryObjectId"`
	MergedObjectIDs    []json.Number `json:"mergedObjectIds"`
	NewObjectID        json.Number   `json:"newObjectId"`
	FromObjectID       json.Number   `json:"fromObjectId"`
	ToObjectID         json.Number   `json:"toObjectId"`
	FromObjectTypeID   string        `json:"fromObjectTypeId"`
	ToObjectTypeID     string        `json:"toObjectTypeId"`
	AssociationType    string        `json:"associationType"`
	AssociationRemoved bool          `json:"associationRemoved"`
}

// ParseEvents reads a webhook body: a non-empty JSON array of event objects, each with a
// portalId.
func ParseEvents(body []byte) ([]Event, [][]byte, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		return nil, nil, err
	}
	if len(raws) == 0 { // HubSpot never sends an empty batch; nor is there a portal to verify it for
		return nil, nil, errors.New("no events")
	}
	events := make([]Event, len(raws))
	rawOut := make([][]byte, len(raws))
	for i, r := range raws {
		if err := json.Unmarshal(r, &events[i]); err != nil {
			return nil, nil, err
		}
		if _, err := events[i].PortalID.Int64(); err != nil {
			return nil, nil, errors.New("an event without a portalId")
		}
		rawOut[i] = r
	}
	return events, rawOut, nil
}

// subscriptionObjects maps the object part of subscriptionType, and objectTypeId of the
// generic object.* types, to the API's object type.
var subscriptionObjects = map[string]string{
	"contact": "contacts", "company": "companies", "deal": "deals",
	"0-1": "contacts", "0-2": "companies", "0-3": "deals",
}

// associationObjects maps the object names of associationType ("CONTACT_TO_COMPANY").
var associationObjects = map[string]string{"CONTACT": "contacts", "COMPANY": "companies", "DEAL": "deals"}

// Detect turns a webhook event into a change of the connection whose HubSpot app id is appID
// (0 when unknown); ok is false for an event of a type or object the service does not keep
// (HubSpot may add types: they are counted and skipped, never errors).
func (e Event) Detect(appID int64) (Detected, bool) {
	object, action, found := strings.Cut(e.SubscriptionType, ".")
	if !found {
		return Detected{}, false
	}
	if object == "object" {
		object = e.ObjectTypeID
	}
	objectType, ok := subscriptionObjects[object]
	if !ok {
		return Detected{}, false
	}
	occurMS, err := e.OccurredAt.Int64()
	if err != nil {
		return Detected{}, false
	}
	d := Detected{ObjectType: objectType, RecordID: e.ObjectID.String(), Occur: time.UnixMilli(occurMS).UTC(), Source: SourceWebhook}
	// HubSpot names the app that made a change in sourceId ("<appId>" or "userId:…"-like
	// forms) when changeSource is INTEGRATION.
	if appID != 0 && e.ChangeSource == "INTEGRATION" && strings.TrimPrefix(e.SourceID, "app:") == strconv.FormatInt(appID, 10) {
		d.SelfWritten = true
	}
	switch action {
	case "creation":
		d.Kind = KindCreated
	case "propertyChange":
		if e.PropertyName == "" {
			return Detected{}, false
		}
		d.Kind = KindUpdated
		v := ""
		if e.PropertyValue != nil {
			v = *e.PropertyValue
		}
		d.Fields = map[string]string{e.PropertyName: v}
	case "deletion":
		d.Kind = KindDeleted
	case "restore":
		d.Kind = KindRestored
	case "merge":
		d.Kind = KindMerged
		if id := e.NewObjectID.String(); id != "" {
			d.RecordID = id
		} else if id := e.PrimaryObjectID.String(); id != "" {
			d.RecordID = id
		}
		for _, m := range e.MergedObjectIDs {
			d.MergedIDs = append(d.MergedIDs, m.String())
		}
	case "associationChange":
		d.Kind = KindAssociationAdded
		if e.AssociationRemoved {
			d.Kind = KindAssociationRemoved
		}
		if id := e.FromObjectID.String(); id != "" {
			d.RecordID = id
		}
		d.AssociatedID = e.ToObjectID.String()
		if t, ok := subscriptionObjects[e.ToObjectTypeID]; ok {
			d.AssociatedType = t
		} else if _, to, ok := strings.Cut(e.AssociationType, "_TO_"); ok {
			d.AssociatedType = associationObjects[to]
		}
		if d.AssociatedType == "" || d.AssociatedID == "" {
			return Detected{}, false
		}
	default:
		return Detected{}, false
	}
	if d.RecordID == "" {
		return Detected{}, false
	}
	return d, true
}
