// Package clienttest runs ConnectFlo Integrations for the tests of programs that use the SDK,
// as net/http/httptest runs an HTTP server for theirs.
//
// NewServer starts the real service in-process (the same code as the server binary) on
// loopback, with a database and encryption keys of its own in the test's temporary folder,
// and with an emulated HubSpot (a sandbox that speaks HubSpot's REST API, with its scopes,
// errors and rate limits) as HubSpot. It returns a client connected with an API key, and a
// HubSpot connection ready to use; both servers stop when the test ends.
//
//	func TestWorkflow(t *testing.T) {
//		srv := clienttest.NewServer(t)
//		resp, err := srv.Client.UpsertContact(ctx, &integrationsv1.UpsertContactRequest{
//			Connection: srv.Connection.Name, Email: "ada@example.com"})
//		…
//	}
//
// The service uses SQLite through cgo, so a test binary importing this package needs cgo (the
// default where a C compiler is installed). The package client itself does not depend on it.
package clienttest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/apptest"
)

// Server is a running service with its HubSpot, for one test.
type Server struct {
	// Client calls the service over gRPC with APIKey. It is closed when the test ends.
	Client *client.Client
	// APIKey may act in Workspace only, as the workflow engine's keys do.
	APIKey string
	// Workspace is the workspace's resource name, "workspaces/test" unless WithWorkspace.
	Workspace string
	// Connection is the HubSpot connection NewServer made (empty with WithoutConnection).
	Connection Connection
	// GRPCAddr is the gRPC address (host:port) for clients of your own (plaintext).
	GRPCAddr string
	// RESTURL is the REST gateway's base URL, such as "http://127.0.0.1:41234": paths start
	// with /v1/, and the API key goes in the header "Authorization: Bearer <APIKey>".
	RESTURL string
	// HubSpot is the emulated HubSpot the service calls.
	HubSpot *HubSpot
}

// Connection is a connected HubSpot account.
type Connection struct {
	Name  string // resource name, "workspaces/test/connections/hubspot"
	Token string // the HubSpot private-app token it was connected with
}

// Defaults of NewServer.
const (
	DefaultWorkspace    = "test"
	DefaultConnectionID = "hubspot"
	callTimeout         = 30 * time.Second // the client's per-call deadline: generous, for loaded CI machines
)

// NewServer starts the service and its HubSpot on loopback, creates an API key and connects a
// HubSpot account, and stops everything when the test ends. Any failure fails the test.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := options{workspace: DefaultWorkspace, scopes: DefaultScopes(), connect: true}
	for _, opt := range opts {
		opt(&o)
	}
	logs := o.logs
	if logs == nil {
		tail := &tailBuffer{max: maxLogBytes}
		logs = tail
		t.Cleanup(func() { // runs last: the log then holds the shutdown too
			if t.Failed() {
				t.Logf("clienttest: the server's log (last %d bytes at most):\n%s", maxLogBytes, tail.String())
			}
		})
	}
	hub := apptest.StartHubSpot(t, o.hubspotOptions())
	s := &Server{Workspace: "workspaces/" + o.workspace, HubSpot: &HubSpot{URL: hub.URL, HubID: hub.Account.HubID, hub: hub, t: t}}
	if o.sampleData {
		seeded, err := hub.Sandbox.SeedSampleData(hub.Account.HubID)
		if err != nil {
			t.Fatalf("clienttest: seed sample data: %v", err)
		}
		s.HubSpot.Sample = SampleData{Companies: seeded.Companies, Contacts: seeded.Contacts, Deals: seeded.Deals}
	}

	dir := t.TempDir()
	db := filepath.Join(dir, "data", "integrations.db")
	s.APIKey = apptest.CreateAPIKey(t, db, o.workspace)
	p := apptest.Start(t, apptest.Options{DB: db, KeyFile: filepath.Join(dir, "config", "encryption.keys"), HubSpotURL: hub.URL, Logs: logs, Args: o.flags})
	s.GRPCAddr, s.RESTURL = p.GRPCAddr, "http://"+p.HTTPAddr

	c, err := client.New(s.GRPCAddr, client.WithPlaintext(), client.WithAPIKey(s.APIKey), client.WithTimeout(callTimeout))
	if err != nil {
		t.Fatalf("clienttest: client: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	s.Client = c
	if o.connect {
		token := s.HubSpot.NewToken(o.scopes...)
		conn, err := c.Connect(context.Background(), &integrationsv1.ConnectRequest{Parent: s.Workspace, ConnectionId: DefaultConnectionID,
			DisplayName: "Test HubSpot", AccessToken: token})
		if err != nil {
			t.Fatalf("clienttest: connect the HubSpot sandbox: %v", err)
		}
		s.Connection = Connection{Name: conn.GetName(), Token: token}
	}
	return s
}
