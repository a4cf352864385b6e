package hubspot

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestRedirectsAreNotFollowed: a redirect, even to another port of the same loopback host, is
// an error naming where it pointed; nothing reaches the target (no Authorization header leaks,
// a PATCH never becomes a GET that looks like a successful update) and nothing is retried.
func TestRedirectsAreNotFollowed(t *testing.T) {
	target := newFakeHubSpot(t, func(w http.ResponseWriter, _ seen) {
		writeJSON(w, 200, `{"id":"1","properties":{}}`) // what a followed redirect would have "succeeded" with
	})
	tests := []struct {
		name   string
		status int
		path   string // where the redirect points, on the target
		call   func(ctx context.Context, c *Client) error
	}{
		{"patch by 302 would turn into a get", http.StatusFound, "/crm/v3/objects/deals/1", func(ctx context.Context, c *Client) error {
			_, err := c.UpdateObject(ctx, "deals", "1", map[string]string{"dealstage": "closedwon"}, UpdateObjectOptions{})
			return err
		}},
		{"patch by 303", http.StatusSeeOther, "/crm/v3/objects/deals/1", func(ctx context.Context, c *Client) error {
			_, err := c.UpdateObject(ctx, "deals", "1", map[string]string{"dealstage": "closedwon"}, UpdateObjectOptions{})
			return err
		}},
		{"get by 301", http.StatusMovedPermanently, "/crm/v3/objects/contacts/7", func(ctx context.Context, c *Client) error {
			_, err := c.GetObject(ctx, "contacts", "7", GetObjectOptions{})
			return err
		}},
		{"post by 307 would resend the body", http.StatusTemporaryRedirect, "/crm/v3/objects/contacts", func(ctx context.Context, c *Client) error {
			_, err := c.CreateObject(ctx, "contacts", CreateObjectInput{Properties: map[string]string{"email": "a@example.com"}})
			return err
		}},
		{"idempotent get by 308 is not retried either", http.StatusPermanentRedirect, "/crm/v3/properties/contacts", func(ctx context.Context, c *Client) error {
			_, err := c.ListProperties(ctx, "contacts", ListPropertiesOptions{})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			origin := newFakeHubSpot(t, func(w http.ResponseWriter, _ seen) {
				w.Header().Set("Location", target.srv.URL+tc.path+"?email=a%40example.com")
				w.WriteHeader(tc.status)
			})
			before := len(target.seen())
			err := tc.call(context.Background(), testClient(t, origin.srv.URL, nil))

			var rerr *RedirectError
			if !errors.Is(err, ErrRedirected) || !errors.As(err, &rerr) {
				t.Fatalf("err = %v, want a *RedirectError matching ErrRedirected", err)
			}
			want := RedirectError{Operation: rerr.Operation, StatusCode: tc.status, Location: target.srv.URL + tc.path}
			if d := diff(want, *rerr); d != "" {
				t.Errorf("redirect error (the query, which can hold emails, is dropped):\n%s", d)
			}
			if !strings.Contains(err.Error(), target.srv.URL+tc.path) {
				t.Errorf("message %q does not name the location", err)
			}
			if got := len(target.seen()) - before; got != 0 {
				t.Errorf("the redirect target received %d request(s) (Authorization %q); want none", got, target.seen()[before].Auth)
			}
			if got := len(origin.seen()); got != 1 {
				t.Errorf("origin received %d requests, want 1 (a redirect is not retried)", got)
			}
		})
	}
}

// TestRedirectsAreNotFollowedWithCallerHTTPClient: a caller's own http.Client (whose policy
// would follow redirects) is used with redirects refused, and is itself left unchanged.
func TestRedirectsAreNotFollowedWithCallerHTTPClient(t *testing.T) {
	target := newFakeHubSpot(t, func(w http.ResponseWriter, _ seen) { writeJSON(w, 200, `{}`) })
	origin := newFakeHubSpot(t, func(w http.ResponseWriter, _ seen) {
		http.Redirect(w, &http.Request{}, target.srv.URL+"/elsewhere", http.StatusFound)
	})
	mine := &http.Client{}
	c := testClient(t, origin.srv.URL, func(o *Options) { o.HTTPClient = mine })
	_, err := c.GetObject(context.Background(), "contacts", "7", GetObjectOptions{})
	if !errors.Is(err, ErrRedirected) {
		t.Fatalf("err = %v, want ErrRedirected", err)
	}
	if n := len(target.seen()); n != 0 {
		t.Errorf("target received %d requests, want 0", n)
	}
	if mine.CheckRedirect != nil {
		t.Error("the caller's http.Client was modified")
	}
}

// TestClientsShareOneTransport: clients of different tokens (connections) made without an
// HTTPClient reuse one connection pool, so a second client's call rides the first one's idle
// keep-alive connection instead of opening its own.
func TestClientsShareOneTransport(t *testing.T) {
	var mu sync.Mutex
	opened := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, `{"id":"1","properties":{}}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			opened++
			mu.Unlock()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	const clients = 4
	for i := range clients {
		c := testClient(t, srv.URL, nil)
		if _, err := c.GetObject(context.Background(), "contacts", "1", GetObjectOptions{}); err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if opened != 1 {
		t.Errorf("%d clients called one after another opened %d TCP connections, want 1 (one shared transport)", clients, opened)
	}
}

func TestPlainHTTPBeyondLoopback(t *testing.T) {
	tests := []struct {
		url  string
		want bool
	}{
		{"https://api.hubapi.com", false},
		{"http://127.0.0.1:8089", false},
		{"http://[::1]:8089", false},
		{"http://localhost:8089", false},
		{"http://10.0.0.7:8089", true},
		{"http://hubspot-proxy.internal", true},
		{"HTTP://192.168.1.2", true},
		{"https://10.0.0.7", false},
	}
	for _, tc := range tests {
		if got := PlainHTTPBeyondLoopback(tc.url); got != tc.want {
			t.Errorf("PlainHTTPBeyondLoopback(%q) = %v, want %v", tc.url, got, tc.want)
		}
	}
}
