package fields

import (
	"fmt"
	"net/mail"
	"strings"

	"github.com/connectflo/integrations/internal/truncate"
)

// MaxEmailLength is the longest email address: the 254 characters of an SMTP path (RFC 5321).
const MaxEmailLength = 254

// NormalizeEmail is the rule for a contact's email, the property HubSpot identifies contacts
// by: trimmed and lowercased (HubSpot stores emails lowercase), a bare address
// (ada@example.com, no display name) of at most MaxEmailLength characters whose domain has a
// dot. Every package that takes an email (upserts, timeline events, conditions) calls it; a
// bad one is a *ValueError on "email".
func NormalizeEmail(raw string) (string, error) {
	email := strings.ToLower(strings.TrimSpace(raw))
	if email == "" {
		return "", &ValueError{Field: "email", Message: "is required: the contact's email, e.g. ada@example.com"}
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" || len(email) > MaxEmailLength ||
		!strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") {
		return "", &ValueError{Field: "email", Message: fmt.Sprintf("%q is not an email address such as ada@example.com", truncate.Text(raw, 80))}
	}
	return email, nil
}
