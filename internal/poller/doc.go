// Package poller detects changes made in HubSpot by polling: for each connection and object
// type (contacts, companies, deals) it searches the records modified since a durable cursor,
// compares them with what it last reported (a snapshot per record), lists archived records
// for deletions, and hands what it detected to a Sink.
//
// The cursor is a (modified time, hs_object_id) pair. HubSpot's search honours one sort
// only, returns at most 10,000 results per query, and pages by offset
// (https://developers.hubspot.com/docs/api/crm/search). So a poll never pages by offset:
// each page is a query of its own, started where the last page ended, of one of three:
//
//   - the tie query: records modified exactly at a time with an id above the last read,
//     sorted by hs_object_id;
//   - the scan query: records modified after a time (a tie just read), sorted by
//     modified time;
//   - the scan query from a time: modified at or after the last time a full page read
//     (its results at that time may have come in any id order, and more may follow).
//
// A full page of one time (a bulk edit stamping thousands of records) goes on with the tie
// query at that time. So neither the cap nor a bulk edit stops the cursor, and records
// written while a poll pages (which move to the end of a sort by modified time, and shift
// an offset's pages) are never skipped.
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
