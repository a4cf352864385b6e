package hubspot

// MaxObjectIDDigits is the longest HubSpot record id: ids are positive 64-bit integers.
const MaxObjectIDDigits = 19

// ValidObjectID reports whether s can be a HubSpot record id: 1 to MaxObjectIDDigits decimal
// digits. Anything else would only come back from HubSpot as an error, after a request.
func ValidObjectID(s string) bool {
	if s == "" || len(s) > MaxObjectIDDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
