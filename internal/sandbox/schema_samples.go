package sandbox

// sampleCustomProperties are the custom properties every new account starts with.
// Together they cover every type/fieldType pairing of validPairings, read-only and
// calculated properties, hidden options, a unique-value property (for upserts by a
// custom id) and an archived property, so field discovery can be tested against all of
// them.
func sampleCustomProperties(objectType, ts string) []Property {
	custom := func(name, label, typ, field string, options []Option) Property {
		return Property{Name: name, Label: label, Type: typ, FieldType: field,
			Description: "Sample custom property: " + label + ".", GroupName: "custom_properties",
			Options: options, DisplayOrder: -1, FormField: true, CreatedAt: ts, UpdatedAt: ts,
			DataSensitivity: "non_sensitive", ModificationMetadata: ModificationMetadata{Archivable: true}}
	}
	calc := func(p Property, formula string) Property {
		p.Calculated, p.CalculationFormula, p.FormField = true, formula, false
		p.ModificationMetadata.ReadOnlyValue = true
		return p
	}
	switch objectType {
	case "contacts":
		tiers := opts("free", "Free", "pro", "Pro", "enterprise", "Enterprise", "legacy", "Legacy")
		tiers[3].Hidden = true // retired option: still a valid value, hidden in the UI
		unique := custom("external_id", "External ID", "string", "text", nil)
		unique.HasUniqueValue = true
		archived := custom("old_segment", "Old Segment", "string", "text", nil)
		archived.Archived, archived.ArchivedAt = true, ts
		return []Property{
			custom("account_tier", "Account Tier", "enumeration", "select", tiers),
			custom("product_interests", "Product Interests", "enumeration", "checkbox",
				opts("widgets", "Widgets", "gadgets", "Gadgets", "services", "Services", "support", "Support")),
			custom("preferred_channel", "Preferred Channel", "enumeration", "radio",
				opts("email", "Email", "phone", "Phone", "sms", "SMS", "whatsapp", "WhatsApp")),
			custom("consent_given", "Consent Given", "enumeration", "booleancheckbox", opts("true", "Yes", "false", "No")),
			calc(custom("engagement_band", "Engagement Band", "enumeration", "calculation_equation",
				opts("low", "Low", "medium", "Medium", "high", "High")), "if(hubspotscore > 50, \"high\", \"low\")"),
			custom("newsletter_opt_in", "Newsletter Opt-in", "bool", "booleancheckbox", opts("true", "Yes", "false", "No")),
			calc(custom("is_high_value", "Is High Value", "bool", "calculation_equation", nil), "lifetime_value > 10000"),
			custom("renewal_date", "Renewal Date", "date", "date", nil),
			custom("last_demo_at", "Last Demo At", "datetime", "date", nil),
			unique,
			custom("support_notes", "Support Notes", "string", "textarea", nil),
			custom("contract_file", "Contract File", "string", "file", nil),
			custom("bio_html", "Bio", "string", "html", nil),
			custom("assistant_phone", "Assistant Phone", "string", "phonenumber", nil),
			calc(custom("full_name_calc", "Full Name (calculated)", "string", "calculation_equation", nil),
				"concatenate(firstname, \" \", lastname)"),
			custom("lifetime_value", "Lifetime Value", "number", "number", nil),
			calc(custom("score_calc", "Score (calculated)", "number", "calculation_equation", nil), "lifetime_value / 100"),
			calc(custom("total_revenue_rollup", "Total Revenue (rollup)", "number", "calculation_rollup", nil), "sum(deals.amount)"),
			custom("whatsapp_number", "WhatsApp Number", "phone_number", "phonenumber", nil),
			archived,
		}
	case "companies":
		return []Property{
			custom("customer_segment", "Customer Segment", "enumeration", "select",
				opts("smb", "SMB", "mid_market", "Mid-Market", "enterprise", "Enterprise")),
			custom("contract_renewal_date", "Contract Renewal Date", "date", "date", nil),
		}
	case "deals":
		return []Property{
			custom("deal_source", "Deal Source", "enumeration", "select",
				opts("inbound", "Inbound", "outbound", "Outbound", "partner", "Partner")),
			custom("discount_percent", "Discount (%)", "number", "number", nil),
		}
	}
	return nil
}
