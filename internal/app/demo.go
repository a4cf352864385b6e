package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/connectflo/integrations/internal/auth"
	"github.com/connectflo/integrations/internal/sandbox"
)

// demoWorkspace is the workspace demo mode creates an API key for.
const demoWorkspace = "demo"

// runDemo is demo mode: the embedded HubSpot sandbox with sample data serves as HubSpot, in a
// throwaway folder holding the database and the key file, and everything a newcomer needs to
// try the API is printed on stdout.
func runDemo(ctx context.Context, cfg Config, getenv func(string) string, logger *slog.Logger, stdout io.Writer, ready func(Ready)) error {
	if cfg.TLSCertFile != "" {
		return errors.New("demo mode serves plaintext on loopback, and the commands it prints say so: drop --tls-cert/--tls-key, or run without --sandbox")
	}
	for _, name := range demoIgnoredEnv() {
		if getenv(name) != "" { // the value is not logged: it may be a key
			logger.Warn("demo mode ignores "+name+": it keeps its database and keys in a temporary folder, removed at exit", "env", name)
		}
	}
	// HubSpot's behaviour, search lag included: the demo's commands read their writes back
	// by id or email, never through search.
	demo, err := sandbox.NewDemo(sandbox.Options{})
	if err != nil {
		return fmt.Errorf("demo sandbox: %w", err)
	}
	lis, err := sandbox.Listen(cfg.SandboxAddr, cfg.SandboxAllowRemoteAdmin)
	if err != nil {
		return fmt.Errorf("listen for the HubSpot sandbox on %s: %w (choose another with --sandbox-addr; --sandbox-allow-remote-admin allows beyond loopback)", cfg.SandboxAddr, err)
	}
	sbServer := &http.Server{Handler: demo.Sandbox, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := sbServer.Serve(lis); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("demo sandbox stopped serving", "err", err)
		}
	}()
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = sbServer.Shutdown(shutdownCtx) // the demo is ending; its sandbox's state is thrown away
	}()
	cfg.HubSpotBaseURL = "http://" + lis.Addr().String()

	dir, err := os.MkdirTemp("", "connectflo-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg.DBPath, cfg.KeyFile, cfg.EncryptionKeys = filepath.Join(dir, "demo.db"), filepath.Join(dir, keyFileName), ""
	cfg.DrainDelay = 0 // no load balancer sends to a demo: Ctrl-C stops it at once
	srv, err := New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	key, err := auth.CreateKey(ctx, srv.store, demoWorkspace, time.Now())
	if err != nil {
		srv.closeAll()
		return err
	}
	// The sample app (the all-scope token's) sends its webhooks to this server, signed with
	// the demo's client secret, which the printed commands give the connection.
	if _, err := demo.Sandbox.SetWebhooks(demoWebhooks(demo.Token.AppID, srv.webhookURL())); err != nil {
		srv.closeAll()
		return fmt.Errorf("demo webhooks: %w", err)
	}
	printDemo(stdout, demoInfo{key: key, grpcAddr: srv.GRPCAddr(), httpAddr: srv.HTTPAddr(), hubspotURL: cfg.HubSpotBaseURL,
		hubID: demo.Account.HubID, tier: string(demo.Account.Tier), token: demo.Token.Token, tokenNoDeals: demo.TokenWithoutDeals.Token,
		serviceKey: demo.ServiceKey.Token, deal: demo.Seed.Deals[0], contact: demo.Seed.Contacts[0]})
	srv.ready = ready // called once it serves, after the commands above are printed
	err = srv.Serve(ctx)
	if errors.Is(ctx.Err(), context.Canceled) {
		fmt.Fprintln(stdout, "demo stopped; its database and sandbox data are gone")
	}
	return err
}

type demoInfo struct {
	key, grpcAddr, httpAddr, hubspotURL, tier, token, tokenNoDeals, serviceKey, deal, contact string
	hubID                                                                                     int64
}

// demoWebhookSecret is the client secret of the demo's sample app. It is printed: it signs
// the webhooks of a throwaway sandbox, nothing else.
const demoWebhookSecret = "demo-app-client-secret" //nolint:gosec // a throwaway sandbox app's secret, printed on purpose

// demoWebhooks subscribes the sample app to creations, deletions, restores, merges and
// association changes of contacts, companies and deals, and to changes of the properties the
// demo's commands edit, sent to url.
func demoWebhooks(appID int64, url string) sandbox.WebhookConfig {
	var subs []sandbox.WebhookSubscription
	props := map[string][]string{"contact": {"firstname", "lastname", "email", "lifecyclestage"}, "company": {"name", "domain"},
		"deal": {"dealname", "dealstage", "pipeline", "amount"}}
	for _, object := range []string{"contact", "company", "deal"} {
		for _, kind := range []string{"creation", "deletion", "restore", "merge", "associationChange"} {
			subs = append(subs, sandbox.WebhookSubscription{SubscriptionType: object + "." + kind})
		}
		for _, p := range props[object] {
			subs = append(subs, sandbox.WebhookSubscription{SubscriptionType: object + ".propertyChange", PropertyName: p})
		}
	}
	return sandbox.WebhookConfig{AppID: appID, TargetURL: url, ClientSecret: demoWebhookSecret, Subscriptions: subs}
}

// printDemo writes the copy-paste block of demo mode.
func printDemo(w io.Writer, d demoInfo) {
	grpcurl := "go tool -modfile=tools/go.mod grpcurl -plaintext -H 'authorization: Bearer " + d.key + "'"
	svc := d.grpcAddr + " connectflo.integrations.v1.IntegrationService/"
	curl := "curl -s -H 'Authorization: Bearer " + d.key + "'"
	api := "http://" + d.httpAddr + "/v1/workspaces/" + demoWorkspace
	// The page's address comes first: it is what a newcomer opens.
	fmt.Fprintf(w, "\nSettings page: http://%s/  (sign in with workspace %q and the API key below)\n", d.httpAddr, demoWorkspace)
	fmt.Fprintf(w, `
ConnectFlo Integrations — demo mode
  HubSpot is the built-in sandbox at %s (hub id %d, %s, sample contacts, companies and deals).
  Nothing is kept: the database and keys live in a temporary folder, removed at exit.

  API key (workspace %q):        %s
  HubSpot token, all scopes:       %s
  HubSpot token without deal scopes: %s
  HubSpot Service Key, all scopes:   %s

Connect HubSpot (grpcurl, from the repository root):
  %s -d '{"parent":"workspaces/%s","display_name":"Sandbox HubSpot","connection_id":"sandbox","access_token":"%s"}' %sConnect

Test the connection:
  %s -d '{"name":"workspaces/%s/connections/sandbox"}' %sTestConnection

The same with curl (connect once, with either tool):
  %s -d '{"displayName":"Sandbox HubSpot","connectionId":"sandbox","accessToken":"%s"}' %s/connections
  %s -X POST -d '{}' %s/connections/sandbox:test
  %s %s/connections

See a missing-scope error: connect the token without deal scopes:
  %s -d '{"displayName":"No deals","accessToken":"%s"}' %s/connections

Connect a Service Key (HubSpot's token introspection refuses it: the account comes from
account-info and the scopes from one call each; see credentialKind and probedFacts):
  %s -d '{"displayName":"Service key","accessToken":"%s"}' %s/connections

Once connected, use the CRM (REST shown; every call exists over gRPC too):
  %s -d '{"email":"ada@example.com","properties":{"firstname":"Ada","lifecyclestage":"Customer"}}' %s/connections/sandbox/contacts:upsert
  %s %s/connections/sandbox/objects/contacts/records/ada@example.com
  %s -d '{"expression":"contact.lifecyclestage == \"Customer\"","contact":{"email":"ada@example.com"}}' %s/connections/sandbox:evaluateCondition
  %s -d '{"timelineEvent":{"kind":"TIMELINE_EVENT_KIND_NOTE","contact":{"email":"ada@example.com"},"occurTime":"2026-11-27T12:00:00Z","title":"Chat","body":"Asked about pricing"},"requestId":"demo-1","waitForDelivery":true}' %s/connections/sandbox/timelineEvents
  %s %s/connections/sandbox/fields

Win a deal in another pipeline: "Closed Won" is a stage of each pipeline, resolved within the
one the request names (the sample deal is in the Sales Pipeline; Enterprise's stage ids are
numbers, as on a real portal):
  %s -X PATCH -d '{"properties":{"pipeline":"Enterprise","dealstage":"Closed Won"}}' %s/connections/sandbox/objects/deals/records/%s

Watch changes made in HubSpot. The sandbox sends its webhooks to this server, signed with the
sample app's client secret: give it to the connection once,
  %s -X PATCH -d '{"webhookClientSecret":"%s"}' %s/connections/sandbox/changeSettings
then watch (both stream until Ctrl-C; curl prints one JSON line per change):
  %s -d '{"connection":"workspaces/%s/connections/sandbox"}' %sWatchChanges
  %s -N %s/connections/sandbox/changes:watch
and, in another terminal, edit a contact "in HubSpot", as a sales rep would (the sandbox's
admin API): the change arrives on both watches within a second, as CHANGE_KIND_UPDATED.
  curl -s -X PATCH -d '{"properties":{"firstname":"Grace"}}' %s/_sandbox/accounts/%d/objects/contacts/%s

`, d.hubspotURL, d.hubID, d.tier, demoWorkspace, d.key, d.token, d.tokenNoDeals, d.serviceKey,
		grpcurl, demoWorkspace, d.token, svc,
		grpcurl, demoWorkspace, svc,
		curl, d.token, api,
		curl, api,
		curl, api,
		curl, d.tokenNoDeals, api,
		curl, d.serviceKey, api,
		curl, api, curl, api, curl, api, curl, api, curl, api,
		curl, api, d.deal,
		curl, demoWebhookSecret, api,
		grpcurl, demoWorkspace, svc,
		curl, api,
		d.hubspotURL, d.hubID, d.contact)
}
