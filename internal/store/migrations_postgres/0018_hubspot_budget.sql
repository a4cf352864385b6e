-- The HubSpot budget shared by every replica (package budget). hubspot_budget_slots holds the
-- slots of one rolling window per budget key (the HubSpot app) and kind of request ('standard':
-- the 10-second window; 'search': the searches per second): at most the budget's number of
-- them, numbered from 0. A slot is in flight from its claim (granted_at, also stamp) until its
-- holder restamps it at completion (stamp); both instants are the database's clock, never a
-- replica's. claim_seq names the claim holding the slot, so that a late restamp of a slot
-- already reclaimed changes nothing. hubspot_budget_grants counts the claims of either kind
-- per budget key, so that every replica ages HubSpot's daily count by the fleet's requests.
CREATE TABLE hubspot_budget_slots (
  budget_key TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('standard', 'search')),
  slot       INTEGER NOT NULL CHECK (slot >= 0),
  claim_seq  BIGINT NOT NULL DEFAULT 0,
  inflight   BOOLEAN NOT NULL DEFAULT false,
  granted_at TIMESTAMPTZ NOT NULL DEFAULT '-infinity',
  stamp      TIMESTAMPTZ NOT NULL DEFAULT '-infinity',
  PRIMARY KEY (budget_key, kind, slot)
);

CREATE TABLE hubspot_budget_grants (
  budget_key TEXT PRIMARY KEY,
  granted    BIGINT NOT NULL DEFAULT 0 CHECK (granted >= 0)
);
