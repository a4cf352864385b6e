package idempotency

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/connectflo/integrations/internal/auth"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/rpcerr"
	"github.com/connectflo/integrations/internal/store"
	"github.com/connectflo/integrations/internal/telemetry"
)

// MaxCallDuration bounds a call that carries a request_id (its context ends then), and so how
// long its row holds the request_id if its process dies: a retry after that runs again.
const MaxCallDuration = 2 * time.Minute

// recordGrace is how long after its deadline a call has to store its answer before another
// process may take its request_id over.
const recordGrace = 5 * time.Second

// Store keeps the rows of request_ids (internal/store).
type Store interface {
	ClaimRequest(ctx context.Context, c store.RequestCall) (store.RequestReply, bool, error)
	FinishRequest(ctx context.Context, workspace, requestID, claim string, code int, answer []byte) error
	ReleaseRequest(ctx context.Context, workspace, requestID, claim string) error
	RequestReplyOf(ctx context.Context, workspace, requestID string) (store.RequestReply, error)
}

// Keeper keeps the answers of mutations called with a request_id.
type Keeper struct {
	store   Store
	logger  *slog.Logger
	now     func() time.Time
	running inflight
	// pollEvery is the first wait between reads of a row that another process is running;
	// it doubles up to a second.
	pollEvery time.Duration
}

// New returns a Keeper over st.
func New(st Store, logger *slog.Logger) *Keeper {
	return &Keeper{store: st, logger: logger, now: time.Now, pollEvery: 20 * time.Millisecond}
}

// call is one request with a request_id.
type call struct {
	key    callKey
	method string
	print  requestPrint
}

// UnaryInterceptor applies the request_id rules to every request with a non-empty, valid
// request_id field and a resource name in a workspace the caller may act in; other requests
// (and a malformed request_id, which the handler reports) go to the handler untouched. Chain
// it after authentication and the workspace guard.
func (k *Keeper) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		c, ok, err := identify(ctx, req, info.FullMethod)
		if err != nil { // the codec hands over valid messages only (internal/rpcdecode): a bug
			return nil, k.internal(ctx, "fingerprint the request", err)
		}
		if !ok {
			return handler(ctx, req)
		}
		return k.serve(ctx, c, req, handler)
	}
}

// identify finds the request_id, the workspace and the fingerprint of req.
func identify(ctx context.Context, req any, method string) (call, bool, error) {
	m, isProto := req.(proto.Message)
	p, authed := auth.FromContext(ctx)
	if !isProto || !authed {
		return call{}, false, nil
	}
	r := m.ProtoReflect()
	fd := r.Descriptor().Fields().ByName("request_id")
	if fd == nil || fd.Kind() != protoreflect.StringKind || fd.IsList() {
		return call{}, false, nil
	}
	id := r.Get(fd).String()
	if id == "" || !ValidRequestID(id) {
		return call{}, false, nil
	}
	name, ok := scopedName(r)
	if !ok {
		return call{}, false, nil
	}
	ws, ok := resname.WorkspaceOf(name)
	if !ok || !p.CanAccess(ws.ID) {
		return call{}, false, nil // the handler reports the name or the refusal
	}
	fp, err := fingerprint(method, m, fd)
	return call{key: callKey{ws.ID, id}, method: method, print: fp}, err == nil, err
}

// scopedName is the resource name a request acts on: its first field of
// resname.ScopedFields, or, for an AIP-134 update (UpdateChangeSettingsRequest), the name of
// the resource it carries.
func scopedName(r protoreflect.Message) (string, bool) {
	fields := r.Descriptor().Fields()
	for _, field := range resname.ScopedFields {
		nfd := fields.ByName(protoreflect.Name(field))
		if nfd != nil && nfd.Kind() == protoreflect.StringKind && !nfd.IsList() {
			return r.Get(nfd).String(), true
		}
	}
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Kind() != protoreflect.MessageKind || fd.IsList() || fd.IsMap() || !r.Has(fd) {
			continue
		}
		inner := r.Get(fd).Message()
		nfd := inner.Descriptor().Fields().ByName("name")
		if nfd != nil && nfd.Kind() == protoreflect.StringKind && !nfd.IsList() && fd.Name() != "update_mask" {
			return inner.Get(nfd).String(), true
		}
	}
	return "", false
}

// serve answers c: from the call of this process already running it, from the database, or
// by running the handler.
func (k *Keeper) serve(ctx context.Context, c call, req any, handler grpc.UnaryHandler) (any, error) {
	for {
		r, first := k.running.join(c.key, c.print)
		if !first {
			select {
			case <-r.done:
			case <-ctx.Done():
				return nil, waitEnded(ctx)
			}
			if r.answered && sameRequest(r.print, c.method, c.print.sum) {
				return cloneAnswer(r.resp, r.err)
			}
			continue // another request, or it did not run: the database decides
		}
		resp, err, again := k.lead(ctx, c, req, handler, r)
		k.running.finish(c.key, r)
		if !again {
			return resp, err
		}
	}
}

// lead claims c's request_id in the database and runs the handler, or answers from the row
// that holds it. again is true when the row was released while waiting: try from the start.
func (k *Keeper) lead(ctx context.Context, c call, req any, handler grpc.UnaryHandler, r *running) (resp any, err error, again bool) {
	deadline := k.now().Add(MaxCallDuration)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	claim := rand.Text()
	row, claimed, err := k.store.ClaimRequest(ctx, store.RequestCall{Workspace: c.key.workspace, RequestID: c.key.requestID,
		Method: c.method, Fingerprint: c.print.sum, FieldDigests: encodeFields(c.print.fields), Claim: claim,
		Expire: deadline.Add(recordGrace)})
	switch {
	case err != nil:
		return nil, k.storeFailed(ctx, "claim the request_id", err), false
	case !claimed:
		return k.answerFrom(ctx, c, row)
	}
	hctx, cancel := context.WithDeadline(ctx, deadline)
	resp, err = handler(hctx, req)
	cancel()
	r.resp, r.err, r.answered = resp, err, true
	k.keep(ctx, c, claim, resp, err)
	return resp, err, false
}

// answerFrom answers c from the row that holds its request_id: the kept answer, a refusal of
// another request, or, while another process runs it, the answer once it is there.
func (k *Keeper) answerFrom(ctx context.Context, c call, row store.RequestReply) (any, error, bool) {
	wait := k.pollEvery
	for {
		if row.Method != c.method || string(row.Fingerprint) != string(c.print.sum) {
			return nil, reused(c, row), false
		}
		if row.Finished {
			resp, answer, err := decodeAnswer(c.method, codes.Code(row.Code), row.Answer)
			if err != nil {
				return nil, k.internal(ctx, "decode the kept answer", err), false
			}
			return resp, answer, false
		}
		if !k.now().Before(row.Expire) {
			return nil, nil, true // its process died: take it over
		}
		t := time.NewTimer(min(wait, time.Until(row.Expire)))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, waitEnded(ctx), false
		case <-t.C:
		}
		wait = min(2*wait, time.Second)
		var err error
		row, err = k.store.RequestReplyOf(ctx, c.key.workspace, c.key.requestID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, nil, true // released: its answer was not kept
		case err != nil:
			return nil, k.storeFailed(ctx, "read the request_id", err), false
		}
	}
}

// keep stores the answer of the call holding claim, or releases the request_id when the
// answer is not to be kept. It runs even when the caller has gone: the work is done.
func (k *Keeper) keep(ctx context.Context, c call, claim string, resp any, herr error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordGrace)
	defer cancel()
	code, b, ok, err := encodeAnswer(resp, herr)
	if err != nil {
		k.logger.ErrorContext(ctx, "encode an answer to keep; the request_id is released", "method", c.method, "err", err)
	}
	if ok {
		err = k.store.FinishRequest(ctx, c.key.workspace, c.key.requestID, claim, int(code), b)
	} else {
		if err == nil && keptCodes[code] {
			k.logger.InfoContext(ctx, "answer too large to keep for its request_id; a retry runs again",
				"method", c.method, "bytes", len(b), "max", MaxKeptAnswerBytes)
		}
		err = k.store.ReleaseRequest(ctx, c.key.workspace, c.key.requestID, claim)
	}
	if err != nil {
		k.logger.WarnContext(ctx, "store the answer of a request_id; a retry may run again", "method", c.method, "err", err)
	}
}

// storeFailed answers a failed read or write of the request_id's row: the caller's own
// cancellation or deadline as such, anything else as internal.
func (k *Keeper) storeFailed(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	return k.internal(ctx, what, err)
}

// internal logs an unexpected failure and answers INTERNAL with the call's request id.
func (k *Keeper) internal(ctx context.Context, what string, err error) error {
	id := telemetry.RequestID(ctx)
	k.logger.ErrorContext(ctx, "request_id: "+what, "request_id", id, "err", err)
	return rpcerr.Internal(id)
}
