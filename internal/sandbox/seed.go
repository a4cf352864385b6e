package sandbox

import (
	"fmt"
	"strings"
)

// SeedSummary lists the ids SeedSampleData created, in creation order.
type SeedSummary struct {
	Companies []string `json:"companies"`
	Contacts  []string `json:"contacts"`
	Deals     []string `json:"deals"`
	Notes     []string `json:"notes"`
}

var sampleCompanies = []struct{ name, domain, industry, revenue, employees, city, country string }{
	{"Acme Corporation", "acme.example", "COMPUTER_SOFTWARE", "12500000", "240", "Boston", "United States"},
	{"Globex", "globex.example", "TELECOMMUNICATIONS", "98000000", "1800", "Springfield", "United States"},
	{"Initech", "initech.example", "FINANCIAL_SERVICES", "4300000", "75", "Austin", "United States"},
	{"Umbrella Health", "umbrella.example", "HOSPITAL_HEALTH_CARE", "56000000", "950", "London", "United Kingdom"},
	{"Stark Retail", "stark.example", "RETAIL", "870000", "12", "Berlin", "Germany"},
}

var sampleFirstNames = []string{"Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger"}
var sampleLastNames = []string{"Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen", "Dijkstra"}

var sampleStages = []string{"appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
	"decisionmakerboughtin", "contractsent", "closedwon", "closedlost"}

// SeedSampleData fills an account with realistic records: 5 companies, 20 contacts
// (each at a company, with the Primary label too), 8 deals linked to a company and a
// contact, and a note on the first contact. Property values use the default stages
// and the sample custom properties, so every filter kind has something to find.
func (s *Sandbox) SeedSampleData(hubID int64) (SeedSummary, error) {
	var sum SeedSummary
	must := func(objectType string, props map[string]string) (string, error) {
		return s.CreateRecord(hubID, objectType, props)
	}
	for _, c := range sampleCompanies {
		id, err := must("companies", map[string]string{"name": c.name, "domain": c.domain, "industry": c.industry,
			"annualrevenue": c.revenue, "numberofemployees": c.employees, "city": c.city, "country": c.country,
			"lifecyclestage": "customer"})
		if err != nil {
			return sum, err
		}
		sum.Companies = append(sum.Companies, id)
	}
	tiers := []string{"free", "pro", "enterprise"}
	stages := []string{"subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"}
	for i := range 20 {
		first, last := sampleFirstNames[i%10], sampleLastNames[(i*3)%10]
		company := sampleCompanies[i%len(sampleCompanies)]
		id, err := must("contacts", map[string]string{
			"email":     fmt.Sprintf("%s.%s%d@%s", strings.ToLower(first), strings.ToLower(last), i, company.domain),
			"firstname": first, "lastname": last, "company": company.name,
			"phone":          fmt.Sprintf("+1 617 555 %04d", 100+i),
			"lifecyclestage": stages[i%len(stages)], "hs_lead_status": "OPEN",
			"account_tier": tiers[i%3], "product_interests": []string{"widgets", "widgets;gadgets", "services"}[i%3],
			"lifetime_value": fmt.Sprint(1000 * (i + 1)), "renewal_date": fmt.Sprintf("2026-%02d-01", i%12+1),
			"newsletter_opt_in": fmt.Sprint(i%2 == 0), "external_id": fmt.Sprintf("ext-%03d", i+1),
		})
		if err != nil {
			return sum, err
		}
		sum.Contacts = append(sum.Contacts, id)
		companyID := sum.Companies[i%len(sum.Companies)]
		for _, typeID := range []int{279, 1} {
			if err := s.Associate(hubID, "contacts", id, "companies", companyID, typeID); err != nil {
				return sum, err
			}
		}
	}
	for i := range 8 {
		company := sampleCompanies[i%len(sampleCompanies)]
		id, err := must("deals", map[string]string{
			"dealname": fmt.Sprintf("%s renewal %d", company.name, 2026+i/5), "amount": fmt.Sprint(5000 * (i + 1)),
			"pipeline": "default", "dealstage": sampleStages[i%len(sampleStages)],
			"closedate": fmt.Sprintf("2026-%02d-15T12:00:00.000Z", i+3), "dealtype": "newbusiness",
			"deal_source": []string{"inbound", "outbound", "partner"}[i%3],
		})
		if err != nil {
			return sum, err
		}
		sum.Deals = append(sum.Deals, id)
		if err := s.Associate(hubID, "deals", id, "companies", sum.Companies[i%len(sum.Companies)], 0); err != nil {
			return sum, err
		}
		if err := s.Associate(hubID, "contacts", sum.Contacts[i], "deals", id, 0); err != nil {
			return sum, err
		}
	}
	note, err := must("notes", map[string]string{"hs_timestamp": "2026-01-15T10:30:00.000Z",
		"hs_note_body": "Intro call: interested in the Enterprise tier."})
	if err != nil {
		return sum, err
	}
	sum.Notes = append(sum.Notes, note)
	return sum, s.Associate(hubID, "notes", note, "contacts", sum.Contacts[0], 202)
}

// Demo is a ready-to-use sandbox for the demo mode and the CLI: one seeded account, a
// token with every scope and one lacking the deal scopes.
type Demo struct {
	Sandbox           *Sandbox
	Account           Account
	Token             Token // all scopes
	TokenWithoutDeals Token // AllScopes minus crm.objects.deals.* and crm.schemas.deals.*
	ServiceKey        Token // a Service Key with all scopes, which token introspection refuses
	Seed              SeedSummary
}

// NewDemo builds a Demo on a new Sandbox.
func NewDemo(opts Options) (*Demo, error) {
	s := New(opts)
	acct, err := s.CreateAccount(Account{Tier: TierProfessional})
	if err != nil {
		return nil, err
	}
	seed, err := s.SeedSampleData(acct.HubID)
	if err != nil {
		return nil, err
	}
	all, err := s.CreateToken(Token{HubID: acct.HubID, Scopes: AllScopes()})
	if err != nil {
		return nil, err
	}
	noDeals, err := s.CreateToken(Token{HubID: acct.HubID, Scopes: ScopesWithout("deals")})
	if err != nil {
		return nil, err
	}
	key, err := s.CreateToken(Token{HubID: acct.HubID, Kind: KindServiceKey, Scopes: AllScopes()})
	if err != nil {
		return nil, err
	}
	return &Demo{Sandbox: s, Account: acct, Token: all, TokenWithoutDeals: noDeals, ServiceKey: key, Seed: seed}, nil
}
