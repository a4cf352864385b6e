package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/changes"
	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/fields"
	"github.com/connectflo/integrations/internal/handles"
	"github.com/connectflo/integrations/internal/records"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/rpcerr"
	"github.com/connectflo/integrations/internal/secrets"
	"github.com/connectflo/integrations/internal/store"
	"github.com/connectflo/integrations/internal/upsert"
)

// ChangeSettingsStore keeps the change settings of connections.
type ChangeSettingsStore interface {
	GetChangeSettings(ctx context.Context, uid string) (store.ChangeSettings, error)
	SetWebhookSecret(ctx context.Context, uid, keyID string, ciphertext []byte) error
	SetPollInterval(ctx context.Context, uid string, d time.Duration) error
}

// ChangeDeps are what the change RPCs need.
type ChangeDeps struct {
	Feed     *changes.Feed
	Settings ChangeSettingsStore
	KeyRing  *secrets.KeyRing
	// WebhookURL is the URL HubSpot posts webhooks to, as ChangeSettings.webhook_url shows it.
	WebhookURL string
}

var changeKinds = map[string]integrationsv1.ChangeKind{
	changes.KindCreated: integrationsv1.ChangeKind_CHANGE_KIND_CREATED, changes.KindUpdated: integrationsv1.ChangeKind_CHANGE_KIND_UPDATED,
	changes.KindDeleted: integrationsv1.ChangeKind_CHANGE_KIND_DELETED, changes.KindMerged: integrationsv1.ChangeKind_CHANGE_KIND_MERGED,
	changes.KindRestored: integrationsv1.ChangeKind_CHANGE_KIND_RESTORED, changes.KindAssociationAdded: integrationsv1.ChangeKind_CHANGE_KIND_ASSOCIATION_ADDED,
	changes.KindAssociationRemoved: integrationsv1.ChangeKind_CHANGE_KIND_ASSOCIATION_REMOVED,
}

var changeSources = map[string]integrationsv1.ChangeSource{
	changes.SourceWebhook: integrationsv1.ChangeSource_CHANGE_SOURCE_WEBHOOK, changes.SourcePoll: integrationsv1.ChangeSource_CHANGE_SOURCE_POLL,
}

// changeRead is a validated read of a connection's changes.
type changeRead struct {
	handle *handles.Handle
	uid    string
	types  []string
	after  int64
	schema map[string]*fields.Schema // nil when fields are not discovered: values untyped
}

// openChanges validates a WatchChanges or ListChanges request and opens its connection.
func (s *Service) openChanges(ctx context.Context, connection string, types []string, cursor string) (*changeRead, error) {
	name, err := resname.ParseConnection("connection", connection)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, name.Workspace); err != nil {
		return nil, err
	}
	if err := changes.CheckObjectTypes("object_types", types); err != nil {
		return nil, s.fail(ctx, err)
	}
	parsed, err := changes.ParseCursor("cursor", cursor)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	h, err := s.handles.Get(ctx, name)
	if err != nil {
		return nil, s.failFor(ctx, err, name.String())
	}
	uid := h.Connection().UID
	after, err := parsed.After("cursor", uid)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	r := &changeRead{handle: h, uid: uid, types: slices.Compact(slices.Sorted(slices.Values(types))), after: after}
	if schemas, err := h.Schemas(ctx); err == nil {
		r.schema = schemas
	}
	return r, nil
}

// list reads the next page of r and advances its cursor.
func (s *Service) listChanges(ctx context.Context, r *changeRead, limit int) ([]*integrationsv1.Change, error) {
	cs, err := s.changes.Feed.List(ctx, r.uid, r.after, r.types, limit)
	if errors.Is(err, store.ErrChangesPurged) {
		return nil, rpcerr.New(codes.FailedPrecondition, rpcerr.ReasonChangeCursorExpired,
			fmt.Sprintf("the changes of %s after this cursor are older than the retention and were purged: resync (read the records you need), then watch without a cursor or from a new one",
				r.handle.Name()), map[string]string{"connection": r.handle.Name().String()})
	}
	if err != nil {
		return nil, s.failFor(ctx, err, r.handle.Name().String())
	}
	out := make([]*integrationsv1.Change, 0, len(cs))
	for _, c := range cs {
		out = append(out, changeProto(r.handle.Name(), r.schema, c))
		r.after = c.Seq
	}
	return out, nil
}

// ListChanges returns a page of changes after the cursor.
func (s *Service) ListChanges(ctx context.Context, req *integrationsv1.ListChangesRequest) (*integrationsv1.ListChangesResponse, error) {
	size, err := resname.PageSize(req.GetPageSize(), changes.DefaultPageSize, changes.MaxPageSize)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	r, err := s.openChanges(ctx, req.GetConnection(), req.GetObjectTypes(), req.GetCursor())
	if err != nil {
		return nil, err
	}
	page, err := s.listChanges(ctx, r, size)
	if err != nil {
		return nil, err
	}
	resp := &integrationsv1.ListChangesResponse{Changes: page, NextCursor: req.GetCursor()}
	if len(page) > 0 {
		resp.NextCursor = page[len(page)-1].GetCursor()
	}
	return resp, nil
}

// WatchOpenHeader is the response header WatchChanges sends once the request is accepted.
const WatchOpenHeader = "watch-open"

// watchPage is how many stored changes WatchChanges reads at a time.
const watchPage = 200

// WatchChanges sends the stored changes after the cursor, then new ones as they are stored,
// until the caller cancels.
func (s *Service) WatchChanges(req *integrationsv1.WatchChangesRequest, stream grpc.ServerStreamingServer[integrationsv1.Change]) error {
	ctx := stream.Context()
	r, err := s.openChanges(ctx, req.GetConnection(), req.GetObjectTypes(), req.GetCursor())
	if err != nil {
		return err
	}
	// The first read also checks the cursor against retention; then the request is accepted:
	// say so at once, before any change, so that a caller (and the REST gateway, which then
	// answers 200) knows the watch is open while the feed is quiet.
	wake := s.changes.Feed.Wake(r.uid) // taken before each read: a change stored after it closes it
	page, err := s.listChanges(ctx, r, watchPage)
	if err != nil {
		return err
	}
	if err := stream.SendHeader(metadata.Pairs(WatchOpenHeader, "true")); err != nil {
		return err
	}
	for {
		for _, c := range page {
			if err := stream.Send(c); err != nil {
				return err
			}
		}
		if len(page) < watchPage {
			select {
			case <-ctx.Done():
				return nil
			case <-s.closing:
				return shuttingDown()
			case <-wake:
			}
		}
		wake = s.changes.Feed.Wake(r.uid)
		if page, err = s.listChanges(ctx, r, watchPage); err != nil {
			if ctx.Err() != nil {
				return nil //nolint:nilerr // the caller cancelled: the watch ends as asked, not in error
			}
			return err
		}
	}
}

// changeProto is the API view of a stored change, its fields typed by the connection's
// discovered fields (raw only when they are not discovered).
func changeProto(conn resname.Connection, schemas map[string]*fields.Schema, c store.Change) *integrationsv1.Change {
	id := changes.ID(c.Key)
	out := &integrationsv1.Change{
		Name: resname.Change{Connection: conn, ID: id}.String(), Id: id, ObjectType: c.ObjectType, RecordId: c.RecordID,
		Record:            resname.Record{ObjectCollection: resname.ObjectCollection{Connection: conn, ObjectType: c.ObjectType}, ID: c.RecordID}.String(),
		RecordDisplayName: c.DisplayName, Kind: changeKinds[c.Kind], MergedRecordIds: c.MergedIDs,
		AssociatedObjectType: c.AssociatedType, AssociatedRecordId: c.AssociatedID,
		OccurTime: timestamppb.New(c.Occur), DetectTime: timestamppb.New(c.Detect), Source: changeSources[c.Source],
		SelfWritten: c.SelfWritten, Cursor: changes.EncodeCursor(c.ConnectionUID, c.Seq),
	}
	if len(c.Fields) > 0 {
		out.Fields = make(map[string]*integrationsv1.FieldValue, len(c.Fields))
		schema := schemas[c.ObjectType]
		for name, raw := range c.Fields {
			var f *fields.Field
			if schema != nil {
				f, _ = schema.Field(name)
			}
			out.Fields[name] = fieldValueProto(records.Typed(f, raw, true))
		}
	}
	return out
}

// GetChangeSettings returns a connection's change settings.
func (s *Service) GetChangeSettings(ctx context.Context, req *integrationsv1.GetChangeSettingsRequest) (*integrationsv1.ChangeSettings, error) {
	name, err := resname.ParseChangeSettings("name", req.GetName())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, name.Workspace); err != nil {
		return nil, err
	}
	h, err := s.handles.Get(ctx, name.Connection)
	if err != nil {
		return nil, s.failFor(ctx, err, name.Connection.String())
	}
	return s.changeSettingsProto(ctx, name, h.Connection().UID)
}

// UpdateChangeSettings sets the webhook secret and/or the poll interval.
func (s *Service) UpdateChangeSettings(ctx context.Context, req *integrationsv1.UpdateChangeSettingsRequest) (*integrationsv1.ChangeSettings, error) {
	in := req.GetChangeSettings()
	if in == nil {
		return nil, rpcerr.InvalidArgument(rpcerr.Violation{Field: "change_settings", Description: "is required: the settings to set, with their name"})
	}
	name, err := resname.ParseChangeSettings("change_settings.name", in.GetName())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, name.Workspace); err != nil {
		return nil, err
	}
	var vs []rpcerr.Violation
	setSecret, setPoll := true, true
	if paths := req.GetUpdateMask().GetPaths(); len(paths) > 0 {
		setSecret, setPoll = false, false
		for _, p := range paths {
			switch p {
			// The REST gateway passes an update_mask query parameter in its JSON (lowerCamel) form.
			case "webhook_client_secret", "webhookClientSecret":
				setSecret = true
			case "poll_interval", "pollInterval":
				setPoll = true
			case "name": // the REST gateway lists every field of the body
			default:
				vs = append(vs, rpcerr.Violation{Field: "update_mask", Description: fmt.Sprintf("%q is not a field that can be set: webhook_client_secret or poll_interval", p)})
			}
		}
	}
	secret := in.GetWebhookClientSecret()
	if setSecret {
		if msg := changes.CheckSecret(secret); msg != "" {
			vs = append(vs, rpcerr.Violation{Field: "change_settings.webhook_client_secret", Description: msg})
		}
	}
	poll := in.GetPollInterval().AsDuration()
	if setPoll && in.GetPollInterval() != nil {
		if msg := changes.CheckPollInterval(poll); msg != "" {
			vs = append(vs, rpcerr.Violation{Field: "change_settings.poll_interval", Description: msg})
		}
	} else {
		poll = 0
	}
	if v := validateRequestID(req.GetRequestId()); v != nil {
		vs = append(vs, *v)
	}
	if len(vs) > 0 {
		return nil, rpcerr.InvalidArgument(vs...)
	}
	h, err := s.handles.Get(ctx, name.Connection)
	if err != nil {
		return nil, s.failFor(ctx, err, name.Connection.String())
	}
	conn := h.Connection()
	if setSecret && secret != "" && conn.CredentialKind == connections.KindServiceKey {
		return nil, rpcerr.New(codes.FailedPrecondition, rpcerr.ReasonWebhooksUnsupported,
			fmt.Sprintf("%s holds a Service Key, and HubSpot sends no webhooks for Service Keys: its changes are found by polling only", name.Connection),
			map[string]string{"connection": name.Connection.String()})
	}
	if setSecret {
		var keyID string
		var ct []byte
		if secret != "" {
			if keyID, ct, err = changes.SealSecret(s.changes.KeyRing, conn.UID, secret); err != nil {
				return nil, s.fail(ctx, err)
			}
		}
		if err := s.changes.Settings.SetWebhookSecret(ctx, conn.UID, keyID, ct); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	if setPoll {
		if err := s.changes.Settings.SetPollInterval(ctx, conn.UID, poll); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	return s.changeSettingsProto(ctx, name, conn.UID)
}

func (s *Service) changeSettingsProto(ctx context.Context, name resname.ChangeSettings, uid string) (*integrationsv1.ChangeSettings, error) {
	st, err := s.changes.Settings.GetChangeSettings(ctx, uid)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &integrationsv1.ChangeSettings{Name: name.String(), WebhookSecretSet: len(st.SecretCiphertext) > 0,
		WebhookUrl: s.changes.WebhookURL, PollInterval: durationpb.New(changes.PollIntervalOr(st.PollInterval)),
		WebhooksReceived: st.WebhooksReceived, WebhooksRefused: st.WebhooksRefused}
	if !st.LastWebhook.IsZero() {
		out.LastWebhookTime = timestamppb.New(st.LastWebhook)
	}
	return out, nil
}

// ownWrites remembers contacts this service wrote through the connection of h, so that their
// changes, when HubSpot reports them, are self-written.
func (s *Service) ownWrites(ctx context.Context, h *handles.Handle, objectType string, rs ...upsert.Result) {
	var ws []store.OwnWrite
	for _, r := range rs {
		if !r.UpdatedAt.IsZero() {
			ws = append(ws, store.OwnWrite{ObjectType: objectType, RecordID: r.ID, UpdatedAt: r.UpdatedAt})
		}
	}
	if s.changes.Feed != nil {
		s.changes.Feed.RecordOwnWrites(ctx, h.Connection().UID, ws)
	}
}
