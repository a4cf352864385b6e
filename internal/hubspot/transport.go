package hubspot

import (
	fastjson "github.com/goccy/go-json"

	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxResponseBytes bounds how much of a response body we read.
const maxResponseBytes = 64 << 20

// endpoint describes one HubSpot operation. template is what logs, errors
// and metrics see: it never holds ids, emails or the token.
type endpoint struct {
	method     string
	template   string
	kind       RequestKind
	idempotent bool // see retry.go for the classification
}

func (e endpoint) String() string { return e.method + " " + e.template }

// request is one call: the endpoint plus its expanded path, query and body.
type request struct {
	endpoint
	path  string // escaped, absolute path
	query url.Values
	body  any // marshalled to JSON; nil sends no body
	raw   []byte
	// permit, when set, was acquired by the caller from this client's
	// limiter; the first attempt is sent under it instead of waiting.
	// Retries wait in the limiter as usual.
	permit *Permit
}

// expand fills a path template's {placeholders} in order, escaping each
// value as one path segment (emails keep their '@', slashes are escaped).
func expand(template string, values ...string) string {
	var b strings.Builder
	rest := template
	for _, v := range values {
		open := strings.IndexByte(rest, '{')
		closeAt := strings.IndexByte(rest, '}')
		if open < 0 || closeAt < open {
			break
		}
		b.WriteString(rest[:open])
		b.WriteString(url.PathEscape(v))
		rest = rest[closeAt+1:]
	}
	b.WriteString(rest)
	return b.String()
}

// send runs the call with limiter, retries and error decoding, and decodes a
// 2xx body into out (which may be nil). It returns the final status code.
func (c *Client) send(ctx context.Context, r request, out any) (int, error) {
	status, _, err := c.sendCounted(ctx, r, out)
	return status, err
}

// sendCounted is send that also says how many attempts were made (0 when
// the request was never attempted). A request's permit is always consumed:
// released unused if the request fails before its first attempt.
func (c *Client) sendCounted(ctx context.Context, r request, out any) (status, attempts int, err error) {
	if r.permit != nil {
		defer r.permit.Done(nil) // no-op once the first attempt has completed it
	}
	if r.body != nil && r.raw == nil {
		raw, err := json.Marshal(r.body)
		if err != nil {
			return 0, 0, fmt.Errorf("hubspot: %s: encoding request: %w", r.endpoint, err)
		}
		r.raw = raw
	}
	for attempt := 1; ; attempt++ {
		status, err := c.attempt(ctx, r, attempt, out)
		if err == nil {
			return status, attempt, nil
		}
		delay, retry := c.retry.decide(r.endpoint, err, attempt)
		if !retry || ctx.Err() != nil {
			return status, attempt, c.finalError(err, attempt)
		}
		if deadline, ok := ctx.Deadline(); ok && c.clock.Now().Add(delay).After(deadline) {
			return status, attempt, c.finalError(err, attempt) // the caller would give up before we retried
		}
		if delay > 0 {
			select {
			case <-c.clock.After(delay):
			case <-ctx.Done():
				return status, attempt, c.finalError(err, attempt)
			}
		}
	}
}

// finalError records how many attempts were made on the error we return,
// and for a 423 (whose body says nothing about timing) the lock delay
// HubSpot documents, so callers can pass it on as a retry hint.
func (c *Client) finalError(err error, attempts int) error {
	if e, ok := errors.AsType[*APIError](err); ok {
		e.Attempts = attempts
		if e.StatusCode == http.StatusLocked {
			e.RetryAfter = max(e.RetryAfter, c.retry.LockedDelay)
		}
	}
	if e, ok := errors.AsType[*TransportError](err); ok {
		e.Attempts = attempts
	}
	return err
}

// attempt makes one HTTP exchange, going through the limiter first (except
// for a first attempt made under the caller's own permit).
func (c *Client) attempt(ctx context.Context, r request, attempt int, out any) (int, error) {
	waitStart := c.clock.Now()
	permit := r.permit
	if attempt > 1 || permit == nil {
		var err error
		permit, err = c.limiter.Wait(ctx, r.kind)
		if err != nil {
			if rl, ok := errors.AsType[*RateLimitError](err); ok {
				rl.Operation = r.endpoint.String()
			}
			return 0, err
		}
	}
	waited := c.clock.Now().Sub(waitStart)

	attemptCtx, cancel := context.WithTimeoutCause(ctx, c.timeout, errAttemptTimeout)
	defer cancel()
	req, err := c.newHTTPRequest(attemptCtx, r)
	if err != nil {
		permit.Done(nil)
		return 0, err
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		permit.Done(nil)
		terr := c.transportError(ctx, attemptCtx, r.endpoint, err)
		c.observe(ctx, r, attempt, 0, time.Since(start), waited, "", terr)
		return 0, terr
	}
	permit.Done(resp.Header)
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	_ = resp.Body.Close()
	correlationID := c.token.scrub(resp.Header.Get("X-HubSpot-Correlation-Id"))

	if readErr != nil {
		terr := c.transportError(ctx, attemptCtx, r.endpoint, readErr)
		c.observe(ctx, r, attempt, resp.StatusCode, time.Since(start), waited, correlationID, terr)
		return resp.StatusCode, terr
	}
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		rerr := redirectError(r.endpoint, resp.StatusCode, req, resp.Header.Get("Location"), c.token.scrub)
		c.observe(ctx, r, attempt, resp.StatusCode, time.Since(start), waited, correlationID, rerr)
		return resp.StatusCode, rerr
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		herr := decodeHTTPError(resp.StatusCode, resp.Header, body, r.endpoint.String(), c.token.scrub)
		if rl, ok := errors.AsType[*RateLimitError](herr); ok {
			c.completeRateLimit(r.kind, rl)
		}
		c.observe(ctx, r, attempt, resp.StatusCode, time.Since(start), waited, correlationID, herr)
		return resp.StatusCode, herr
	}
	var decodeErr error
	if out != nil && len(bytes.TrimSpace(body)) > 0 {
		// goccy/go-json decodes ~4× faster than encoding/json with the same semantics; it
		// matters for large property lists (field discovery) and batch results.
		if err := fastjson.Unmarshal(body, out); err != nil {
			// The message of a json error can quote the body; keep only its type.
			decodeErr = fmt.Errorf("%w: %s: decoding %d response: %T", ErrUnexpectedResponse, r.endpoint, resp.StatusCode, err)
		}
	}
	c.observe(ctx, r, attempt, resp.StatusCode, time.Since(start), waited, correlationID, decodeErr)
	return resp.StatusCode, decodeErr
}

// completeRateLimit fills in the policy when HubSpot left it out, tells the
// limiter, and records when a retry could go.
func (c *Client) completeRateLimit(kind RequestKind, rl *RateLimitError) {
	if rl.Policy == "" {
		rl.Policy = PolicyTenSecondlyRolling
		if kind == KindSearch {
			rl.Policy = PolicySecondly
		}
	}
	retryAt := c.limiter.Throttled(kind, rl.Policy)
	if d := retryAt.Sub(c.clock.Now()); d > rl.RetryAfter {
		rl.RetryAfter = d
	}
	rl.RetryAt = c.clock.Now().Add(rl.RetryAfter)
}

var errAttemptTimeout = errors.New("attempt timed out")

func (c *Client) newHTTPRequest(ctx context.Context, r request) (*http.Request, error) {
	u := *c.baseURL
	u.RawPath = strings.TrimRight(c.baseURL.EscapedPath(), "/") + r.path
	path, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, fmt.Errorf("hubspot: %s: building request: %w", r.endpoint, ErrInvalidRequest)
	}
	u.Path = path
	if len(r.query) > 0 {
		u.RawQuery = r.query.Encode()
	}
	var body io.Reader
	if r.raw != nil {
		body = bytes.NewReader(r.raw)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("hubspot: %s: building request: %w", r.endpoint, ErrInvalidRequest)
	}
	req.Header.Set("Authorization", "Bearer "+c.token.reveal())
	req.Header.Set("Accept", "application/json")
	if r.raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// transportError classifies a failure that produced no usable response.
// Its message is rebuilt from the cause's type and a scrubbed text, never
// from the URL (which can hold emails) or the request.
func (c *Client) transportError(callerCtx, attemptCtx context.Context, ep endpoint, err error) *TransportError {
	te := &TransportError{Operation: ep.String(), err: err}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		te.NotSent = true
	}
	switch {
	case callerCtx.Err() != nil:
		te.callerDone = true
		te.err = callerCtx.Err()
		te.msg = "call ended by caller: " + callerCtx.Err().Error()
	case errors.Is(context.Cause(attemptCtx), errAttemptTimeout):
		te.err = errAttemptTimeout
		te.msg = "attempt timed out"
	default:
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err // drop "Post \"https://…\":"
		}
		te.msg = c.token.scrub(err.Error())
	}
	return te
}

// observe logs the attempt at debug and calls the OnCall hook. Bodies, full
// paths and the token are never logged.
func (c *Client) observe(ctx context.Context, r request, attempt, status int, d, waited time.Duration, correlationID string, err error) {
	if c.logger.Enabled(ctx, slog.LevelDebug) {
		attrs := []slog.Attr{
			slog.String("method", r.method),
			slog.String("path", r.template),
			slog.Int("status", status),
			slog.Duration("duration", d),
			slog.Int("attempt", attempt),
		}
		if waited > time.Millisecond {
			attrs = append(attrs, slog.Duration("limiter_wait", waited))
		}
		if correlationID != "" {
			attrs = append(attrs, slog.String("correlation_id", correlationID))
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		c.logger.LogAttrs(ctx, slog.LevelDebug, "hubspot call", attrs...)
	}
	if c.onCall != nil {
		c.onCall(CallInfo{Method: r.method, PathTemplate: r.template, Kind: r.kind, Attempt: attempt,
			StatusCode: status, Duration: d, Waited: waited, CorrelationID: correlationID, Err: err})
	}
}
