package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/connectflo/integrations/internal/store/storetest"
)

// A change stored twice keeps its seq and gains the second one's fields; an own write marks
// the changes of its record and time self-written, before or after they are stored; listing
// filters by object type; the last display name of a record outlives its later nameless
// changes.
func TestChangesIngestListAndOwnWrites(t *testing.T) {
	storetest.OnEachEngine(t, testChangesIngestListAndOwnWrites)
}

func testChangesIngestListAndOwnWrites(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	change := func(key, objectType, record, name string, fields map[string]string, at time.Time) Change {
		return Change{Key: key, ObjectType: objectType, RecordID: record, DisplayName: name, Kind: "UPDATED",
			Fields: fields, Occur: at, Detect: at, Source: "WEBHOOK"}
	}
	if err := s.RecordOwnWrites(ctx, "uid-1", []OwnWrite{{ObjectType: "contacts", RecordID: "7", UpdatedAt: t0}}, t0); err != nil {
		t.Fatal(err)
	}
	stored, err := s.IngestChanges(ctx, "uid-1", []Change{
		change("a", "contacts", "7", "", map[string]string{"email": "a@x.example"}, t0),
		change("b", "deals", "9", "Big deal", nil, t0.Add(time.Second)),
		change("c", "contacts", "8", "Ann", nil, t0.Add(2*time.Second)),
	}, nil)
	if err != nil || stored != 3 {
		t.Fatalf("ingest = %d, %v; want 3 stored", stored, err)
	}
	// The same change again adds its fields and a name; a new nameless one of record 8 follows.
	stored, err = s.IngestChanges(ctx, "uid-1", []Change{
		change("a", "contacts", "7", "Jo", map[string]string{"phone": "123"}, t0),
		change("d", "contacts", "8", "", nil, t0.Add(3*time.Second)),
	}, nil)
	if err != nil || stored != 1 {
		t.Fatalf("second ingest = %d, %v; want 1 stored", stored, err)
	}
	if err := s.RecordOwnWritesOf(ctx, []OwnWritesOf{{UID: "uid-1", Writes: []OwnWrite{{ObjectType: "deals", RecordID: "9", UpdatedAt: t0.Add(time.Second)}}}}, t0); err != nil {
		t.Fatal(err)
	}
	all, err := s.ListChanges(ctx, "uid-1", 0, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Key, Name string
		Fields    map[string]string
		Self      bool
	}
	var got []row
	for _, c := range all {
		got = append(got, row{c.Key, c.DisplayName, c.Fields, c.SelfWritten})
	}
	want := []row{
		{"a", "Jo", map[string]string{"email": "a@x.example", "phone": "123"}, true},
		{"b", "Big deal", nil, true},
		{"c", "Ann", nil, false},
		{"d", "", nil, false},
	}
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("changes (-want +got):\n%s", d)
	}
	deals, err := s.ListChanges(ctx, "uid-1", all[0].Seq, []string{"deals", "companies"}, 10)
	if err != nil || len(deals) != 1 || deals[0].Key != "b" {
		t.Errorf("deals after the first change = %+v, %v; want b", deals, err)
	}
	names, err := s.LastDisplayNames(ctx, "uid-1", "contacts", []string{"7", "8", "404"})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]string{"7": "Jo", "8": "Ann"}, names); d != "" {
		t.Errorf("last display names (-want +got):\n%s", d)
	}
}

// Pruning deletes changes detected before the cutoff, at most maxRows, and a cursor below
// what it deleted is then ErrChangesPurged; own writes older than the cutoff go too.
func TestPruneChanges(t *testing.T) { storetest.OnEachEngine(t, testPruneChanges) }

func testPruneChanges(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	var cs []Change
	for i, key := range []string{"old1", "old2", "old3", "new"} {
		at := t0.Add(time.Duration(i) * time.Hour)
		cs = append(cs, Change{Key: key, ObjectType: "contacts", RecordID: "1", Kind: "UPDATED", Occur: at, Detect: at, Source: "POLL"})
	}
	if _, err := s.IngestChanges(ctx, "uid-1", cs, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordOwnWrites(ctx, "uid-1", []OwnWrite{{ObjectType: "contacts", RecordID: "1", UpdatedAt: t0}}, t0); err != nil {
		t.Fatal(err)
	}
	first, _ := s.ListChanges(ctx, "uid-1", 0, nil, 1)
	cutoff := t0.Add(3 * time.Hour)
	for _, want := range []int{2, 1, 0} {
		n, err := s.PruneChanges(ctx, cutoff, 2)
		if err != nil || n != want {
			t.Fatalf("prune = %d, %v; want %d", n, err, want)
		}
	}
	left, err := s.ListChanges(ctx, "uid-1", 0, nil, 10)
	if err != nil || len(left) != 1 || left[0].Key != "new" {
		t.Errorf("left = %+v, %v; want the change after the cutoff", left, err)
	}
	if _, err := s.ListChanges(ctx, "uid-1", first[0].Seq, nil, 10); !errors.Is(err, ErrChangesPurged) {
		t.Errorf("listing after a purged seq: %v, want ErrChangesPurged", err)
	}
	var own int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM own_writes`).Scan(&own); err != nil || own != 0 {
		t.Errorf("own writes left: %d, %v; want 0", own, err)
	}
}

// Change settings: the webhook secret, the poll interval and the webhook counters of a
// connection; the inbox keeps accepted events in order.
func TestChangeSettingsAndInbox(t *testing.T) { storetest.OnEachEngine(t, testChangeSettingsAndInbox) }

func testChangeSettingsAndInbox(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	if got, err := s.GetChangeSettings(ctx, "uid-1"); err != nil || !cmp.Equal(got, ChangeSettings{}) {
		t.Fatalf("settings never stored = %+v, %v; want the zero value", got, err)
	}
	if err := s.SetWebhookSecret(ctx, "uid-1", "k1", []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPollInterval(ctx, "uid-1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.AddToInbox(ctx, []InboxEvent{
		{ConnectionUID: "uid-1", Event: []byte(`{"n":1}`), Received: t0},
		{ConnectionUID: "uid-2", Event: []byte(`{"n":2}`), Received: t0},
		{ConnectionUID: "uid-1", Event: []byte(`{"n":3}`), Received: t0.Add(time.Second)},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.CountWebhookRefused(ctx, []string{"uid-1", "uid-1"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetChangeSettings(ctx, "uid-1")
	if err != nil {
		t.Fatal(err)
	}
	want := ChangeSettings{SecretKeyID: "k1", SecretCiphertext: []byte("sealed"), PollInterval: time.Minute,
		WebhooksReceived: 1, WebhooksRefused: 2, LastWebhook: t0.Add(time.Second)}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("settings (-want +got):\n%s", d)
	}
	inbox, err := s.InboxEvents(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, ev := range inbox {
		events = append(events, ev.ConnectionUID+" "+string(ev.Event))
	}
	if d := cmp.Diff([]string{`uid-1 {"n":1}`, `uid-2 {"n":2}`, `uid-1 {"n":3}`}, events); d != "" {
		t.Errorf("inbox (-want +got):\n%s", d)
	}

	secrets, err := s.AllWebhookSecrets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]WebhookSecret{{ConnectionUID: "uid-1", KeyID: "k1", Ciphertext: []byte("sealed")}}, secrets); d != "" {
		t.Errorf("secrets (-want +got):\n%s", d)
	}
	next := WebhookSecret{ConnectionUID: "uid-1", KeyID: "k2", Ciphertext: []byte("resealed")}
	if ok, err := s.ReplaceWebhookSecret(ctx, WebhookSecret{ConnectionUID: "uid-1", KeyID: "k1", Ciphertext: []byte("stale")}, next); err != nil || ok {
		t.Errorf("replace over a stale secret = %v, %v; want false", ok, err)
	}
	if ok, err := s.ReplaceWebhookSecret(ctx, secrets[0], next); err != nil || !ok {
		t.Errorf("replace = %v, %v; want true", ok, err)
	}
	if got, _ := s.GetChangeSettings(ctx, "uid-1"); got.SecretKeyID != "k2" || string(got.SecretCiphertext) != "resealed" {
		t.Errorf("after replace: %+v", got)
	}
}

// Connections are found by uid, by HubSpot account and by token fingerprint; a fingerprint
// is recorded only over the ciphertext it was computed from, and is unique in a workspace.
func TestConnectionLookups(t *testing.T) { storetest.OnEachEngine(t, testConnectionLookups) }

func testConnectionLookups(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	var uids []string
	for _, c := range []*Connection{
		{Workspace: "acme", ID: "prod", HubID: 42, TokenCiphertext: []byte{1}},
		{Workspace: "acme", ID: "test", HubID: 7, TokenCiphertext: []byte{2}},
		{Workspace: "globex", ID: "prod", HubID: 42, TokenCiphertext: []byte{3}},
	} {
		c.DisplayName, c.Status, c.CreateTime, c.UpdateTime = c.ID, "CONNECTED", t0, t0
		if err := s.CreateConnection(ctx, c, "", 0); err != nil {
			t.Fatal(err)
		}
		uids = append(uids, c.UID)
	}
	if got, err := s.ConnectionByUID(ctx, uids[1]); err != nil || got.Workspace != "acme" || got.ID != "test" {
		t.Errorf("by uid = %s/%s, %v; want acme/test", got.Workspace, got.ID, err)
	}
	if _, err := s.ConnectionByUID(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown uid: %v, want ErrNotFound", err)
	}
	hub, err := s.ConnectionsOfHub(ctx, 42)
	if err != nil || len(hub) != 2 || hub[0].Workspace != "acme" || hub[1].Workspace != "globex" {
		t.Errorf("connections of hub 42 = %d, %v; want acme/prod and globex/prod", len(hub), err)
	}
	if n, err := s.CountConnections(ctx, "acme"); err != nil || n != 2 {
		t.Errorf("acme has %d connections (%v), want 2", n, err)
	}
	if err := s.SetTokenFingerprint(ctx, "acme", "prod", []byte{9}, "fp-1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("fingerprint over another ciphertext: %v, want ErrNotFound", err)
	}
	if err := s.SetTokenFingerprint(ctx, "acme", "prod", []byte{1}, "fp-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetTokenFingerprint(ctx, "acme", "test", []byte{2}, "fp-1"); !errors.Is(err, ErrConflict) {
		t.Errorf("the same fingerprint twice in a workspace: %v, want ErrConflict", err)
	}
	if err := s.SetTokenFingerprint(ctx, "globex", "prod", []byte{3}, "fp-1"); err != nil {
		t.Errorf("the same fingerprint in another workspace: %v", err)
	}
	if got, err := s.ConnectionByTokenFingerprint(ctx, "acme", []string{"fp-0", "fp-1"}); err != nil || got.ID != "prod" {
		t.Errorf("by fingerprint = %q, %v; want prod", got.ID, err)
	}
	if _, err := s.ConnectionByTokenFingerprint(ctx, "acme", []string{"fp-9"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown fingerprint: %v, want ErrNotFound", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// A group of own writes larger than one statement carries (two connections, several object
// types, a write repeated) marks self-written exactly the changes of a written record at its
// written time, whichever chunk its write fell in, and stores each write once.
func TestRecordOwnWritesOfManyWrites(t *testing.T) {
	storetest.OnEachEngine(t, testRecordOwnWritesOfManyWrites)
}

func testRecordOwnWritesOfManyWrites(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	n := 2*ownWritesPerStatement + 50
	var changes []Change
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		rec := fmt.Sprint(i)
		changes = append(changes,
			Change{Key: "w" + rec, ObjectType: "contacts", RecordID: rec, Kind: "UPDATED", Occur: at, Detect: at, Source: "WEBHOOK"},
			// Not written: the same record at another time, and another type at the time.
			Change{Key: "later" + rec, ObjectType: "contacts", RecordID: rec, Kind: "UPDATED", Occur: at.Add(time.Hour), Detect: at, Source: "WEBHOOK"},
			Change{Key: "deal" + rec, ObjectType: "deals", RecordID: rec, Kind: "UPDATED", Occur: at, Detect: at, Source: "WEBHOOK"})
	}
	for _, uid := range []string{"uid-1", "uid-2"} {
		if _, err := s.IngestChanges(ctx, uid, changes, nil); err != nil {
			t.Fatal(err)
		}
	}
	// uid-1 wrote every contact; uid-2 every other one, its first write twice.
	var mine, theirs []OwnWrite
	for i := range n {
		w := OwnWrite{ObjectType: "contacts", RecordID: fmt.Sprint(i), UpdatedAt: t0.Add(time.Duration(i) * time.Millisecond)}
		mine = append(mine, w)
		if i%2 == 0 {
			theirs = append(theirs, w)
		}
	}
	theirs = append(theirs, theirs[0])
	if err := s.RecordOwnWritesOf(ctx, []OwnWritesOf{{UID: "uid-1", Writes: mine}, {UID: "uid-2", Writes: theirs}}, t0); err != nil {
		t.Fatal(err)
	}
	for _, uid := range []string{"uid-1", "uid-2"} {
		list, err := s.ListChanges(ctx, uid, 0, nil, 3*n)
		if err != nil || len(list) != 3*n {
			t.Fatalf("%s: %d changes, %v; want %d", uid, len(list), err, 3*n)
		}
		for _, c := range list {
			var i int
			fmt.Sscan(c.RecordID, &i)
			want := c.Key == "w"+c.RecordID && (uid == "uid-1" || i%2 == 0)
			if c.SelfWritten != want {
				t.Errorf("%s: change %s self-written %v, want %v", uid, c.Key, c.SelfWritten, want)
			}
		}
	}
	var stored int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM own_writes`).Scan(&stored); err != nil || stored != n+(n+1)/2 {
		t.Errorf("own writes stored: %d, %v; want %d", stored, err, n+(n+1)/2)
	}
}
