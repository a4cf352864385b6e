package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/outbox"
	"github.com/connectflo/integrations/internal/sandbox"
)

// pageEvents is the review's page: 60 events, listed with page_size 60.
const pageEvents = 60

// reviewMetadataBytes is the metadata value of the review's events (3.8 MB each).
const reviewMetadataBytes = 3_800_000

// benchTimelinePage logs pageEvents NOTE events with the largest body the server accepts
// while delivery is held, lists them over REST with page_size 60 and reads the server's
// memory before and after; then sends the review's 3.8 MB metadata value over both
// transports, which must be refused.
func benchTimelinePage(ctx context.Context, env *benchEnv, bin string) ([]row, error) {
	h, err := newBenchHub(sandbox.Options{}, sandbox.TierEnterprise)
	if err != nil {
		return nil, err
	}
	defer h.close()
	seed, err := h.sb.SeedSampleData(h.acct.HubID)
	if err != nil {
		return nil, err
	}
	srv, err := startServerProcess(ctx, bin, h.srv.URL)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	c, conn, err := connectBench(ctx, srv.grpcAddr, srv.key, h, client.WithTimeout(time.Minute), client.WithMaxAttempts(1))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	// Hold delivery, as benchTimeline does: HubSpot refuses engagements without the contacts
	// write scope (403), which the outbox holds, so the events stay in the database.
	if err := h.sb.SetTokenScopes(h.token.Token, withoutScope(sandbox.AllScopes(), "crm.objects.contacts.write")); err != nil {
		return nil, err
	}
	seq := 0
	logNote := func(body string, metadata map[string]string) (*integrationsv1.LogTimelineEventRequest, error) {
		seq++
		req := &integrationsv1.LogTimelineEventRequest{Parent: conn.GetName(), RequestId: fmt.Sprintf("page-%d", seq),
			TimelineEvent: &integrationsv1.TimelineEvent{Kind: integrationsv1.TimelineEventKind_TIMELINE_EVENT_KIND_NOTE, Body: body, Metadata: metadata,
				Contact:   &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Id{Id: seed.Contacts[0]}},
				OccurTime: timestamppb.New(time.Date(2026, 11, 27, 12, 0, seq, 0, time.UTC))}}
		_, err := c.LogTimelineEvent(ctx, req)
		return req, err
	}
	largest, err := largestBody(func(body string) error { _, err := logNote(body, nil); return err })
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(env.log, "hardening: largest NOTE body accepted: %d characters (composed body at most %d)\n", largest, outbox.MaxEngagementBodyChars)
	body := bodyText(largest)
	for i := range pageEvents {
		if _, err := logNote(body, nil); err != nil {
			return nil, fmt.Errorf("event %d of %d with a body of %d characters: %w", i+1, pageEvents, largest, err)
		}
	}
	before := srv.rss()
	page, err := listPageREST(ctx, srv, conn.GetName(), pageEvents)
	if err != nil {
		return nil, err
	}
	after, peak := srv.rss(), srv.peakRSS()
	fmt.Fprintf(env.log, "hardening: REST page of %d events, %d bytes, next page token %q; RSS %.0f → %.0f MiB (peak %.0f MiB)\n",
		page.events, page.bytes, page.next, before, after, peak)

	// The review's events: one 3.8 MB metadata value each.
	req, grpcErr := logNote("Customer called about pricing.", map[string]string{"transcript": strings.Repeat("a", reviewMetadataBytes)})
	if grpcErr == nil {
		return nil, fmt.Errorf("LogTimelineEvent with a %d-byte metadata value was accepted", reviewMetadataBytes)
	}
	d := client.ErrorDetails(grpcErr)
	if d.Code != codes.InvalidArgument {
		return nil, fmt.Errorf("LogTimelineEvent with a %d-byte metadata value: want INVALID_ARGUMENT, got %w", reviewMetadataBytes, grpcErr)
	}
	field := ""
	if len(d.FieldViolations) > 0 {
		field = d.FieldViolations[0].Field
	}
	req.RequestId += "-rest"
	httpStatus, restReason, err := logREST(ctx, srv, req)
	if err != nil {
		return nil, err
	}
	if httpStatus != http.StatusBadRequest {
		return nil, fmt.Errorf("REST LogTimelineEvent with a %d-byte metadata value: want HTTP 400, got %d %s", reviewMetadataBytes, httpStatus, restReason)
	}
	fmt.Fprintf(env.log, "hardening: %d-byte metadata value: gRPC %s %s (%s); REST HTTP %d %s\n", reviewMetadataBytes, d.Code, d.Reason, field, httpStatus, restReason)

	group := "hardening: timeline events at the size limit"
	next := "no"
	if page.next != "" {
		next = "yes"
	}
	return []row{
		{group, "largest NOTE body accepted (composed body ≤ 65,536 characters)", fmt.Sprintf("%d characters", largest), "—"},
		{group, fmt.Sprintf("REST ListTimelineEvents page_size %d over %d such events: events, bytes, next page token", pageEvents, pageEvents),
			fmt.Sprintf("%d events, %s, next page token: %s", page.events, kb(page.bytes), next), "page bounded by bytes"},
		{group, "server RSS before → after the listing (review: 36 MB → 751 MB)", fmt.Sprintf("%.0f → %.0f MiB (peak %.0f MiB)", before, after, peak), "tens of MiB"},
		{group, "LogTimelineEvent with a 3.8 MB metadata value (review: accepted)",
			fmt.Sprintf("refused: gRPC %s, reason %s, on %s; REST HTTP %d, reason %s", d.Code, d.Reason, field, httpStatus, restReason), "refused, INVALID_ARGUMENT"},
	}, nil
}

// largestBody finds by bisection the longest body log accepts; a refusal must be the body's
// INVALID_ARGUMENT (anything else fails the bench). Accepted probes stay queued, older than
// the page the bench lists.
func largestBody(log func(body string) error) (int, error) {
	lo, hi := 0, outbox.MaxEngagementBodyChars+1 // lo is accepted (an empty body is), hi refused
	accepted := func(n int) (bool, error) {
		err := log(bodyText(n))
		switch d := client.ErrorDetails(err); {
		case err == nil:
			return true, nil
		case d.Code == codes.InvalidArgument && len(d.FieldViolations) > 0 && d.FieldViolations[0].Field == "timeline_event.body":
			return false, nil
		default:
			return false, fmt.Errorf("a NOTE body of %d characters: %w", n, err)
		}
	}
	if ok, err := accepted(hi); err != nil || ok {
		return 0, cmp.Or(err, fmt.Errorf("a NOTE body of %d characters was accepted: HubSpot allows %d in all", hi, outbox.MaxEngagementBodyChars))
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		ok, err := accepted(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// bodyText is n characters of prose that HTML escaping leaves as they are.
func bodyText(n int) string {
	const sentence = "Customer asked about pricing and the plans page; agent sent the annual offer. "
	return strings.Repeat(sentence, n/len(sentence)+1)[:n]
}

type restPage struct {
	events, bytes int
	next          string
}

// listPageREST reads the newest page of a connection's timeline events through the gateway.
func listPageREST(ctx context.Context, srv *serverProcess, conn string, size int) (restPage, error) {
	url := fmt.Sprintf("http://%s/v1/%s/timelineEvents?page_size=%d", srv.httpAddr, conn, size)
	status, body, err := restCall(ctx, srv, "GET", url, nil)
	if err != nil {
		return restPage{}, err
	}
	if status != http.StatusOK {
		return restPage{}, fmt.Errorf("GET %s: HTTP %d: %.300s", url, status, body)
	}
	var resp struct {
		TimelineEvents []json.RawMessage `json:"timelineEvents"`
		NextPageToken  string            `json:"nextPageToken"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return restPage{}, fmt.Errorf("GET %s: %w", url, err)
	}
	return restPage{events: len(resp.TimelineEvents), bytes: len(body), next: resp.NextPageToken}, nil
}

// logREST sends req through the gateway and returns the HTTP status and the error's reason.
func logREST(ctx context.Context, srv *serverProcess, req *integrationsv1.LogTimelineEventRequest) (int, string, error) {
	payload, err := protojson.Marshal(req)
	if err != nil {
		return 0, "", err
	}
	status, body, err := restCall(ctx, srv, "POST", fmt.Sprintf("http://%s/v1/%s/timelineEvents", srv.httpAddr, req.GetParent()), payload)
	if err != nil {
		return 0, "", err
	}
	var answer struct {
		Details []struct {
			Reason string `json:"reason"`
		} `json:"details"`
	}
	_ = json.Unmarshal(body, &answer) // a success has no details; the status says so
	reason := ""
	for _, d := range answer.Details {
		if d.Reason != "" {
			reason = d.Reason
		}
	}
	return status, reason, nil
}

func restCall(ctx context.Context, srv *serverProcess, method, url string, payload []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(payload))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+srv.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}
