package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/store/storetest"
)

func TestConnectionLifecycle(t *testing.T) { storetest.OnEachEngine(t, testConnectionLifecycle) }

func testConnectionLifecycle(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	c := &Connection{Workspace: "acme", ID: "prod", DisplayName: "Production HubSpot", Status: "CONNECTED",
		TokenKeyID: "k1", TokenCiphertext: []byte{1}, FieldsDiscoveredAt: now, CreateTime: now, UpdateTime: now}
	if err := s.CreateConnection(ctx, c, "req-1", 0); err != nil {
		t.Fatal(err)
	}
	// The same request_id again, even for a different connection, replays the first.
	again := &Connection{Workspace: "acme", ID: "other", DisplayName: "Other", Status: "CONNECTED", CreateTime: now, UpdateTime: now}
	var replay *ReplayError
	if err := s.CreateConnection(ctx, again, "req-1", 0); !errors.As(err, &replay) || replay.Resource != "workspaces/acme/connections/prod" || !errors.Is(err, ErrRequestReplayed) {
		t.Fatalf("replayed request_id: err = %v, want a ReplayError naming the first connection", err)
	}
	if _, err := s.GetConnection(ctx, "acme", "other"); !errors.Is(err, ErrNotFound) {
		t.Error("a replayed Connect stored a second connection")
	}
	if res, err := s.RequestResource(ctx, "acme", "Connect", "req-1"); err != nil || res != "workspaces/acme/connections/prod" {
		t.Errorf("RequestResource = %q, %v", res, err)
	}

	if c.UID == "" {
		t.Fatal("CreateConnection left the uid empty")
	}
	later := now.Add(time.Hour)
	creds := Credentials{UID: "another connection's uid", AppID: 7, GrantedScopes: []string{"x"}, TokenHint: "wxyz",
		TokenKeyID: "k2", TokenCiphertext: []byte{2}, TokenAADVersion: 1, Status: "CONNECTED", UpdateTime: later}
	if err := s.UpdateCredentials(ctx, "acme", "prod", creds); !errors.Is(err, ErrNotFound) {
		t.Errorf("UpdateCredentials for a uid the row does not have: err = %v, want ErrNotFound", err)
	}
	creds.UID = c.UID
	if err := s.UpdateCredentials(ctx, "acme", "prod", creds); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetConnection(ctx, "acme", "prod")
	if got.TokenKeyID != "k2" || got.TokenCiphertext[0] != 2 || got.TokenAADVersion != 1 || got.TokenHint != "wxyz" ||
		!got.FieldsDiscoveredAt.IsZero() || !got.UpdateTime.Equal(later) || got.UID != c.UID {
		t.Errorf("after UpdateCredentials: %+v (fields must be marked for rediscovery)", got)
	}

	next := SealedToken{KeyID: "k3", Ciphertext: []byte{3}, AADVersion: 1}
	for _, stale := range []SealedToken{
		{KeyID: "k1", Ciphertext: []byte{2}, AADVersion: 1}, // another key id
		{KeyID: "k2", Ciphertext: []byte{1}, AADVersion: 1}, // same key id, another ciphertext
		{KeyID: "k2", Ciphertext: []byte{2}, AADVersion: 0}, // another associated data
	} {
		if err := s.ReplaceCiphertext(ctx, "acme", "prod", stale, next); !errors.Is(err, ErrNotFound) {
			t.Errorf("ReplaceCiphertext over stale %+v: err = %v, want ErrNotFound", stale, err)
		}
	}
	if err := s.ReplaceCiphertext(ctx, "acme", "prod", got.Sealed(), next); err != nil {
		t.Fatal(err)
	}
	if err := s.SetConnectionStatus(ctx, "acme", "prod", "ERROR", "token cannot be decrypted", later); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetConnection(ctx, "acme", "prod")
	if got.TokenKeyID != "k3" || got.Status != "ERROR" || got.StatusReason == "" {
		t.Errorf("after rotation and status: %+v", got)
	}
	all, err := s.AllConnections(ctx)
	if err != nil || len(all) != 1 {
		t.Errorf("AllConnections = %d, %v", len(all), err)
	}

	if taken, err := s.DisplayNameTaken(ctx, "acme", "Production HubSpot"); err != nil || !taken {
		t.Errorf("DisplayNameTaken = %v, %v; want true", taken, err)
	}
	if err := s.DeleteConnection(ctx, "acme", "prod", "del-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteConnection(ctx, "acme", "prod", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteConnection(ctx, "acme", "prod", "del-1"); !errors.As(err, &replay) || replay.Resource != "workspaces/acme/connections/prod" {
		t.Errorf("retried delete with its request_id: err = %v, want a ReplayError naming the deleted connection", err)
	}
	if err := s.DeleteConnection(ctx, "acme", "prod", "del-2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete with a new request_id: err = %v, want ErrNotFound", err)
	}
	if taken, _ := s.DisplayNameTaken(ctx, "acme", "Production HubSpot"); taken {
		t.Error("the deleted connection's name is still taken")
	}
	var n int
	s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM connections WHERE token_ciphertext IS NOT NULL`).Scan(&n)
	if n != 0 {
		t.Errorf("%d ciphertexts remain after delete", n)
	}
}

func TestReplayedDeleteLeavesSuccessorAlone(t *testing.T) {
	storetest.OnEachEngine(t, testReplayedDeleteLeavesSuccessorAlone)
}

func testReplayedDeleteLeavesSuccessorAlone(t *testing.T, e storetest.Engine) {
	s, _ := openOn(t, e)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	create := func(display string) {
		t.Helper()
		c := &Connection{Workspace: "acme", ID: "prod", DisplayName: display, Status: "CONNECTED", CreateTime: now, UpdateTime: now}
		if err := s.CreateConnection(ctx, c, "", 0); err != nil {
			t.Fatal(err)
		}
	}
	create("First")
	if err := s.DeleteConnection(ctx, "acme", "prod", "del-1"); err != nil {
		t.Fatal(err)
	}
	create("Second")
	other := &Connection{Workspace: "acme", ID: "other", DisplayName: "Other", Status: "CONNECTED", CreateTime: now, UpdateTime: now}
	if err := s.CreateConnection(ctx, other, "", 0); err != nil {
		t.Fatal(err)
	}
	var replay *ReplayError
	if err := s.DeleteConnection(ctx, "acme", "prod", "del-1"); !errors.As(err, &replay) || replay.Resource != "workspaces/acme/connections/prod" {
		t.Errorf("replayed delete: err = %v, want a ReplayError naming the first call's connection", err)
	}
	if got, err := s.GetConnection(ctx, "acme", "prod"); err != nil || got.DisplayName != "Second" {
		t.Errorf("after the replayed delete: %q, %v; want the successor untouched", got.DisplayName, err)
	}
	if err := s.DeleteConnection(ctx, "acme", "other", "del-1"); !errors.As(err, &replay) || replay.Resource != "workspaces/acme/connections/prod" {
		t.Errorf("request_id of another delete: err = %v, want a ReplayError naming the first call's connection", err)
	}
	if _, err := s.GetConnection(ctx, "acme", "other"); err != nil {
		t.Errorf("a delete with another delete's request_id erased its connection: %v", err)
	}
}
