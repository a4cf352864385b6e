package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// reply is a handler's whole answer. Handlers build replies instead of writing to the
// connection so that a "lost response" fault can run the write and then drop it.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func jsonReply(status int, v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		// Every body is built from our own types; failing to encode one is a bug.
		panic("sandbox: encoding reply: " + err.Error())
	}
	return reply{status: status, body: b}
}

func noContent() reply { return reply{status: http.StatusNoContent} }

func (rep reply) write(w http.ResponseWriter, correlationID string) {
	for k, vs := range rep.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("X-HubSpot-Correlation-Id", correlationID)
	if rep.body != nil {
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(rep.body)))
	}
	w.WriteHeader(rep.status)
	if rep.body != nil {
		_, _ = w.Write(rep.body)
	}
}

// bufferedResponse collects what the router writes, so ServeHTTP can decide afterwards
// whether the client gets it.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferedResponse() *bufferedResponse {
	return &bufferedResponse{header: http.Header{}, status: http.StatusOK}
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedResponse) WriteHeader(status int)      { b.status = status }

func (b *bufferedResponse) flushTo(w http.ResponseWriter, correlationID string) {
	for k, vs := range b.header {
		w.Header()[k] = vs
	}
	w.Header().Set("X-HubSpot-Correlation-Id", correlationID)
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}

// dropConnection closes the TCP connection without a response, as a load balancer
// reset would. Where the writer cannot be hijacked (httptest.ResponseRecorder), it
// panics with http.ErrAbortHandler, which the server also turns into a dropped
// connection.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(interface{ SetLinger(int) error }); ok {
		_ = tcp.SetLinger(0) // RST rather than FIN: what a reset looks like to the client
	}
	_ = conn.Close()
}

type correlationKey struct{}

func withCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

func correlationIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}

// decodeJSON reads a request body into v; an empty body decodes as {}.
func decodeJSON(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	return json.Unmarshal(b, v)
}

// endpointLabel names a request for the counters: the route pattern with the object
// type wildcards filled in ("POST /crm/v3/objects/contacts/batch/upsert"), so tests can
// count per object type without caring about ids.
func endpointLabel(r *http.Request, pattern string) string {
	if pattern == "" {
		return r.Method + " (unrouted)"
	}
	method, p, ok := strings.Cut(pattern, " ")
	if !ok {
		return r.Method + " " + pattern
	}
	p = strings.TrimSuffix(p, "{$}") // "/crm/v3/owners/{$}" counts as "/crm/v3/owners/"
	patSegs := strings.Split(p, "/")
	pathSegs := strings.Split(r.URL.Path, "/")
	for i, seg := range patSegs {
		if i >= len(pathSegs) {
			break
		}
		switch seg {
		case "{objectType}", "{fromObjectType}", "{toObjectType}":
			if ot, ok := lookupObjectType(pathSegs[i]); ok {
				patSegs[i] = ot.name
			} else {
				patSegs[i] = pathSegs[i]
			}
		}
	}
	return method + " " + strings.Join(patSegs, "/")
}

// isoMillis formats a time the way HubSpot does on records: UTC with milliseconds.
func isoMillis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
