package sandbox

import "testing"

// The vectors were computed outside Go (Python's hmac and hashlib) from HubSpot's
// definitions: v3 = base64(HMAC-SHA256(secret, method + URI + body + timestamp)),
// v1 = hex(SHA-256(secret + body)).
func TestWebhookSignatureVectors(t *testing.T) {
	const (
		secret = "shhh-client-secret"
		uri    = "https://hooks.example.com/hubspot?connection=7"
		body   = `[{"eventId":1}]`
		ts     = "1733313600000"
	)
	if got, want := signV3(secret, "POST", uri, []byte(body), ts), "AUazF/rMQfJFeHn/ON+0I0EHxAjfEoUCChP4E13S9ZM="; got != want {
		t.Errorf("v3 signature = %s, want %s", got, want)
	}
	if got, want := signV1(secret, []byte(body)), "ab94b964c4c969d4c0edffc429f91a295059b4ee93699d5228fb967193e9331a"; got != want {
		t.Errorf("v1 signature = %s, want %s", got, want)
	}
}
