package service

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/rpcerr"
	"github.com/connectflo/integrations/internal/store"
)

// Page sizes of ListConnections.
const (
	defaultConnectionsPageSize = 50
	maxConnectionsPageSize     = 1000
)

// GetConnection returns one connection of the caller's workspace.
func (s *Service) GetConnection(ctx context.Context, req *integrationsv1.GetConnectionRequest) (*integrationsv1.Connection, error) {
	name, err := resname.ParseConnection("name", req.GetName())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, name.Workspace); err != nil {
		return nil, err
	}
	c, err := s.store.GetConnection(ctx, name.Workspace, name.ID)
	if isNotFound(err) {
		return nil, rpcerr.NotFound("connection", name.String())
	}
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return connectionProto(c), nil
}

// ListConnections pages through a workspace's connections, oldest first.
func (s *Service) ListConnections(ctx context.Context, req *integrationsv1.ListConnectionsRequest) (*integrationsv1.ListConnectionsResponse, error) {
	ws, err := resname.ParseWorkspace("parent", req.GetParent())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, ws.ID); err != nil {
		return nil, err
	}
	size, err := resname.PageSize(req.GetPageSize(), defaultConnectionsPageSize, maxConnectionsPageSize)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	fingerprint := resname.Fingerprint("ListConnections", ws.String())
	tok, err := resname.DecodePageToken(req.GetPageToken(), fingerprint)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	// One extra row tells whether another page exists without a COUNT.
	rows, err := s.store.ListConnections(ctx, ws.ID, tok.After, size+1)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	resp := &integrationsv1.ListConnectionsResponse{}
	if len(rows) > size {
		rows = rows[:size]
		resp.NextPageToken = resname.EncodePageToken(resname.PageToken{After: rows[size-1].Seq, Fingerprint: fingerprint})
	}
	for _, c := range rows {
		resp.Connections = append(resp.Connections, connectionProto(c))
	}
	return resp, nil
}

// connectionProto is the API view of a stored connection: never the token, only its hint.
func connectionProto(c store.Connection) *integrationsv1.Connection {
	out := &integrationsv1.Connection{
		Name:            resname.Connection{Workspace: c.Workspace, ID: c.ID}.String(),
		DisplayName:     c.DisplayName,
		Provider:        integrationsv1.Provider_PROVIDER_HUBSPOT,
		Status:          integrationsv1.ConnectionStatus(integrationsv1.ConnectionStatus_value["CONNECTION_STATUS_"+c.Status]),
		StatusReason:    c.StatusReason,
		HubId:           c.HubID,
		AppId:           c.AppID,
		AccountTier:     integrationsv1.AccountTier(integrationsv1.AccountTier_value["ACCOUNT_TIER_"+c.AccountTier]),
		AccountTimeZone: c.AccountTimeZone,
		GrantedScopes:   c.GrantedScopes,
		TokenHint:       c.TokenHint,
		CreateTime:      timestamppb.New(c.CreateTime),
		UpdateTime:      timestamppb.New(c.UpdateTime),
		CredentialKind:  integrationsv1.CredentialKind(integrationsv1.CredentialKind_value["CREDENTIAL_KIND_"+c.CredentialKind]),
	}
	if !c.CredentialsUpdateTime.IsZero() {
		out.CredentialsUpdateTime = timestamppb.New(c.CredentialsUpdateTime)
	}
	if !c.FieldsDiscoveredAt.IsZero() {
		out.FieldsDiscoveredAt = timestamppb.New(c.FieldsDiscoveredAt)
	}
	return out
}
