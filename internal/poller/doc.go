// Package poller detects changes made in HubSpot by polling: for each connection and object
// type (contacts, companies, deals) it searches the records modified since a durable cursor,
// compares them with what it last reported (a snapshot per record), lists archived records
// for deletions, and hands what it detected to a Sink.
//
// The cursor is a (modified time, hs_object_id) pair. HubSpot's search honours one sort
// only and returns at most 10,000 results per query
// (https://developers.hubspot.com/docs/api/crm/search), so one poll alternates two queries:
//
//   - the tie query: records modified exactly at the cursor's time with an id above the
//     cursor's, sorted by hs_object_id;
//   - the scan query: records modified after the cursor's time, sorted by modified time.
//
// Before a query could page past the 10,000-result cap it is restarted from the last
// (time, id) read: a scan restarts with the tie query at the last time it read (its
// results at that time may have come in any id order), then scans on after it. So neither
// the cap nor a bulk edit stamping thousands of records with one time stops the cursor.
//
// HubSpot's search lags writes by seconds. Each poll therefore starts not at the cursor but
// at min(cursor, now − Overlap): a write made before the cursor passed its time but indexed
// after is still found. What the overlap reads again is recognised by its snapshot (same
// record, same modified time: already reported) and skipped.
//
// A page's changes go to the Sink first, then its snapshots and the cursor are saved in one
// transaction: a crash in between reports the page again (the Sink dedups by record,
// kind and time), never skips it.
package poller
