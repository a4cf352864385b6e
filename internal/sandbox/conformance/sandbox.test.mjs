// Conformance test: HubSpot's official npm client (@hubspot/api-client) against the
// sandbox. Started by ../conformance_test.go, which serves a seeded sandbox and passes:
//   HUBSPOT_SANDBOX_URL             base URL (the client's basePath)
//   HUBSPOT_SANDBOX_TOKEN           a token with every scope
//   HUBSPOT_SANDBOX_TOKEN_NO_DEALS  a token lacking the deal scopes
//   HUBSPOT_SANDBOX_HUB_ID          the account's hub id
// The client throws ApiException {code, body, headers} for every non-success status,
// and only accepts the exact success status its spec declares (201 for create, 204
// for archive…), so a wrong status code fails here even when the body is right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import hubspot from '@hubspot/api-client';

const { Client } = hubspot;
const basePath = process.env.HUBSPOT_SANDBOX_URL;
const token = process.env.HUBSPOT_SANDBOX_TOKEN;
const noDealsToken = process.env.HUBSPOT_SANDBOX_TOKEN_NO_DEALS;
const hubId = Number(process.env.HUBSPOT_SANDBOX_HUB_ID);
assert.ok(basePath && token && noDealsToken && hubId, 'run through conformance_test.go (env vars missing)');

const client = new Client({ accessToken: token, basePath, numberOfApiCallRetries: 0 });
const run = Date.now().toString(36); // keeps emails unique if the sandbox is reused

async function admin(method, path, body) {
  const res = await fetch(basePath + '/_sandbox' + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `admin ${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

// expectApiError runs fn and returns the library's ApiException, checking its code.
async function expectApiError(fn, code) {
  try {
    await fn();
  } catch (err) {
    assert.equal(err.code, code, `want HTTP ${code}, got ${err.code}: ${err.message}`);
    return err;
  }
  assert.fail(`want HTTP ${code}, the call succeeded`);
}

test('properties: defaults, custom samples, archived, create', async () => {
  const { results } = await client.crm.properties.coreApi.getAll('contacts');
  const byName = Object.fromEntries(results.map((p) => [p.name, p]));
  assert.equal(byName.email.type, 'string');
  assert.equal(byName.phone.fieldType, 'phonenumber');
  assert.deepEqual(byName.lifecyclestage.options.map((o) => o.value),
    ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other']);
  assert.equal(byName.product_interests.fieldType, 'checkbox');
  assert.equal(byName.account_tier.options.find((o) => o.value === 'legacy').hidden, true);
  assert.equal(byName.hs_notes_last_activity.type, 'object_coordinates'); // outside the enum: kept as a string
  assert.equal(byName.hs_object_id.modificationMetadata.readOnlyValue, true);
  assert.equal(byName.old_segment, undefined, 'archived properties are not listed by default');

  const archived = await client.crm.properties.coreApi.getAll('contacts', true);
  assert.ok(archived.results.some((p) => p.name === 'old_segment'));

  const deals = await client.crm.properties.coreApi.getAll('0-3');
  const stage = deals.results.find((p) => p.name === 'dealstage');
  assert.equal(stage.options.find((o) => o.value === 'closedwon').label, 'Closed Won');

  const one = await client.crm.properties.coreApi.getByName('contacts', 'email');
  assert.equal(one.label, 'Email');

  const created = await client.crm.properties.coreApi.create('contacts', {
    name: `favourite_colour_${run}`, label: 'Favourite colour', type: 'enumeration', fieldType: 'select',
    groupName: 'contactinformation', options: [{ label: 'Red', value: 'red', hidden: false, displayOrder: 0 }],
  });
  assert.equal(created.name, `favourite_colour_${run}`);
  assert.ok(created.createdAt instanceof Date);
});

test('contacts: create, get by id and email, update', async () => {
  const email = `Jane.Doe.${run}@Example.com`;
  const created = await client.crm.contacts.basicApi.create({
    properties: { email, firstname: 'Jane', account_tier: 'pro' }, associations: [],
  });
  assert.match(created.id, /^\d+$/);
  assert.equal(created.properties.email, email.toLowerCase());
  assert.equal(created.properties.hs_object_id, created.id);
  assert.ok(created.createdAt instanceof Date && !Number.isNaN(created.createdAt.getTime()));

  const got = await client.crm.contacts.basicApi.getById(created.id, ['email', 'firstname', 'phone']);
  assert.equal(got.properties.firstname, 'Jane');
  assert.equal(got.properties.phone, null, 'requested properties without a value come back as null');

  const byEmail = await client.crm.contacts.basicApi.getById(email, ['email'], undefined, undefined, false, 'email');
  assert.equal(byEmail.id, created.id);

  const updated = await client.crm.contacts.basicApi.update(created.id, { properties: { lastname: 'Doe' } });
  assert.equal(updated.properties.lastname, 'Doe');
  assert.ok(updated.updatedAt >= created.updatedAt);
});

test('contacts: batch upsert by email reports new and existing', async () => {
  const existing = `upsert.existing.${run}@example.com`;
  await client.crm.contacts.basicApi.create({ properties: { email: existing }, associations: [] });
  const res = await client.crm.contacts.batchApi.upsert({
    inputs: [
      { id: existing.toUpperCase(), idProperty: 'email', properties: { firstname: 'Old' } },
      { id: `upsert.new.${run}@example.com`, idProperty: 'email', properties: { firstname: 'New' } },
    ],
  });
  assert.equal(res.status, 'COMPLETE');
  assert.equal(res.results.length, 2);
  const byFirst = Object.fromEntries(res.results.map((r) => [r.properties.firstname, r]));
  assert.equal(byFirst.Old._new, false);
  assert.equal(byFirst.New._new, true);
  assert.equal(byFirst.New.properties.email, `upsert.new.${run}@example.com`);
});

test('contacts: search with filters, sort and paging', async () => {
  const request = {
    filterGroups: [
      { filters: [{ propertyName: 'account_tier', operator: 'EQ', value: 'enterprise' }] },
      { filters: [{ propertyName: 'lifetime_value', operator: 'GTE', value: '19000' }] },
    ],
    sorts: [{ propertyName: 'lifetime_value', direction: 'DESCENDING' }],
    properties: ['email', 'lifetime_value', 'account_tier'],
    limit: 3,
    after: '0',
  };
  const first = await client.crm.contacts.searchApi.doSearch(request);
  assert.ok(first.total >= 7, `total ${first.total}`);
  assert.equal(first.results.length, 3);
  assert.equal(first.paging.next.after, '3');
  const values = first.results.map((r) => Number(r.properties.lifetime_value));
  assert.deepEqual(values, [...values].sort((a, b) => b - a));
  for (const r of first.results) {
    assert.ok(r.properties.account_tier === 'enterprise' || Number(r.properties.lifetime_value) >= 19000);
    assert.ok('createdate' in r.properties && 'hs_object_id' in r.properties);
  }
  const second = await client.crm.contacts.searchApi.doSearch({ ...request, after: first.paging.next.after });
  assert.equal(second.total, first.total);
  const firstIds = new Set(first.results.map((r) => r.id));
  assert.ok(second.results.every((r) => !firstIds.has(r.id)));
});

test('notes: create with a contact association, list it through v4', async () => {
  const contact = await client.crm.contacts.basicApi.create({
    properties: { email: `noted.${run}@example.com` }, associations: [],
  });
  const note = await client.crm.objects.notes.basicApi.create({
    properties: { hs_timestamp: '2026-01-15T10:30:00.000Z', hs_note_body: 'Called about renewal' },
    associations: [{ to: { id: contact.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 202 }] }],
  });
  const fromNote = await client.crm.associations.v4.basicApi.getPage('notes', note.id, 'contacts');
  assert.equal(fromNote.results.length, 1);
  assert.equal(String(fromNote.results[0].toObjectId), contact.id);
  assert.equal(fromNote.results[0].associationTypes[0].typeId, 202);

  const fromContact = await client.crm.associations.v4.basicApi.getPage('contacts', contact.id, 'notes');
  assert.equal(fromContact.results[0].associationTypes[0].typeId, 201, 'the reverse direction has its own id');

  const companies = await client.crm.companies.basicApi.getPage(1);
  const companyId = companies.results[0].id;
  const def = await client.crm.associations.v4.basicApi.createDefault('contacts', contact.id, 'companies', companyId);
  assert.equal(def.status, 'COMPLETE');
  const labelled = await client.crm.associations.v4.basicApi.create('contacts', contact.id, 'companies', companyId,
    [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 1 }]);
  assert.deepEqual(labelled.labels, ['Primary']);

  const batch = await client.crm.associations.v4.batchApi.getPage('contacts', 'companies', { inputs: [{ id: contact.id }] });
  assert.equal(String(batch.results[0].to[0].toObjectId), companyId);
  // The labelled PUT added Primary (1) to the default association (279); it replaced nothing.
  assert.deepEqual(batch.results[0].to[0].associationTypes.map((t) => t.typeId).sort((a, b) => a - b), [1, 279]);
});

test('pipelines, owners and property groups: what field discovery reads', async () => {
  const { results: pipelines } = await client.crm.pipelines.pipelinesApi.getAll('deals');
  assert.deepEqual(pipelines.map((p) => [p.id, p.label]), [['default', 'Sales Pipeline'], ['1467822', 'Enterprise']]);
  const won = pipelines.map((p) => p.stages.find((s) => s.label === 'Closed Won'));
  assert.deepEqual(won.map((s) => s.id), ['closedwon', '2096394'], 'a label repeats across pipelines; ids do not');
  assert.deepEqual(won[1].metadata, { probability: '1.0', isClosed: 'true' });
  assert.ok(pipelines[0].createdAt instanceof Date);

  const first = await client.crm.owners.ownersApi.getPage(undefined, undefined, 3);
  assert.equal(first.results.length, 3);
  const rest = await client.crm.owners.ownersApi.getPage(undefined, first.paging.next.after, 3);
  assert.equal(rest.paging, undefined);
  const aiko = first.results.find((o) => o.email === 'aiko.tanaka@northwind.example');
  assert.deepEqual(aiko.teams.map((t) => [t.name, t.primary]), [['Senior Support', true], ['Sales', false]]);
  const archived = await client.crm.owners.ownersApi.getPage(undefined, undefined, 100, true);
  assert.deepEqual(archived.results.map((o) => [o.lastName, o.archived]), [['Kim', true]]);

  const { results: groups } = await client.crm.properties.groupsApi.getAll('deals');
  assert.ok(groups.some((g) => g.name === 'dealinformation' && g.label === 'Deal information'));
  const noDeals = new Client({ accessToken: noDealsToken, basePath, numberOfApiCallRetries: 0 });
  await expectApiError(() => noDeals.crm.pipelines.pipelinesApi.getAll('deals'), 403);
});

test('errors: 401 for an unknown token', async () => {
  const stranger = new Client({ accessToken: 'pat-na1-00000000-0000-0000-0000-000000000000', basePath });
  const err = await expectApiError(() => stranger.crm.contacts.basicApi.getPage(1), 401);
  assert.equal(err.body.category, 'INVALID_AUTHENTICATION');
  assert.ok(err.body.correlationId);
});

test('errors: 403 MISSING_SCOPES for a token without deal scopes', async () => {
  const limited = new Client({ accessToken: noDealsToken, basePath });
  const err = await expectApiError(() => limited.crm.deals.basicApi.getPage(1), 403);
  assert.equal(err.body.category, 'MISSING_SCOPES');
  assert.deepEqual(err.body.errors[0].context.requiredGranularScopes, ['crm.objects.deals.read']);
  await limited.crm.contacts.basicApi.getPage(1); // contacts still work
});

test('errors: 404, 409 and 400 validation bodies', async () => {
  const missing = await expectApiError(() => client.crm.contacts.basicApi.getById('999999999'), 404);
  assert.equal(missing.body.category, 'OBJECT_NOT_FOUND');

  const email = `dup.${run}@example.com`;
  const first = await client.crm.contacts.basicApi.create({ properties: { email }, associations: [] });
  const dup = await expectApiError(() => client.crm.contacts.basicApi.create({ properties: { email }, associations: [] }), 409);
  assert.equal(dup.body.category, 'CONFLICT');
  assert.equal(dup.body.message, `Contact already exists. Existing ID: ${first.id}`);

  const bad = await expectApiError(() => client.crm.contacts.basicApi.create({
    properties: { account_tier: 'platinum' }, associations: [],
  }), 400);
  assert.equal(bad.body.category, 'VALIDATION_ERROR');
  assert.equal(bad.body.errors[0].code, 'INVALID_OPTION');
  assert.match(bad.body.message, /^Property values were not valid: \[/);

  const untimed = await expectApiError(() => client.crm.objects.notes.basicApi.create({
    properties: { hs_note_body: 'no timestamp' }, associations: [],
  }), 400);
  assert.equal(untimed.body.category, 'VALIDATION_ERROR');
  assert.equal(untimed.body.message, 'Error creating NOTE. Some required properties were not set.');
  assert.deepEqual(untimed.body.context, { properties: ['hs_timestamp'] });

  const tooMany = Array.from({ length: 101 }, (_, i) => ({ properties: { firstname: `n${i}` }, associations: [] }));
  await expectApiError(() => client.crm.contacts.batchApi.create({ inputs: tooMany }), 400);
});

test('errors: 429 TEN_SECONDLY_ROLLING and SECONDLY arrive as the library sees them', async () => {
  const account = await admin('POST', '/accounts', { tier: 'FREE' });
  const tok = await admin('POST', '/tokens', { hubId: account.hubId });
  await admin('PUT', '/limits', { perWindow: 3, window: '1m' });
  try {
    const throttled = new Client({ accessToken: tok.token, basePath });
    for (let i = 0; i < 3; i++) {
      const res = await throttled.crm.contacts.basicApi.getPageWithHttpInfo(1);
      assert.equal(res.headers['x-hubspot-ratelimit-max'], '3');
      assert.equal(res.headers['x-hubspot-ratelimit-remaining'], String(2 - i));
    }
    const err = await expectApiError(() => throttled.crm.contacts.basicApi.getPage(1), 429);
    assert.equal(err.body.policyName, 'TEN_SECONDLY_ROLLING');
    assert.equal(err.body.errorType, 'RATE_LIMIT');
    assert.equal(err.body.category, undefined);

    // Search is outside the ten-second window but limited to 5 per second per account.
    const searches = await Promise.allSettled(Array.from({ length: 8 }, () =>
      throttled.crm.contacts.searchApi.doSearch({ limit: 1 })));
    const rejected = searches.filter((s) => s.status === 'rejected').map((s) => s.reason);
    assert.ok(rejected.length >= 3, `want at least 3 of 8 searches throttled, got ${rejected.length}`);
    for (const e of rejected) {
      assert.equal(e.code, 429);
      assert.equal(e.body.policyName, 'SECONDLY');
      assert.equal(e.body.message, 'You have reached your secondly limit.');
    }
    const ok = searches.find((s) => s.status === 'fulfilled');
    assert.ok(ok, 'some searches pass');
  } finally {
    await admin('PUT', '/limits', {});
  }
});
