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
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
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
