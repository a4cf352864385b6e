package resname

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// PageToken is the decoded form of a list call's page_token: where the next page starts, and
// a fingerprint of the request it belongs to so that a token cannot be replayed on a different
// query (AIP-158: the other request fields must not change between pages).
type PageToken struct {
	After       int64  `json:"a"`
	Fingerprint uint64 `json:"f"`
}

// Fingerprint hashes the request fields that define a listing (parent, filters…).
func Fingerprint(parts ...string) uint64 {
	h := sha256.New()
	for _, p := range parts {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return binary.BigEndian.Uint64(h.Sum(nil))
}

// EncodePageToken returns the opaque page_token for t.
func EncodePageToken(t PageToken) string {
	b, _ := json.Marshal(t) // cannot fail: two integers
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodePageToken parses a page_token given in the request field "page_token". An empty token
// is the first page. fingerprint must match the one the token was issued for.
func DecodePageToken(token string, fingerprint uint64) (PageToken, error) {
	if token == "" {
		return PageToken{}, nil
	}
	bad := &FieldError{Field: "page_token", Description: "is not a token this API issued; pass next_page_token from the previous response unchanged, or leave it empty for the first page"}
	if len(token) > 200 {
		return PageToken{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return PageToken{}, bad
	}
	var t PageToken
	if err := json.Unmarshal(raw, &t); err != nil || t.After < 0 {
		return PageToken{}, bad
	}
	if t.Fingerprint != fingerprint {
		return PageToken{}, &FieldError{Field: "page_token", Description: "belongs to a different request; keep the other fields the same across pages, or leave page_token empty to start again"}
	}
	return t, nil
}

// PageSize clamps a requested page_size: 0 means def; above max is max; negative is an error.
func PageSize(requested, def, max int32) (int, error) {
	switch {
	case requested < 0:
		return 0, &FieldError{Field: "page_size", Description: fmt.Sprintf("must not be negative (got %d); use 0 for the default of %d", requested, def)}
	case requested == 0:
		return int(def), nil
	case requested > max:
		return int(max), nil
	}
	return int(requested), nil
}

// cursorToken wraps an upstream (HubSpot) cursor with the request's fingerprint.
type cursorToken struct {
	Cursor      string `json:"c"`
	Fingerprint uint64 `json:"f"`
}

// EncodeCursorToken returns a page_token carrying an opaque upstream cursor.
func EncodeCursorToken(cursor string, fingerprint uint64) string {
	b, _ := json.Marshal(cursorToken{Cursor: cursor, Fingerprint: fingerprint})
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursorToken parses a page_token made by EncodeCursorToken ("" is the first page).
func DecodeCursorToken(token string, fingerprint uint64) (string, error) {
	if token == "" {
		return "", nil
	}
	bad := &FieldError{Field: "page_token", Description: "is not a token this API issued; pass next_page_token from the previous response unchanged, or leave it empty for the first page"}
	if len(token) > 1024 {
		return "", bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", bad
	}
	var t cursorToken
	if err := json.Unmarshal(raw, &t); err != nil || t.Cursor == "" {
		return "", bad
	}
	if t.Fingerprint != fingerprint {
		return "", &FieldError{Field: "page_token", Description: "belongs to a different request; keep the other fields the same across pages, or leave page_token empty to start again"}
	}
	return t.Cursor, nil
}
