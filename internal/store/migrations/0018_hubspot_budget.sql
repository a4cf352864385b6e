-- The HubSpot budget shared by replicas (hubspot_budget_slots and hubspot_budget_grants) exists
-- on PostgreSQL only: a SQLite database is used by one process, whose limiter keeps the budget
-- in memory. This version keeps the two engines' schema histories numbered alike.
SELECT 1;
