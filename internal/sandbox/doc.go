// Package sandbox is an in-memory emulator of HubSpot's CRM REST API, served as an
// http.Handler.
//
// It exists so that our HubSpot client, the service's end-to-end tests, the demo mode
// and developers can exercise real wire behaviour without a HubSpot portal: private-app
// tokens with scopes, the object, batch, search, property and v4 association endpoints
// (each also under its 2026-03 date-versioned path where HubSpot documents one: see
// routes.go), HubSpot's validation and error bodies, its rate limits (a true rolling ten-second
// window per app, a daily budget per account and five searches per second), and
// injected faults (latency, 5xx, outages, connection resets, and writes whose response
// is lost), and the way back: a log of every change to contacts, companies and deals,
// signed webhooks sent to subscribed apps with retries and delivery faults, and edits,
// deletes, restores, merges and bulk edits "made in HubSpot" (events.go, webhooks.go,
// hubspot_edits.go). The wire shapes follow HubSpot's public OpenAPI specs and its developer docs
// (developers.hubspot.com), with what integrators have recorded of real responses where
// the two are silent, and are checked against HubSpot's official npm client by the test
// in conformance_test.go.
//
// The package shares no code with our Go HubSpot client on purpose: a fake that reuses
// the client's types would agree with the client's mistakes. It imports the standard
// library only, and the client imports it only from tests; isolation_test.go checks both.
//
// A Sandbox is safe for concurrent use. Time and randomness are injectable (Options.Now,
// Options.Seed) so tests can be deterministic. Besides the HubSpot endpoints, an admin
// API under /_sandbox/ (no auth) exposes the same operations as the Go methods.
package sandbox
