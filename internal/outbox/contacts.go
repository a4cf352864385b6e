package outbox

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/store"
)

// resolveContacts gives every event its HubSpot contact id: the one it names, or the contact
// found by email (batch read, 100 emails per request), or one created with batch upsert by
// email when the event asks for it (idempotent: a repeat finds what the first created).
// Events it cannot resolve now get their outcome recorded and are not returned.
func (d *delivery) resolveContacts(ctx context.Context, items []*item) []*item {
	var ready []*item
	byEmail := map[string][]*item{}
	for _, it := range items {
		switch {
		case it.row.HubSpotContactID != "":
			ready = append(ready, it)
		case it.ev.ContactID != "":
			it.row.HubSpotContactID = it.ev.ContactID
			ready = append(ready, it)
		default:
			byEmail[it.ev.ContactEmail] = append(byEmail[it.ev.ContactEmail], it)
		}
	}
	emails := slices.Sorted(maps.Keys(byEmail))
	var missing []string
	for chunk := range slices.Chunk(emails, hubspot.MaxBatchInputs) {
		if d.holding() {
			d.holdAll(ctx, pick(byEmail, chunk), nil)
			continue
		}
		res, err := d.client.BatchRead(ctx, "contacts", hubspot.BatchReadRequest{IDs: chunk, IDProperty: "email",
			Properties: []string{"email"}})
		if err != nil {
			d.unresolved(ctx, pick(byEmail, chunk), err)
			continue
		}
		d.markSucceeded()
		for i, out := range res.Outcomes {
			email := chunk[i]
			switch {
			case out.Err == nil && out.Object != nil:
				ready = append(ready, withContact(byEmail[email], string(out.Object.ID))...)
			case errors.Is(out.Err, hubspot.ErrNotFound):
				missing = append(missing, email)
			default:
				d.unresolved(ctx, byEmail[email], out.Err)
			}
		}
	}

	var toCreate []string
	var notFound []*item
	for _, email := range missing {
		if slices.ContainsFunc(byEmail[email], func(it *item) bool { return it.ev.CreateContactIfMissing }) {
			toCreate = append(toCreate, email)
		} else {
			notFound = append(notFound, byEmail[email]...)
		}
	}
	for _, it := range notFound {
		d.fail(it, "HubSpot has no contact with email "+it.ev.ContactEmail+" (set create_contact_if_missing to create it)")
	}
	d.save(ctx, notFound)
	for chunk := range slices.Chunk(toCreate, hubspot.MaxBatchInputs) {
		ready = append(ready, d.createContacts(ctx, byEmail, chunk)...)
	}
	return ready
}

// createContacts upserts contacts by email. Upsert by email is all-or-nothing, so a batch
// HubSpot rejects as invalid is retried one email at a time to isolate the bad one.
func (d *delivery) createContacts(ctx context.Context, byEmail map[string][]*item, emails []string) []*item {
	if d.holding() {
		d.holdAll(ctx, pick(byEmail, emails), nil)
		return nil
	}
	inputs := make([]hubspot.BatchUpsertInput, len(emails))
	for i, email := range emails {
		props := map[string]string{}
		for _, it := range byEmail[email] { // the first event that asks to create gives the properties
			if it.ev.CreateContactIfMissing {
				maps.Copy(props, it.ev.ContactProperties)
				break
			}
		}
		props["email"] = email
		inputs[i] = hubspot.BatchUpsertInput{ID: email, IDProperty: "email", Properties: props}
	}
	res, err := d.client.BatchUpsert(ctx, "contacts", inputs)
	if err != nil {
		if classify(err).class == classPermanent && len(emails) > 1 {
			var ready []*item
			for _, email := range emails {
				ready = append(ready, d.createContacts(ctx, byEmail, []string{email})...)
			}
			return ready
		}
		d.unresolved(ctx, pick(byEmail, emails), err)
		return nil
	}
	d.markSucceeded()
	var ready []*item
	var written []store.OwnWrite
	for i, out := range res.Outcomes {
		if out.Err == nil && out.Object != nil {
			ready = append(ready, withContact(byEmail[emails[i]], string(out.Object.ID))...) //nolint:gosec // one outcome per input, in input order (hubspot.BatchResult)
			written = append(written, store.OwnWrite{ObjectType: "contacts", RecordID: string(out.Object.ID), UpdatedAt: out.Object.UpdatedAt.Time})
		} else {
			d.unresolved(ctx, byEmail[emails[i]], out.Err) //nolint:gosec // as above
		}
	}
	if f := d.o.cfg.OnContactsWritten; f != nil && len(written) > 0 {
		f(ctx, d.w.key.workspace, d.w.key.connection, written)
	}
	return ready
}

// unresolved records why events could not get their contact: held, failed for good, or
// retried (reads and upserts are idempotent, so an unknown outcome is just a retry).
func (d *delivery) unresolved(ctx context.Context, items []*item, err error) {
	c := classify(err)
	if apiErr, ok := errors.AsType[*hubspot.APIError](err); ok {
		c = classifyAPIError(apiErr)
	}
	for _, it := range items {
		switch c.class {
		case classHold:
			d.setHold(c.hold)
			d.holdOne(it)
		case classPermanent:
			d.fail(it, "the contact could not be found or created: "+reasonOf(err))
		default:
			d.retry(it, "finding the contact: "+reasonOf(err), c.retryAt)
		}
	}
	d.save(ctx, items)
}

func withContact(items []*item, id string) []*item {
	for _, it := range items {
		it.row.HubSpotContactID = id
	}
	return items
}

func pick(byEmail map[string][]*item, emails []string) []*item {
	var out []*item
	for _, e := range emails {
		out = append(out, byEmail[e]...)
	}
	return out
}
