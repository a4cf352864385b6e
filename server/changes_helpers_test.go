package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/changes"
	"github.com/connectflo/integrations/internal/service"
)

// openStream calls the server-streaming method md with req on conn and returns once the
// server accepted it (its service.WatchOpenHeader) or refused it (the error). With first
// set, it then reads the first message into resp. The stream ends with ctx.
func openStream(ctx context.Context, conn *grpc.ClientConn, md protoreflect.MethodDescriptor, req, resp proto.Message, first bool) error {
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, fullMethod(md))
	if err != nil {
		return err
	}
	if err := stream.SendMsg(req); err != nil {
		return stream.RecvMsg(resp) // the status says why
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	h, err := stream.Header()
	if err != nil {
		return err
	}
	if len(h.Get(service.WatchOpenHeader)) == 0 || first {
		return stream.RecvMsg(resp) // a refusal, or the first message
	}
	return nil
}

// watchREST opens GET path (a changes:watch) with key and returns the HTTP status and, for a
// 200, a reader of its lines; the stream ends with ctx.
func (ts *testServer) watchREST(ctx context.Context, t *testing.T, path, key string) (int, *bufio.Scanner, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+ts.httpAddr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		var b strings.Builder
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			b.WriteString(sc.Text())
		}
		return resp.StatusCode, nil, b.String()
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	return 200, sc, ""
}

// nextChangeREST reads the next NDJSON line of a REST watch: {"result": Change}.
func nextChangeREST(t *testing.T, sc *bufio.Scanner) *integrationsv1.Change {
	t.Helper()
	if !sc.Scan() {
		t.Fatalf("the REST watch ended: %v", sc.Err())
	}
	var line struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(sc.Bytes(), &line); err != nil || line.Result == nil {
		t.Fatalf("REST watch line is not {\"result\": …}: %s (%v)", sc.Bytes(), err)
	}
	c := &integrationsv1.Change{}
	if err := protojson.Unmarshal(line.Result, c); err != nil {
		t.Fatalf("REST watch result is not a Change: %v\n%s", err, line.Result)
	}
	return c
}

// webhookSecret is the client secret of the HubSpot app the tests' webhooks come from.
const webhookSecret = "the-apps-client-secret"

// setWebhookSecret gives conn the webhook secret through UpdateChangeSettings.
func setWebhookSecret(t *testing.T, c *client.Client, conn, secret string) *integrationsv1.ChangeSettings {
	t.Helper()
	cs, err := c.UpdateChangeSettings(context.Background(), &integrationsv1.UpdateChangeSettingsRequest{
		ChangeSettings: &integrationsv1.ChangeSettings{Name: client.ChangeSettingsName(conn), WebhookClientSecret: secret}})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// hubEvent is one HubSpot webhook event, as HubSpot documents it.
type hubEvent map[string]any

// propertyChange is a contact.propertyChange event of the test's portal.
func (ts *testServer) propertyChange(eventID int64, objectID, prop, value string, occurred time.Time) hubEvent {
	return hubEvent{"eventId": eventID, "subscriptionId": 7, "portalId": ts.acct.HubID, "appId": 0, "occurredAt": occurred.UnixMilli(),
		"subscriptionType": "contact.propertyChange", "attemptNumber": 0, "objectId": mustInt(objectID), "propertyName": prop,
		"propertyValue": value, "changeSource": "CRM_UI"}
}

// event is an event of subscriptionType on objectID of the test's portal.
func (ts *testServer) event(eventID int64, subscriptionType, objectID string, occurred time.Time) hubEvent {
	return hubEvent{"eventId": eventID, "subscriptionId": 8, "portalId": ts.acct.HubID, "appId": 0, "occurredAt": occurred.UnixMilli(),
		"subscriptionType": subscriptionType, "attemptNumber": 0, "objectId": mustInt(objectID), "changeSource": "CRM_UI"}
}

func mustInt(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic(err)
	}
	return n
}

// webhookRequest is a webhook POST as HubSpot sends it, signed with secret at ts (ms).
type webhookRequest struct {
	body      []byte
	secret    string
	timestamp string
	noHeaders bool
}

// signedWebhook is events signed with secret, sent now.
func signedWebhook(t *testing.T, secret string, events ...hubEvent) webhookRequest {
	t.Helper()
	body, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	return webhookRequest{body: body, secret: secret, timestamp: strconv.FormatInt(time.Now().UnixMilli(), 10)}
}

// postWebhook sends w to the server's webhook endpoint and returns the HTTP status.
func (ts *testServer) postWebhook(t *testing.T, w webhookRequest) int {
	t.Helper()
	uri := "http://" + ts.httpAddr + changes.WebhookPath
	req, err := http.NewRequest("POST", uri, strings.NewReader(string(w.body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if !w.noHeaders {
		req.Header.Set(changes.TimestampHeader, w.timestamp)
		req.Header.Set(changes.SignatureHeader, changes.Sign([]byte(w.secret), "POST", uri, w.body, w.timestamp))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", uri, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// watchFirst opens WatchChanges over gRPC and returns the first change (waiting for it).
func watchFirst(t *testing.T, c *client.Client, req *integrationsv1.WatchChangesRequest) *integrationsv1.Change {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &integrationsv1.Change{}
	if err := openStream(ctx, c.Conn(), method(t, "WatchChanges"), req, out, true); err != nil {
		t.Fatalf("WatchChanges: %v", err)
	}
	return out
}

// receiveChanges reads n changes from a gRPC watch.
func receiveChanges(t *testing.T, stream grpc.ServerStreamingClient[integrationsv1.Change], n int) []*integrationsv1.Change {
	t.Helper()
	var out []*integrationsv1.Change
	for range n {
		c, err := stream.Recv()
		if err != nil {
			t.Fatalf("after %d changes: %v", len(out), err)
		}
		out = append(out, c)
	}
	return out
}
