package conditions

import (
	"time"
	_ "time/tzdata" // the time zone tests must not depend on the host

	"github.com/connectflo/integrations/internal/fields"
)

// testSchemas are the schemas of a typical connected account: HubSpot's standard fields the
// product guide uses, and custom fields of every kind.
func testSchemas() map[string]*fields.Schema {
	opts := func(pairs ...string) []fields.Option {
		var out []fields.Option
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, fields.Option{Value: pairs[i], Label: pairs[i+1], DisplayOrder: i / 2})
		}
		return out
	}
	contacts := []fields.Field{
		{Name: "lifecyclestage", Label: "Lifecycle Stage", Kind: fields.KindSingleChoice, Options: opts(
			"subscriber", "Subscriber", "lead", "Lead", "marketingqualifiedlead", "Marketing Qualified Lead",
			"salesqualifiedlead", "Sales Qualified Lead", "opportunity", "Opportunity", "customer", "Customer",
			"evangelist", "Evangelist", "other", "Other")},
		{Name: "account_tier", Label: "Account Tier", Kind: fields.KindSingleChoice, Custom: true, Options: opts(
			"starter", "Starter", "growth", "Growth", "enterprise", "Enterprise")},
		{Name: "interests", Label: "Interests", Kind: fields.KindMultipleChoice, Custom: true, Options: opts(
			"product_updates", "Product updates", "webinars", "Webinars", "vip_events", "VIP events")},
		{Name: "newsletter_opt_in", Label: "Newsletter opt-in", Kind: fields.KindBool, Custom: true},
		{Name: "renewal_date", Label: "Renewal date", Kind: fields.KindDate, Custom: true},
		{Name: "firstname", Label: "First Name", Kind: fields.KindString},
		{Name: "email", Label: "Email", Kind: fields.KindString},
		{Name: "phone", Label: "Phone Number", Kind: fields.KindPhone},
		{Name: "message", Label: "Message", Kind: fields.KindText},
		{Name: "notes_last_contacted", Label: "Last Contacted", Kind: fields.KindDateTime},
	}
	companies := []fields.Field{
		{Name: "annualrevenue", Label: "Annual Revenue", Kind: fields.KindNumber},
		{Name: "numberofemployees", Label: "Number of Employees", Kind: fields.KindNumber},
		{Name: "name", Label: "Company name", Kind: fields.KindString},
		{Name: "industry", Label: "Industry", Kind: fields.KindSingleChoice, Options: opts(
			"COMPUTER_SOFTWARE", "Computer Software", "RETAIL", "Retail")},
	}
	deals := []fields.Field{
		{Name: "closedate", Label: "Close Date", Kind: fields.KindDateTime},
		{Name: "dealstage", Label: "Deal Stage", Kind: fields.KindSingleChoice, Options: opts(
			"appointmentscheduled", "Appointment Scheduled", "qualifiedtobuy", "Qualified To Buy",
			"contractsent", "Contract Sent", "closedwon", "Closed Won", "closedlost", "Closed Lost")},
		{Name: "amount", Label: "Amount", Kind: fields.KindNumber},
		{Name: "dealname", Label: "Deal Name", Kind: fields.KindString},
		{Name: "contract_start", Label: "Contract start", Kind: fields.KindDate, Custom: true},
	}
	return map[string]*fields.Schema{
		SchemaContacts:  fields.NewSchema("contacts", 3, contacts),
		SchemaCompanies: fields.NewSchema("companies", 5, companies),
		SchemaDeals:     fields.NewSchema("deals", 7, deals),
	}
}

// testNow is a Friday afternoon in New York: 2026-11-20 15:00 EST (20:00 UTC).
func testNow() time.Time {
	return time.Date(2026, 11, 20, 15, 0, 0, 0, newYork())
}

func newYork() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err) // the test binary needs the tz database
	}
	return loc
}
