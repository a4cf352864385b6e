package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/app"
	"github.com/connectflo/integrations/internal/apptest"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/secrets"
)

// TestTokensNeverLeak connects and rotates tokens, then scans the database files, the logs,
// the responses and the metrics for any token's bytes.
func TestTokensNeverLeak(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(t, ts.keys["acme"])
	tokens := []string{ts.token, ts.newToken(t, sandbox.AllScopes()), ts.newToken(t, sandbox.AllScopes())}
	var responses strings.Builder
	conn, err := c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Prod", AccessToken: tokens[0]})
	if err != nil {
		t.Fatal(err)
	}
	responses.WriteString(conn.String())
	for _, tok := range tokens[1:] {
		rotated, err := c.UpdateCredentials(ctx, &integrationsv1.UpdateCredentialsRequest{Name: conn.GetName(), AccessToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		responses.WriteString(rotated.String())
	}
	diag, err := c.TestConnection(ctx, &integrationsv1.TestConnectionRequest{Name: conn.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	responses.WriteString(diag.String())
	// Failures that carry a token in the request: wrong account, bad shape, unknown token.
	other, _ := ts.sb.CreateAccount(sandbox.Account{})
	otherTok, _ := ts.sb.CreateToken(sandbox.Token{HubID: other.HubID, Scopes: sandbox.AllScopes()})
	bad := []string{otherTok.Token, "pat-na1-11111111-2222-4333-8444-555555555555", "pat-na1-not-quite-a-token"}
	tokens = append(tokens, bad...)
	for _, tok := range bad {
		_, err := c.UpdateCredentials(ctx, &integrationsv1.UpdateCredentialsRequest{Name: conn.GetName(), AccessToken: tok})
		responses.WriteString(status.Convert(err).String())
		r := ts.do(t, "POST", "/v1/workspaces/acme/connections", ts.keys["acme"], `{"displayName":"x","accessToken":"`+tok+`"}`)
		responses.WriteString(r.raw)
	}
	resp, err := http.Get("http://" + ts.httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// Let SQLite write everything out: stop the server, then read the database, WAL and shm.
	ts.stop()

	files, _ := filepath.Glob(ts.db + "*")
	if len(files) == 0 {
		t.Fatal("no database files found")
	}
	for _, tok := range tokens {
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(data, []byte(tok)) || bytes.Contains(data, []byte(tok[8:24])) {
				t.Errorf("%s contains a token's bytes", filepath.Base(f))
			}
		}
		if strings.Contains(ts.logs.String(), tok[8:]) {
			t.Errorf("the server's logs contain a token")
		}
		if strings.Contains(responses.String(), tok[8:]) {
			t.Errorf("a response contains a token")
		}
		if strings.Contains(string(metrics), tok[8:]) {
			t.Errorf("the metrics contain a token")
		}
	}
	if !strings.Contains(ts.logs.String(), `"level":"DEBUG"`) {
		t.Error("no debug lines were captured: the log check proves nothing")
	}
}

// TestWorkspaceIsolationInEveryRPC calls every RPC of the service with globex's key on
// resources of acme: each must be PERMISSION_DENIED, and acme's connection must be untouched.
func TestWorkspaceIsolationInEveryRPC(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	acme := ts.client(t, ts.keys["acme"])
	conn, err := acme.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: "Prod", AccessToken: ts.token})
	if err != nil {
		t.Fatal(err)
	}
	globex := ts.client(t, ts.keys["globex"])
	svc := integrationsv1.File_connectflo_integrations_v1_service_proto.Services().ByName("IntegrationService")
	methods := svc.Methods()
	for i := 0; i < methods.Len(); i++ {
		m := methods.Get(i)
		t.Run(string(m.Name()), func(t *testing.T) {
			req := dynamicpb.NewMessage(m.Input())
			set := false
			for _, field := range []string{"name", "parent", "connection"} {
				fd := m.Input().Fields().ByName(protoreflect.Name(field))
				if fd == nil {
					continue
				}
				value := conn.GetName()
				switch {
				case field == "parent" && strings.Contains(string(m.Name()), "Connection"):
					value = "workspaces/acme"
				case strings.Contains(string(m.Name()), "Record") || m.Name() == "ListAssociations":
					value = conn.GetName() + "/objects/contacts/records/1"
				case strings.Contains(string(m.Name()), "TimelineEvent") && field == "name":
					value = conn.GetName() + "/timelineEvents/e1"
				case strings.Contains(string(m.Name()), "ChangeSettings") && field == "name":
					value = client.ChangeSettingsName(conn.GetName())
				}
				req.Set(fd, protoreflect.ValueOfString(value))
				set = true
			}
			if fd := m.Input().Fields().ByName("change_settings"); fd != nil { // AIP-134: the name is the resource's
				inner := req.NewField(fd).Message()
				inner.Set(inner.Descriptor().Fields().ByName("name"), protoreflect.ValueOfString(client.ChangeSettingsName(conn.GetName())))
				req.Set(fd, protoreflect.ValueOfMessage(inner))
				set = true
			}
			if !set {
				t.Fatalf("%s names no resource", m.Name())
			}
			resp := dynamicpb.NewMessage(m.Output())
			var err error
			if m.IsStreamingServer() {
				err = openStream(ctx, globex.Conn(), m, req, resp, false)
			} else {
				err = globex.Conn().Invoke(ctx, "/"+string(svc.FullName())+"/"+string(m.Name()), req, resp)
			}
			if e := client.ErrorDetails(err); e.Code != codes.PermissionDenied || e.Reason != "WORKSPACE_NOT_ALLOWED" {
				t.Errorf("%s with another workspace's key: %+v; want PERMISSION_DENIED", m.Name(), e)
			}
		})
	}
	got, err := acme.GetConnection(ctx, &integrationsv1.GetConnectionRequest{Name: conn.GetName()})
	if err != nil || got.GetUpdateTime().AsTime() != conn.GetUpdateTime().AsTime() {
		t.Errorf("acme's connection changed or vanished: %v, %v", got, err)
	}
}

// TestKeyLossAndRotation: a server whose key is gone is refused at start, naming the key;
// after forget-keys it serves, and the connections sealed with that key are in ERROR while
// the rest works; with the key back, rotate-keys moves every token to the new primary key.
func TestKeyLossAndRotation(t *testing.T) {
	t.Parallel()
	oldKey, _ := secrets.NewKey("old")
	ts := startServerWith(t, serverOptions{env: map[string]string{"INTEGRATIONS_ENCRYPTION_KEYS": secrets.FormatKeys(oldKey)}})
	ctx := context.Background()
	c := ts.client(t, ts.keys["acme"])
	var names []string
	for _, dn := range []string{"One", "Two"} {
		conn, err := c.Connect(ctx, &integrationsv1.ConnectRequest{Parent: "workspaces/acme", DisplayName: dn, AccessToken: ts.newToken(t, sandbox.AllScopes())})
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, conn.GetName())
	}
	setWebhookSecret(t, c, names[0], webhookSecret) // sealed under the old key too

	// Only a new key: refused at start, naming the key it lacks and the way out.
	ts.stop()
	newKey, _ := secrets.NewKey("new")
	onlyNew := map[string]string{"INTEGRATIONS_ENCRYPTION_KEYS": secrets.FormatKeys(newKey)}
	runCtx, cancel := context.WithTimeout(ctx, apptest.StartTimeout)
	err := app.Run(runCtx, []string{"--db", ts.db, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--hubspot-base-url", ts.hubspot.URL},
		func(k string) string { return onlyNew[k] }, io.Discard, io.Discard)
	cancel()
	if err == nil || !strings.Contains(err.Error(), `without "old"`) || !strings.Contains(err.Error(), "forget-keys") {
		t.Fatalf("a server without the key the tokens were sealed with: %v; want a refusal naming the key and forget-keys", err)
	}
	// The operator gives the old key up: the server serves; the tokens cannot be read, and
	// the connection says so.
	var out bytes.Buffer
	if err := app.Run(ctx, []string{"forget-keys", "--db", ts.db}, func(k string) string { return onlyNew[k] }, &out, io.Discard); err != nil {
		t.Fatalf("forget-keys: %v", err)
	}
	ts.env = onlyNew
	ts.start(t)
	c = ts.client(t, ts.keys["acme"])
	diag, err := c.TestConnection(ctx, &integrationsv1.TestConnectionRequest{Name: names[0]})
	if err != nil || diag.GetConnection().GetStatus() != integrationsv1.ConnectionStatus_CONNECTION_STATUS_ERROR ||
		!strings.Contains(diag.GetConnection().GetStatusReason(), `"old"`) || diag.GetProblems()[0].GetCode() != "TOKEN_UNREADABLE" {
		t.Errorf("TestConnection with the key gone = %v, %v", diag, err)
	}
	if list, err := c.ListConnections(ctx, &integrationsv1.ListConnectionsRequest{Parent: "workspaces/acme"}); err != nil || len(list.GetConnections()) != 2 {
		t.Errorf("the service stopped serving other calls: %v", err)
	}

	// Rotate: new primary, old still configured; then the old key can go.
	ts.stop()
	both := map[string]string{"INTEGRATIONS_ENCRYPTION_KEYS": secrets.FormatKeys(newKey, oldKey)}
	var errOut bytes.Buffer
	out.Reset()
	if err := app.Run(ctx, []string{"rotate-keys", "--db", ts.db}, func(k string) string { return both[k] }, &out, &errOut); err != nil {
		t.Fatalf("rotate-keys: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "re-encrypted 2 token(s)") || !strings.Contains(out.String(), "re-encrypted 1 webhook secret(s)") ||
		!strings.Contains(out.String(), "the database now records key new:") {
		t.Errorf("rotate-keys printed %q", out.String())
	}
	db, err := sql.Open("sqlite3", ts.db)
	if err != nil {
		t.Fatal(err)
	}
	var old int
	db.QueryRow(`SELECT COUNT(*) FROM connections WHERE token_key_id != 'new'`).Scan(&old)
	db.Close()
	if old != 0 {
		t.Errorf("%d tokens are still sealed under a key other than the new primary", old)
	}
	ts.env = map[string]string{"INTEGRATIONS_ENCRYPTION_KEYS": secrets.FormatKeys(newKey)}
	ts.start(t)
	c = ts.client(t, ts.keys["acme"])
	for _, name := range names {
		diag, err := c.TestConnection(ctx, &integrationsv1.TestConnectionRequest{Name: name})
		if err != nil || !diag.GetTokenValid() || diag.GetConnection().GetStatus() != integrationsv1.ConnectionStatus_CONNECTION_STATUS_CONNECTED {
			t.Errorf("%s after rotate-keys with only the new key: %v, %v", name, diag, err)
		}
	}
	// The webhook secret opens with the new key alone: HubSpot's signed webhooks still verify.
	if code := ts.postWebhook(t, signedWebhook(t, webhookSecret, ts.event(1, "contact.creation", "1", changeTime))); code != 204 {
		t.Errorf("a signed webhook after rotate-keys answered %d, want 204", code)
	}
}
