package client

import (
	"context"
	"iter"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// MaxWatchResumes bounds how many times in a row Changes re-opens a watch that failed with
// UNAVAILABLE without receiving a change in between; the backoff between attempts is the
// retries' (full jitter, 100 ms doubling up to 2 s).
const MaxWatchResumes = 10

// Changes watches a connection's changes (WatchChanges) from req's cursor, and yields each
// one. It remembers the cursor of the last change yielded, and when the stream fails with
// UNAVAILABLE (a server restarting, a network cut) it opens it again from there, after a
// backoff, up to MaxWatchResumes times in a row. Delivery is at least once, in cursor order:
// drop a change whose id you have already handled. Any other error, or ctx's end, is yielded
// last; breaking out of the loop ends the watch.
//
//	for ch, err := range c.Changes(ctx, &integrationsv1.WatchChangesRequest{Connection: conn, Cursor: saved}) {
//		if err != nil {
//			return err // CHANGE_CURSOR_EXPIRED: resync, then watch without a cursor
//		}
//		handle(ch)
//		saved = ch.GetCursor()
//	}
func (c *Client) Changes(ctx context.Context, req *integrationsv1.WatchChangesRequest) iter.Seq2[*integrationsv1.Change, error] {
	return func(yield func(*integrationsv1.Change, error) bool) {
		req := proto.Clone(req).(*integrationsv1.WatchChangesRequest)
		failures := 0
		for {
			err := c.watchOnce(ctx, req, yield, &failures)
			if err == nil {
				return // the consumer stopped
			}
			if ctx.Err() != nil {
				yield(nil, ctx.Err())
				return
			}
			failures++
			if status.Code(err) != codes.Unavailable || failures > MaxWatchResumes {
				yield(nil, err)
				return
			}
			t := time.NewTimer(backoff(failures))
			select {
			case <-ctx.Done():
				t.Stop()
				yield(nil, ctx.Err())
				return
			case <-t.C:
			}
		}
	}
}

// watchOnce runs one stream from req.Cursor, advancing it with each change yielded; it returns
// nil when the consumer stopped, else the error that ended the stream.
func (c *Client) watchOnce(ctx context.Context, req *integrationsv1.WatchChangesRequest, yield func(*integrationsv1.Change, error) bool, failures *int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.WatchChanges(ctx, req)
	if err != nil {
		return err
	}
	for {
		ch, err := stream.Recv()
		if err != nil {
			return err
		}
		*failures = 0
		req.Cursor = ch.GetCursor()
		if !yield(ch, nil) {
			return nil
		}
	}
}
