package main

import (
	"context"
	"testing"
	"time"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
)

// rpcSetup is what a case needs in place before its call.
type rpcSetup int

const (
	// noConnection: a server and its HubSpot account, nothing connected.
	noConnection rpcSetup = iota
	// connected: the account holds the sandbox's sample records (SeedSampleData) and acme
	// has connected it as "prod" (rpcEnv.conn).
	connected
	// eventLogged: connected, and a note on the first sample contact delivered to HubSpot
	// (rpcEnv.event).
	eventLogged
	// connectedWithoutOwnersScope: connected, then the connection's token lost
	// crm.objects.owners.read, as editing the app's scopes in HubSpot does.
	connectedWithoutOwnersScope
	// changeReceived: connected, a webhook secret set, and a signed HubSpot webhook received
	// and stored as a change (rpcEnv.change): the first sample contact's lifecycle stage and
	// lifetime value edited in HubSpot at changeTime.
	changeReceived
)

// changeTime is when the changeReceived edit happened in HubSpot.
var changeTime = time.Date(2026, 11, 30, 9, 15, 0, 123e6, time.UTC)

// rpcEnv is the world a case runs in: its own server, database and HubSpot.
type rpcEnv struct {
	t     *testing.T
	ts    *testServer
	conn  *integrationsv1.Connection
	seed  sandbox.SeedSummary
	event *integrationsv1.TimelineEvent
	// change is the change of changeReceived, as WatchChanges first sent it.
	change *integrationsv1.Change
	token  string // the token a case's request sends, when its answer depends on it
}

// newRPCEnv starts a server of its own and puts setup in place.
func newRPCEnv(t *testing.T, setup rpcSetup) *rpcEnv {
	t.Helper()
	if setup == noConnection {
		return &rpcEnv{t: t, ts: startServer(t)}
	}
	ts, c, conn, seed := seeded(t)
	e := &rpcEnv{t: t, ts: ts, conn: conn, seed: seed}
	if setup == connectedWithoutOwnersScope {
		if err := ts.sb.SetTokenScopes(ts.token, sandbox.ScopesWithout("owners")); err != nil {
			t.Fatal(err)
		}
	}
	if setup == changeReceived {
		setWebhookSecret(t, c, conn.GetName(), webhookSecret)
		if code := ts.postWebhook(t, signedWebhook(t, webhookSecret,
			ts.propertyChange(1, seed.Contacts[0], "lifecyclestage", "lead", changeTime),
			ts.propertyChange(2, seed.Contacts[0], "lifetime_value", "2500", changeTime))); code != 204 {
			t.Fatalf("webhook answered %d, want 204", code)
		}
		e.change = watchFirst(t, c, &integrationsv1.WatchChangesRequest{Connection: conn.GetName()})
	}
	if setup == eventLogged {
		ev, err := c.LogTimelineEvent(context.Background(), &integrationsv1.LogTimelineEventRequest{Parent: conn.GetName(),
			TimelineEvent: noteFor(seed.Contacts[0], time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)), RequestId: "setup-note", WaitForDelivery: true})
		if err != nil {
			t.Fatal(err)
		}
		e.event = ev
	}
	return e
}

// record is the resource name of a record of the case's connection.
func (e *rpcEnv) record(objectType, id string) string {
	return client.RecordName(e.conn.GetName(), objectType, id)
}

// newToken registers a new sandbox token of the case's HubSpot account, with every scope, and
// keeps it as e.token.
func (e *rpcEnv) newToken() string {
	e.token = e.ts.newToken(e.t, sandbox.AllScopes())
	return e.token
}
