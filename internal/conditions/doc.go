// Package conditions compiles and evaluates workflow conditions on HubSpot fields, written as
// CEL expressions and type-checked against the connection's discovered field schema:
//
//	contact.lifecyclestage == "customer"
//	company.annualrevenue > 100000
//	withinNextDays(deal.closedate, 7)
//	contact.account_tier == "Enterprise"
//
// # Variables and types
//
// contact, company and deal are records whose fields are the schema's, typed by kind: number
// → double, date and datetime → timestamp, bool → bool, single choice → string (the option's
// value), multiple choice → list(string), anything else → string. now is the evaluation time
// (a timestamp). A field the schema lacks, or a comparison of mismatched types, is a compile
// error (*ConditionError) with a message and a position.
//
// Int literals used with number fields are rewritten to doubles at compile time, so
// `company.annualrevenue == 100000` and `in [10, 20]` work; ordering comparisons between ints
// and doubles (`daysUntil(deal.closedate) < company.numberofemployees`) work through CEL's
// cross-type numeric comparisons.
//
// # Choice options and labels
//
// A string literal compared with a choice field (==, !=, in, hasAny, hasAll) must name one of
// its options, by value or by label, as for writes: exact value first, then exact label, then
// either ignoring case when only one option matches. Labels are translated at compile time by
// rewriting the literal in the AST to the option's value, so `== "Customer"` runs as
// `== "customer"` and evaluation never looks at labels; Program.Translations lists what was
// rewritten. A literal that is neither is a compile error listing the options. Comparing a
// choice field with a computed string is left unchecked.
//
// # Pipeline stages
//
// When the schema knows its object type's pipelines (deals), stages compare within the
// record's own pipeline. A label that stages of several pipelines share ("Closed Won") is
// rewritten into membership of those stages: `deal.dealstage == "Closed Won"` runs as
// `deal.dealstage in ["closedwon", "2096394"]` (and != as its negation, a list element as
// its stages), which holds exactly for the Closed Won of the deal's pipeline because a stage
// belongs to one pipeline (fields.Schema.StagesNamed). The deal also has computed booleans
// from its stage's metadata, whatever its pipeline: deal.is_closed_won (fields.Stage.Won) and
// deal.is_closed. They are read from dealstage, which Program.Fields lists in their place; a
// stage no pipeline has leaves them empty. A HubSpot property of the same name hides them.
//
// # The record's owner
//
// A contact or deal whose schema has hubspot_owner_id also has `owner`, the owner whose id
// that property holds (hubspot.Owner: id, email, firstname, lastname, teams as a list of team
// names, archived), looked up in the owners discovered with the schema:
//
//	contact.owner.email == "maya.patel@northwind.example"
//	"Senior Support" in contact.owner.teams
//
// It reads hubspot_owner_id (Program.Fields and Result.Reads name that property), and is
// empty when the property is. A property named owner keeps the name. Without discovered
// owners (the token lacks the owners scope) a condition on owner does not compile; an id
// the discovered owners lack fails the evaluation (refresh the fields).
//
// # Empty fields
//
// HubSpot stores an empty field as "" (or not at all); a condition sees it as absent, with one
// rule: a condition whose value depends on an empty field is false.
//
//   - has(contact.x) is false, !has(contact.x) is true.
//   - Reading contact.x gives "absent" (a CEL unknown). It propagates through every
//     comparison, arithmetic, function and !, and is absorbed by && and || as CEL absorbs
//     errors: `false && absent` is false, `true || absent` is true, anything else stays absent.
//   - If the whole condition is absent, Eval returns Matched false with DependsOnEmpty true,
//     and EmptyFields names the empty fields it depended on.
//
// So on an empty field `contact.x == "a"`, `contact.x != "a"` and `!(contact.x == "a")` are
// all false, as SQL treats NULL: the condition cannot be shown true. To include empty
// fields, say so: `!has(contact.x) || contact.x != "a"`. Comparing a field with "" or null is
// refused at compile time, since no field ever equals them; has() is the test for emptiness.
// A multiple-choice field with no option chosen is empty too (not an empty list). A record
// that does not exist (a nil map in Records) has every field empty.
//
// # Dates, time zones and helpers
//
// A datetime is the instant HubSpot holds. A date is a calendar day, read as midnight of that
// day in now's time zone, so that "today" and day counts match the author's calendar; pass
// now in the workspace's time zone. The helpers count calendar days in that zone:
//
//	daysUntil(t) int              days from today to t's day: 0 today, 1 tomorrow, -1 yesterday
//	withinNextDays(t, n) bool     0 <= daysUntil(t) <= n: today (even earlier today) through the end of the n-th day
//	withinLastDays(t, n) bool     -n <= daysUntil(t) <= 0
//	hasAny(list, list) bool       the first list holds any element of the second
//	hasAll(list, list) bool       the first list holds every element of the second
//
// For exact instants use CEL directly: `deal.closedate < now + duration("168h")`.
//
// # Limits and caching
//
// Limits bounds the expression's length, its cost (statically, over any record, and while it
// runs) and the time one evaluation may take. Cache keeps compiled programs per connection,
// schema versions and expression, and drops a connection's programs when its fields are
// rediscovered.
package conditions
