package auth

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/store"
)

func TestCreateAndAuthenticate(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	key, err := CreateKey(ctx, st, "acme", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CreateKey(ctx, st, "Not Valid", time.Now()); err == nil {
		t.Error("CreateKey accepted an invalid workspace id")
	}
	id := strings.Split(key, "_")[1]
	stored, err := st.APIKeyByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(stored.Hash), key) || len(stored.Hash) != 32 {
		t.Errorf("stored hash %x is not a SHA-256 of the key", stored.Hash)
	}

	a := NewAuthenticator(st)
	cases := []struct {
		name   string
		header string
		want   error
	}{
		{"valid", "Bearer " + key, nil},
		{"scheme is case-insensitive", "bearer " + key, nil},
		{"empty", "", ErrNoKey},
		{"blank", "   ", ErrNoKey},
		{"no scheme", key, ErrInvalidKey},
		{"basic scheme", "Basic " + key, ErrInvalidKey},
		{"wrong prefix", "Bearer xyz_" + id + "_abc", ErrInvalidKey},
		{"unknown id", "Bearer cfk_zzzzzzzzzzzzzzzz_abc", ErrInvalidKey},
		{"known id, wrong secret", "Bearer cfk_" + id + "_wrong", ErrInvalidKey},
		{"truncated", "Bearer " + key[:len(key)-1], ErrInvalidKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := a.Authenticate(ctx, tc.header)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.want == nil && (p.Workspace != "acme" || p.KeyID != id) {
				t.Errorf("principal = %+v", p)
			}
		})
	}
}

func TestPrincipalCanAccess(t *testing.T) {
	if !(Principal{Workspace: "acme"}).CanAccess("acme") || (Principal{Workspace: "acme"}).CanAccess("globex") {
		t.Error("a workspace key must reach its own workspace only")
	}
	if !(Principal{Workspace: store.AllWorkspaces}).CanAccess("globex") {
		t.Error("an all-workspaces key must reach every workspace")
	}
}

// countingKeys counts store lookups.
type countingKeys struct {
	KeyStore
	lookups int
}

func (c *countingKeys) APIKeyByID(ctx context.Context, id string) (store.APIKey, error) {
	c.lookups++
	return c.KeyStore.APIKeyByID(ctx, id)
}

func TestVerifiedKeysAreCachedBriefly(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	key, _ := CreateKey(ctx, st, "acme", time.Now())
	counting := &countingKeys{KeyStore: st}
	a := NewAuthenticator(counting)
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }
	for range 3 {
		if _, err := a.Authenticate(ctx, "Bearer "+key); err != nil {
			t.Fatal(err)
		}
	}
	if counting.lookups != 1 {
		t.Errorf("3 calls looked the key up %d times, want 1", counting.lookups)
	}
	wrong := key[:len(key)-2] + "xx"
	for range 2 {
		if _, err := a.Authenticate(ctx, "Bearer "+wrong); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("a wrong secret was accepted: %v", err)
		}
	}
	if counting.lookups != 3 {
		t.Errorf("failed keys must not be cached: %d lookups, want 3", counting.lookups)
	}
	now = now.Add(verifiedTTL + time.Second)
	if _, err := a.Authenticate(ctx, "Bearer "+key); err != nil || counting.lookups != 4 {
		t.Errorf("after the TTL the key must be checked again: %v, %d lookups", err, counting.lookups)
	}
}

// A revoked key is refused once the verified-key cache lets go of it, and only a caller
// holding the whole key learns that it was revoked.
func TestRevokedKeys(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	key, _ := CreateKey(ctx, st, "acme", time.Now())
	a := NewAuthenticator(st)
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }
	if _, err := a.Authenticate(ctx, "Bearer "+key); err != nil {
		t.Fatal(err)
	}
	id := strings.SplitN(key, "_", 3)[1]
	if _, err := st.RevokeAPIKey(ctx, id, now); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, "Bearer "+key); err != nil {
		t.Errorf("within the cache's %v a verified key is still accepted; got %v", verifiedTTL, err)
	}
	now = now.Add(verifiedTTL + time.Second)
	if _, err := a.Authenticate(ctx, "Bearer "+key); !errors.Is(err, ErrRevokedKey) {
		t.Errorf("after the TTL a revoked key: %v, want ErrRevokedKey", err)
	}
	if _, err := a.Authenticate(ctx, "Bearer "+key[:len(key)-2]+"xx"); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("a wrong secret under a revoked id: %v, want ErrInvalidKey", err)
	}
}

func TestKeyID(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    string // the id; "" for an error
		secret  bool   // refused as a whole key (ErrSecretGiven)
		mention string // the error must contain this
	}{
		{name: "id", in: "nnw7acjtgohvwqkg", want: "nnw7acjtgohvwqkg"},
		{name: "id with spaces", in: "  abcd234 ", want: "abcd234"},
		{name: "whole key", in: "cfk_abcd234_c2VjcmV0c2VjcmV0", secret: true, mention: "pass the key id abcd234"},
		{name: "whole key with a mangled id", in: "cfk_ab!c_c2VjcmV0c2VjcmV0", secret: true, mention: "apikey list"},
		{name: "prefix alone", in: "cfk_", secret: true},
		{name: "empty", in: "", mention: "is not a key id"},
		{name: "uppercase", in: "ABCD", mention: "is not a key id"},
		{name: "hyphen", in: "abc-def", mention: "is not a key id"},
		{name: "digit 1", in: "abcd1", mention: "is not a key id"},
		{name: "too long", in: strings.Repeat("a", 33), mention: "is not a key id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := KeyID(tc.in)
			if got != tc.want || (err == nil) != (tc.want != "") {
				t.Fatalf("KeyID(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			if err == nil {
				return
			}
			if errors.Is(err, ErrSecretGiven) != tc.secret || !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("KeyID(%q) error %q: want ErrSecretGiven %v, mentioning %q", tc.in, err, tc.secret, tc.mention)
			}
			if strings.Contains(err.Error(), "c2VjcmV0c2VjcmV0") {
				t.Errorf("KeyID(%q) error repeats the secret: %v", tc.in, err)
			}
		})
	}
}

// openStore opens a store in a temporary folder, closed when the test ends.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
