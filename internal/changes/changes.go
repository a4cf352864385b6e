// Package changes owns the changes made in HubSpot that reach the service: what a change is,
// its dedup identity, its cursor, the one entry point that stores detected changes (Ingest,
// for the webhook processor and the poller), the wake-up of the watchers of a connection (in
// this process, and through a Notifier in the others sharing the store), the webhook inbox's
// processing (one process at a time when several share the store), the change settings'
// rules, and HubSpot's webhook format and signature.
//
// Dedup: a change's key is its object type, record id, kind and occur time in milliseconds,
// plus the other record for association kinds and the merged ids for merges. HubSpot sends one
// propertyChange event per property of a write, all stamped with the write's time, so the
// events of one write make one UPDATED change whose fields are their union; the poller stores
// an UPDATED change at the record's modification time, which HubSpot sets to the write's time,
// so a change seen by both paths is one change.
//
// Echo suppression: a change is self-written when its object type, record id and occur time
// equal a write this service made (the record's updatedAt in HubSpot's answer, recorded with
// RecordOwnWrites), or when the webhook says the change came from an integration whose app id
// is the connection's.
package changes

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/store"
)

// Kinds of change (stored as these strings; the API prefixes CHANGE_KIND_).
const (
	KindCreated            = "CREATED"
	KindUpdated            = "UPDATED"
	KindDeleted            = "DELETED"
	KindMerged             = "MERGED"
	KindRestored           = "RESTORED"
	KindAssociationAdded   = "ASSOCIATION_ADDED"
	KindAssociationRemoved = "ASSOCIATION_REMOVED"
)

// Sources of a change (the API prefixes CHANGE_SOURCE_).
const (
	SourceWebhook = "WEBHOOK"
	SourcePoll    = "POLL"
)

// ObjectTypes are the object types whose changes are kept.
var ObjectTypes = []string{"contacts", "companies", "deals"}

// Page sizes of ListChanges.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// DefaultRetention is how long changes are kept unless configured.
const DefaultRetention = 7 * 24 * time.Hour

// Detected is a change as a detector saw it.
type Detected struct {
	ObjectType     string
	RecordID       string
	DisplayName    string
	Kind           string
	Fields         map[string]string // UPDATED: raw HubSpot values
	MergedIDs      []string
	AssociatedType string
	AssociatedID   string
	Occur          time.Time
	Source         string
	SelfWritten    bool // known to be self-written by the detector (the webhook's changeSource)
}

// Key is d's dedup identity.
func (d Detected) Key() string {
	parts := []string{d.ObjectType, d.RecordID, d.Kind, strconv.FormatInt(d.Occur.UnixMilli(), 10)}
	switch d.Kind {
	case KindAssociationAdded, KindAssociationRemoved:
		parts = append(parts, d.AssociatedType, d.AssociatedID)
	case KindMerged:
		ids := slices.Clone(d.MergedIDs)
		slices.Sort(ids)
		parts = append(parts, strings.Join(ids, ","))
	}
	return strings.Join(parts, "/")
}

// ID is the stable id of the change with key: the same HubSpot change always has the same id.
func ID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:12])
}

// Store is the persistence the changes need.
type Store interface {
	IngestChanges(ctx context.Context, uid string, cs []store.Change, inboxIDs []int64) (int, error)
	ListChanges(ctx context.Context, uid string, afterSeq int64, objectTypes []string, limit int) ([]store.Change, error)
	PruneChanges(ctx context.Context, cutoff time.Time, maxRows int) (int, error)
	RecordOwnWritesOf(ctx context.Context, batch []store.OwnWritesOf, now time.Time) error
}

// Feed stores the changes of every connection and wakes their watchers.
type Feed struct {
	store    Store
	logger   *slog.Logger
	now      func() time.Time
	notifier Notifier // nil: this process's watchers are the only ones

	mu    sync.Mutex
	wakes map[string]chan struct{} // by connection uid; closed and replaced at every store

	// Own writes are group-committed: a call queues its writes and waits; one caller at a
	// time (the flusher) writes everything queued in one transaction, then the next batch,
	// so concurrent upserts share commits instead of each paying for one (SQLite commits a
	// few thousand times a second; the upsert path answers more calls than that).
	ownMu       sync.Mutex
	ownQueue    []ownWrites
	ownFlushing bool
}

// ownWrites are one call's writes waiting to be recorded, and where its outcome goes.
type ownWrites struct {
	of   store.OwnWritesOf
	done chan error // buffered 1
}

// NewFeed returns the feed over st.
func NewFeed(st Store, logger *slog.Logger) *Feed {
	return &Feed{store: st, logger: logger, now: time.Now, wakes: map[string]chan struct{}{}}
}

// Ingest stores detected changes of the connection uid in one transaction, deleting the
// inbox rows inboxIDs in it: repeats collapse into the stored change (see the package
// comment), own writes are marked self-written, and the connection's watchers are woken. It
// returns how many new changes it stored. With a notifier (WithNotifier), the watchers of the
// other processes are woken too. The poller calls it with inboxIDs nil.
func (f *Feed) Ingest(ctx context.Context, uid string, ds []Detected, inboxIDs []int64) (int, error) {
	now := f.now()
	cs := make([]store.Change, 0, len(ds))
	for _, d := range ds {
		cs = append(cs, store.Change{ConnectionUID: uid, Key: d.Key(), ObjectType: d.ObjectType, RecordID: d.RecordID,
			DisplayName: d.DisplayName, Kind: d.Kind, Fields: d.Fields, MergedIDs: d.MergedIDs, AssociatedType: d.AssociatedType,
			AssociatedID: d.AssociatedID, Occur: d.Occur.Truncate(time.Millisecond), Detect: now, Source: d.Source, SelfWritten: d.SelfWritten})
	}
	n, err := f.store.IngestChanges(ctx, uid, cs, inboxIDs)
	if err != nil {
		return 0, err
	}
	if len(cs) > 0 {
		f.wake(uid)
		f.notify(ctx, uid)
	}
	return n, nil
}

// RecordOwnWrites remembers writes this service made through the connection uid, so that
// their changes are self-written. It returns once they are stored, in a transaction shared
// with the calls queued meanwhile. A failure is logged: it costs a change marked as not
// self-written, never the write.
func (f *Feed) RecordOwnWrites(ctx context.Context, uid string, ws []store.OwnWrite) {
	if len(ws) == 0 {
		return
	}
	mine := ownWrites{of: store.OwnWritesOf{UID: uid, Writes: ws}, done: make(chan error, 1)}
	f.ownMu.Lock()
	f.ownQueue = append(f.ownQueue, mine)
	flusher := !f.ownFlushing
	f.ownFlushing = true
	f.ownMu.Unlock()
	if flusher {
		f.flushOwnWrites(context.WithoutCancel(ctx))
	}
	// No select on ctx: a caller handed the flusher's turn must take it, or the queue stalls.
	// The wait is one transaction at most (ours, or the one before it and ours).
	for {
		err := <-mine.done
		if errors.Is(err, errOwnTurn) {
			f.flushOwnWrites(context.WithoutCancel(ctx))
			continue
		}
		if err != nil {
			f.logger.Warn("record own writes; their changes will not be marked self-written", "err", err)
		}
		return
	}
}

// errOwnTurn tells a queued caller that it is the flusher now.
var errOwnTurn = errors.New("changes: flush the queued own writes")

// flushOwnWrites writes everything queued in one transaction and answers each caller in it;
// then it hands the flusher's turn to the first caller queued meanwhile, so that no caller
// flushes more than the batch holding its own writes.
func (f *Feed) flushOwnWrites(ctx context.Context) {
	f.ownMu.Lock()
	batch := f.ownQueue
	f.ownQueue = nil
	f.ownMu.Unlock()
	of := make([]store.OwnWritesOf, len(batch))
	for i, b := range batch {
		of[i] = b.of
	}
	err := f.store.RecordOwnWritesOf(ctx, of, f.now())
	for _, b := range batch {
		b.done <- err
	}
	f.ownMu.Lock()
	defer f.ownMu.Unlock()
	if len(f.ownQueue) == 0 {
		f.ownFlushing = false
		return
	}
	f.ownQueue[0].done <- errOwnTurn
}

// Wake returns a channel closed at the next store of a change of the connection uid. Take it
// before reading, so that a change stored after the read is not missed.
func (f *Feed) Wake(uid string) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch, ok := f.wakes[uid]
	if !ok {
		ch = make(chan struct{})
		f.wakes[uid] = ch
	}
	return ch
}

func (f *Feed) wake(uid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.wakes[uid]; ok {
		close(ch)
		delete(f.wakes, uid)
	}
}

// List returns up to limit changes of the connection uid after the cursor position after.
func (f *Feed) List(ctx context.Context, uid string, after int64, objectTypes []string, limit int) ([]store.Change, error) {
	return f.store.ListChanges(ctx, uid, after, objectTypes, limit)
}

// Prune deletes changes detected more than retention ago (at most maxRows).
func (f *Feed) Prune(ctx context.Context, retention time.Duration, maxRows int) (int, error) {
	return f.store.PruneChanges(ctx, f.now().Add(-retention), maxRows)
}

// CheckObjectTypes validates a request's object_types: each one of ObjectTypes.
func CheckObjectTypes(field string, types []string) error {
	for i, t := range types {
		if !slices.Contains(ObjectTypes, t) {
			return &resname.FieldError{Field: fmt.Sprintf("%s[%d]", field, i), Description: fmt.Sprintf("%q is not an object type with changes: contacts, companies or deals", t)}
		}
	}
	return nil
}

// cursorVersion is the version of the cursor's encoding.
const cursorVersion = 1

type cursorJSON struct {
	V   int    `json:"v"`
	UID string `json:"c"`
	Seq int64  `json:"s"`
}

// EncodeCursor is the opaque cursor of the change at seq of the connection uid.
func EncodeCursor(uid string, seq int64) string {
	b, _ := json.Marshal(cursorJSON{V: cursorVersion, UID: uid, Seq: seq}) // cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

// Cursor is a decoded change cursor: a position in one connection's feed.
type Cursor struct {
	uid string
	seq int64
}

// maxCursorLen bounds a cursor before it is decoded; the cursors this API issues are well
// under it.
const maxCursorLen = 200

// ParseCursor reads a cursor given in field, before any work is done for the request; empty is
// the zero Cursor (from the oldest change retained). A cursor not issued by this API is a
// *resname.FieldError.
func ParseCursor(field, cursor string) (Cursor, error) {
	if cursor == "" {
		return Cursor{}, nil
	}
	bad := &resname.FieldError{Field: field, Description: "is not a change cursor this API issued: pass a Change.cursor or next_cursor unchanged, or leave it empty to start from the oldest change retained"}
	if len(cursor) > maxCursorLen {
		return Cursor{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return Cursor{}, bad
	}
	var c cursorJSON
	if err := json.Unmarshal(raw, &c); err != nil || c.V != cursorVersion || c.Seq <= 0 {
		return Cursor{}, bad
	}
	return Cursor{uid: c.UID, seq: c.Seq}, nil
}

// After is the position the cursor resumes after in the feed of the connection uid (0 for the
// zero Cursor); a cursor of another connection is a *resname.FieldError for field.
func (c Cursor) After(field, uid string) (int64, error) {
	if c.seq == 0 {
		return 0, nil
	}
	if c.uid != uid {
		return 0, &resname.FieldError{Field: field, Description: "is a cursor of another connection; a cursor resumes only the connection it came from"}
	}
	return c.seq, nil
}

// DecodeCursor is ParseCursor then After.
func DecodeCursor(field, cursor, uid string) (int64, error) {
	c, err := ParseCursor(field, cursor)
	if err != nil {
		return 0, err
	}
	return c.After(field, uid)
}
