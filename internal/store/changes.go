package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Change is a stored change of a HubSpot record (package changes gives it its meaning).
type Change struct {
	Seq            int64 // cursor order; set by the store
	ConnectionUID  string
	Key            string // the dedup identity, unique per connection
	ObjectType     string
	RecordID       string
	DisplayName    string
	Kind           string
	Fields         map[string]string // raw HubSpot values of the changed properties
	MergedIDs      []string
	AssociatedType string
	AssociatedID   string
	Occur          time.Time // millisecond precision
	Detect         time.Time
	Source         string
	SelfWritten    bool
}

// InboxEvent is a webhook event accepted for a connection and not yet stored as a change.
type InboxEvent struct {
	ID            int64 // set by the store
	ConnectionUID string
	Event         []byte
	Received      time.Time
}

// OwnWrite is a write this service made: the record and its updatedAt as HubSpot answered.
type OwnWrite struct {
	ObjectType string
	RecordID   string
	UpdatedAt  time.Time
}

// ChangeSettings are a connection's stored change settings; the zero value (no row) means no
// secret, the default poll interval and no webhook yet.
type ChangeSettings struct {
	SecretKeyID      string
	SecretCiphertext []byte // nil: no secret
	PollInterval     time.Duration
	WebhooksReceived int64
	WebhooksRefused  int64
	LastWebhook      time.Time // zero: never
}

// ErrChangesPurged means changes after the cursor given were purged by retention.
var ErrChangesPurged = errors.New("store: changes after the cursor were purged")

const changeColumns = `seq, connection_uid, change_key, object_type, record_id, display_name, kind, fields,
	merged_ids, associated_type, associated_id, occur_ms, detect_ms, source, self_written`

// IngestChanges stores cs for the connection uid in one transaction, and deletes the inbox
// rows inboxIDs in it (a crash before the commit leaves them to be processed again). A change
// whose Key is already stored is not stored again: its Fields are added to the stored row's
// (which keeps its seq), and a display name or self-written mark the row lacks is set. A
// change matching an own write (object type, record id, occur time) is self-written. It
// returns how many new rows it stored.
//
// A reader resumes "after seq N", so one connection's seqs must become visible in seq order.
// On PostgreSQL, seq comes from an identity column handed out at insert: two transactions
// storing changes of one connection at once could commit the higher seq first, and a reader
// between the commits would skip the lower one for good. The transaction therefore locks the
// connection (changeLock) before its first read, so that its seqs are drawn only after the
// previous holder committed. On SQLite the single writer does this.
func (s *Store) IngestChanges(ctx context.Context, uid string, cs []Change, inboxIDs []int64) (stored int, err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if err := s.lockKeys(ctx, tx, changeLock(uid)); err != nil {
		return 0, err
	}
	for _, c := range cs {
		var own int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM own_writes WHERE connection_uid = ? AND object_type = ? AND record_id = ? AND updated_ms = ?`,
			uid, c.ObjectType, c.RecordID, c.Occur.UnixMilli()).Scan(&own); err != nil {
			return 0, err
		}
		self := c.SelfWritten || own > 0
		var seq int64
		var fieldsJSON, name string
		var wasSelf bool
		err := tx.QueryRowContext(ctx, `SELECT seq, fields, display_name, self_written FROM changes WHERE connection_uid = ? AND change_key = ?`, uid, c.Key).
			Scan(&seq, &fieldsJSON, &name, &wasSelf)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			f, err := json.Marshal(nonNil(c.Fields))
			if err != nil {
				return 0, err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO changes (connection_uid, change_key, object_type, record_id, display_name, kind, fields,
				merged_ids, associated_type, associated_id, occur_ms, detect_ms, source, self_written) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				uid, c.Key, c.ObjectType, c.RecordID, c.DisplayName, c.Kind, string(f), strings.Join(c.MergedIDs, " "),
				c.AssociatedType, c.AssociatedID, c.Occur.UnixMilli(), c.Detect.UnixMilli(), c.Source, boolInt(self)); err != nil {
				return 0, err
			}
			stored++
		case err != nil:
			return 0, err
		default:
			merged := map[string]string{}
			if err := json.Unmarshal([]byte(fieldsJSON), &merged); err != nil {
				return 0, fmt.Errorf("store: change %d fields: %w", seq, err)
			}
			maps.Copy(merged, c.Fields)
			f, err := json.Marshal(merged)
			if err != nil {
				return 0, err
			}
			if name == "" {
				name = c.DisplayName
			}
			if _, err := tx.ExecContext(ctx, `UPDATE changes SET fields = ?, display_name = ?, self_written = ? WHERE seq = ?`,
				string(f), name, boolInt(wasSelf || self), seq); err != nil {
				return 0, err
			}
		}
	}
	for _, id := range inboxIDs {
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_inbox WHERE id = ?`, id); err != nil {
			return 0, err
		}
	}
	return stored, tx.Commit()
}

// changeLock is the lock key of a connection's changes: IngestChanges and RecordOwnWritesOf
// take it, so that a change and an own write of the same record never miss each other (each
// transaction sees what the other committed) and seqs are committed in order.
func changeLock(uid string) string { return "store/changes/" + uid }

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// ListChanges returns up to limit changes of the connection uid after seq afterSeq, in seq
// order, of the object types given (all when empty). It fails with ErrChangesPurged when
// retention purged changes of the connection after afterSeq.
func (s *Store) ListChanges(ctx context.Context, uid string, afterSeq int64, objectTypes []string, limit int) ([]Change, error) {
	var purged int64
	err := s.db.QueryRowContext(ctx, `SELECT purged_seq FROM change_horizons WHERE connection_uid = ?`, uid).Scan(&purged)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if afterSeq > 0 && afterSeq < purged {
		return nil, ErrChangesPurged
	}
	q := `SELECT ` + changeColumns + ` FROM changes WHERE connection_uid = ? AND seq > ?`
	args := []any{uid, afterSeq}
	if len(objectTypes) > 0 {
		q += ` AND object_type IN (?` + strings.Repeat(", ?", len(objectTypes)-1) + `)` //nolint:gosec // placeholders only; the values are arguments
		for _, t := range objectTypes {
			args = append(args, t)
		}
	}
	q += ` ORDER BY seq LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var fieldsJSON, merged string
		var occur, detect int64
		if err := rows.Scan(&c.Seq, &c.ConnectionUID, &c.Key, &c.ObjectType, &c.RecordID, &c.DisplayName, &c.Kind, &fieldsJSON,
			&merged, &c.AssociatedType, &c.AssociatedID, &occur, &detect, &c.Source, &c.SelfWritten); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(fieldsJSON), &c.Fields); err != nil {
			return nil, fmt.Errorf("store: change %d fields: %w", c.Seq, err)
		}
		if merged != "" {
			c.MergedIDs = strings.Split(merged, " ")
		}
		c.Occur, c.Detect = time.UnixMilli(occur).UTC(), time.UnixMilli(detect).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// LastDisplayNames returns the display name of the newest stored change with one of each of
// the records ids of objectType, for a record that can no longer be read (deleted).
func (s *Store) LastDisplayNames(ctx context.Context, uid, objectType string, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		var name string
		err := s.db.QueryRowContext(ctx, `SELECT display_name FROM changes WHERE connection_uid = ? AND object_type = ? AND record_id = ?
			AND display_name != '' ORDER BY seq DESC LIMIT 1`, uid, objectType, id).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, nil
}

// PruneChanges deletes changes detected before cutoff and own writes made before it, at most
// maxRows changes, and records per connection the highest seq purged so that an older cursor
// is known to have lost changes. It returns how many changes it deleted.
func (s *Store) PruneChanges(ctx context.Context, cutoff time.Time, maxRows int) (int, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	// The oldest maxRows changes before the cutoff: seq order is detect order within a process,
	// and close enough across processes for a retention counted in days.
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM (SELECT seq FROM changes WHERE detect_ms < ? ORDER BY seq LIMIT ?) AS oldest`,
		cutoff.UnixMilli(), maxRows).Scan(&last); err != nil {
		return 0, err
	}
	if last == 0 {
		_, err := tx.ExecContext(ctx, `DELETE FROM own_writes WHERE write_ms < ?`, cutoff.UnixMilli())
		if err != nil {
			return 0, err
		}
		return 0, tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO change_horizons (connection_uid, purged_seq)
		SELECT connection_uid, max(seq) FROM changes WHERE seq <= ? AND detect_ms < ? GROUP BY connection_uid
		ON CONFLICT (connection_uid) DO UPDATE SET purged_seq = CASE WHEN excluded.purged_seq > change_horizons.purged_seq
		THEN excluded.purged_seq ELSE change_horizons.purged_seq END`, last, cutoff.UnixMilli()); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM changes WHERE seq <= ? AND detect_ms < ?`, last, cutoff.UnixMilli())
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	if _, err := tx.ExecContext(ctx, `DELETE FROM own_writes WHERE write_ms < ?`, cutoff.UnixMilli()); err != nil {
		return 0, err
	}
	return int(n), tx.Commit()
}

// RecordOwnWrites remembers writes this service made for the connection uid, at now, and
// marks the changes already stored for them self-written.
func (s *Store) RecordOwnWrites(ctx context.Context, uid string, ws []OwnWrite, now time.Time) error {
	return s.RecordOwnWritesOf(ctx, []OwnWritesOf{{UID: uid, Writes: ws}}, now)
}

// OwnWritesOf are writes this service made through the connection UID.
type OwnWritesOf struct {
	UID    string
	Writes []OwnWrite
}

// RecordOwnWritesOf is RecordOwnWrites for several connections' writes in one transaction,
// so that the writes of many concurrent calls cost one commit.
func (s *Store) RecordOwnWritesOf(ctx context.Context, batch []OwnWritesOf, now time.Time) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	locks := make([]string, 0, len(batch))
	var writes []ownWriteOf
	for _, b := range batch {
		locks = append(locks, changeLock(b.UID))
		for _, w := range b.Writes {
			writes = append(writes, ownWriteOf{b.UID, w})
		}
	}
	if err := s.lockKeys(ctx, tx, locks...); err != nil {
		return err
	}
	// Two statements per chunk of writes, not two per write: every UpsertContact call waits
	// for its write here before it answers, and on PostgreSQL each statement is a round trip.
	// With two per write, the groups of a batch's answered callers (~70 writes) took 12.6 ms
	// on average, a caller waited 25 ms, and every batch cycle of a busy connection was that
	// much longer: a window's 100 requests went out over ~2.2 s instead of ~1.5 s.
	for chunk := range slices.Chunk(writes, ownWritesPerStatement) {
		insert, update := ownWritesStatements(len(chunk))
		insertArgs := make([]any, 0, 5*len(chunk))
		updateArgs := make([]any, 0, 4*len(chunk))
		for _, o := range chunk {
			updated := o.w.UpdatedAt.UnixMilli()
			insertArgs = append(insertArgs, o.uid, o.w.ObjectType, o.w.RecordID, updated, now.UnixMilli())
			updateArgs = append(updateArgs, o.uid, o.w.ObjectType, o.w.RecordID, updated)
		}
		if _, err := tx.ExecContext(ctx, insert, insertArgs...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, update, updateArgs...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// ownWritesPerStatement bounds the writes one statement of RecordOwnWritesOf carries: 5
// arguments each, far below either engine's limit on a statement's (SQLite 32,766,
// PostgreSQL 65,535).
const ownWritesPerStatement = 200

// ownWriteOf is one write of RecordOwnWritesOf with its connection.
type ownWriteOf struct {
	uid string
	w   OwnWrite
}

// ownWritesStatements are RecordOwnWritesOf's statements for n writes: the insert of their
// own_writes rows, and the update marking the changes of each record and time self-written.
func ownWritesStatements(n int) (insert, update string) {
	insert = `INSERT INTO own_writes (connection_uid, object_type, record_id, updated_ms, write_ms) VALUES (?, ?, ?, ?, ?)` +
		strings.Repeat(", (?, ?, ?, ?, ?)", n-1) + ` ON CONFLICT DO NOTHING`
	update = `UPDATE changes SET self_written = 1 WHERE (connection_uid = ? AND object_type = ? AND record_id = ? AND occur_ms = ?)` +
		strings.Repeat(" OR (connection_uid = ? AND object_type = ? AND record_id = ? AND occur_ms = ?)", n-1)
	return insert, update
}

// AddToInbox stores accepted webhook events durably, and counts one webhook request received
// by each of their connections.
func (s *Store) AddToInbox(ctx context.Context, events []InboxEvent) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	// Per connection, the time of its last event.
	lastReceived := map[string]int64{}
	for _, e := range events {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_inbox (connection_uid, event, received_ms) VALUES (?, ?, ?)`,
			e.ConnectionUID, string(e.Event), e.Received.UnixMilli()); err != nil {
			return err
		}
		lastReceived[e.ConnectionUID] = e.Received.UnixMilli()
	}
	// The counters are updated in uid order: two processes counting overlapping connections
	// lock their rows in the same order, so they never deadlock (PostgreSQL).
	for _, uid := range slices.Sorted(maps.Keys(lastReceived)) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO change_settings (connection_uid, webhooks_received, last_webhook_ms) VALUES (?, 1, ?)
			ON CONFLICT (connection_uid) DO UPDATE SET webhooks_received = change_settings.webhooks_received + 1, last_webhook_ms = excluded.last_webhook_ms`,
			uid, lastReceived[uid]); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// CountWebhookRefused counts one webhook request refused for each connection uid.
func (s *Store) CountWebhookRefused(ctx context.Context, uids []string) error {
	for _, uid := range uids {
		if _, err := s.w.ExecContext(ctx, `INSERT INTO change_settings (connection_uid, webhooks_refused) VALUES (?, 1)
			ON CONFLICT (connection_uid) DO UPDATE SET webhooks_refused = change_settings.webhooks_refused + 1`, uid); err != nil {
			return err
		}
	}
	return nil
}

// InboxEvents returns up to limit inbox events, oldest first.
func (s *Store) InboxEvents(ctx context.Context, limit int) ([]InboxEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, connection_uid, event, received_ms FROM webhook_inbox ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []InboxEvent
	for rows.Next() {
		var e InboxEvent
		var ev string
		var ms int64
		if err := rows.Scan(&e.ID, &e.ConnectionUID, &ev, &ms); err != nil {
			return nil, err
		}
		e.Event, e.Received = []byte(ev), time.UnixMilli(ms).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// GetChangeSettings returns the change settings of the connection uid (the zero value when
// none were stored).
func (s *Store) GetChangeSettings(ctx context.Context, uid string) (ChangeSettings, error) {
	var cs ChangeSettings
	var pollMS, lastMS int64
	err := s.db.QueryRowContext(ctx, `SELECT secret_key_id, secret_ciphertext, poll_interval_ms, webhooks_received, webhooks_refused, last_webhook_ms
		FROM change_settings WHERE connection_uid = ?`, uid).Scan(&cs.SecretKeyID, &cs.SecretCiphertext, &pollMS, &cs.WebhooksReceived, &cs.WebhooksRefused, &lastMS)
	if errors.Is(err, sql.ErrNoRows) {
		return ChangeSettings{}, nil
	}
	if err != nil {
		return ChangeSettings{}, err
	}
	cs.PollInterval = time.Duration(pollMS) * time.Millisecond
	if lastMS > 0 {
		cs.LastWebhook = time.UnixMilli(lastMS).UTC()
	}
	return cs, nil
}

// SetWebhookSecret stores the sealed webhook secret of the connection uid (nil ciphertext
// clears it).
func (s *Store) SetWebhookSecret(ctx context.Context, uid, keyID string, ciphertext []byte) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO change_settings (connection_uid, secret_key_id, secret_ciphertext) VALUES (?, ?, ?)
		ON CONFLICT (connection_uid) DO UPDATE SET secret_key_id = excluded.secret_key_id, secret_ciphertext = excluded.secret_ciphertext`,
		uid, keyID, ciphertext)
	return err
}

// SetPollInterval stores the poll interval of the connection uid (0: the default).
func (s *Store) SetPollInterval(ctx context.Context, uid string, d time.Duration) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO change_settings (connection_uid, poll_interval_ms) VALUES (?, ?)
		ON CONFLICT (connection_uid) DO UPDATE SET poll_interval_ms = excluded.poll_interval_ms`, uid, d.Milliseconds())
	return err
}

// ConnectionsOfHub returns every connection, of any workspace, to the HubSpot account hubID.
func (s *Store) ConnectionsOfHub(ctx context.Context, hubID int64) ([]Connection, error) {
	return s.queryConnections(ctx, `SELECT `+connectionColumns+` FROM connections WHERE hub_id = ? ORDER BY workspace, seq`, hubID)
}

// ConnectionByUID returns the connection whose uid is uid.
func (s *Store) ConnectionByUID(ctx context.Context, uid string) (Connection, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+connectionColumns+` FROM connections WHERE uid = ?`, uid)
	return scanConnection(row)
}

// WebhookSecret is a connection's sealed webhook secret.
type WebhookSecret struct {
	ConnectionUID string
	KeyID         string
	Ciphertext    []byte
}

// AllWebhookSecrets returns every stored webhook secret, sealed.
func (s *Store) AllWebhookSecrets(ctx context.Context) ([]WebhookSecret, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT connection_uid, secret_key_id, secret_ciphertext FROM change_settings
		WHERE secret_ciphertext IS NOT NULL AND length(secret_ciphertext) > 0 ORDER BY connection_uid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []WebhookSecret
	for rows.Next() {
		var w WebhookSecret
		if err := rows.Scan(&w.ConnectionUID, &w.KeyID, &w.Ciphertext); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// ReplaceWebhookSecret re-seals a webhook secret: it writes next only if the row still holds
// prev, and reports whether it did.
func (s *Store) ReplaceWebhookSecret(ctx context.Context, prev, next WebhookSecret) (bool, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE change_settings SET secret_key_id = ?, secret_ciphertext = ?
		WHERE connection_uid = ? AND secret_key_id = ? AND secret_ciphertext = ?`, next.KeyID, next.Ciphertext, prev.ConnectionUID, prev.KeyID, prev.Ciphertext)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
