package app

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectflo/integrations/internal/secrets"
	"github.com/connectflo/integrations/internal/store/storetest"
)

// Processes on one database must share one key ring. The first records its primary key; a
// process with another key file, a fresh one, or keys without one recorded is refused at
// start with what to do, naming key ids and never keys; a ring that rotates in a new primary
// starts and records it, after which rings without it are refused; rotate-keys, once every
// secret is re-sealed, forgets the old key, which may then leave the rings.
func TestProcessesShareOneKeyRing(t *testing.T) {
	storetest.OnEachEngine(t, testProcessesShareOneKeyRing)
}

func testProcessesShareOneKeyRing(t *testing.T, e storetest.Engine) {
	db, dir := e.DSN(t), t.TempDir()
	firstFile, otherFile := filepath.Join(dir, "first", "keys"), filepath.Join(dir, "other", "keys")

	// The first process creates its key file and serves on, as a replica does, while the
	// others start beside it.
	stop, err := startProcess(t, db, firstFile, nil)
	if err != nil {
		t.Fatalf("the first process on an empty database: %v", err)
	}
	defer stop()
	data, err := os.ReadFile(firstFile)
	if err != nil {
		t.Fatal(err)
	}
	firstKeys, err := secrets.ParseKeys(string(data))
	if err != nil {
		t.Fatal(err)
	}
	first := firstKeys[0]
	rotated, _ := secrets.NewKey("rotated")
	stranger, _ := secrets.NewKey("stranger")
	copied := filepath.Join(dir, "copy", "keys")
	if err := os.MkdirAll(filepath.Dir(copied), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copied, data, 0o600); err != nil {
		t.Fatal(err)
	}
	keysEnv := func(keys ...secrets.Key) map[string]string {
		return map[string]string{"INTEGRATIONS_ENCRYPTION_KEYS": secrets.FormatKeys(keys...)}
	}

	steps := []struct {
		name    string
		command string // "" serves; else the subcommand run
		keyFile string
		env     map[string]string
		// wantRefused: the words the refusal must hold; nil when it must start (or the
		// command succeed).
		wantRefused []string
		wantOut     string // in a command's output
	}{
		// A fresh key file gets the same id as the first (both made on one day): the key
		// differs, and the refusal says that this start created the file.
		{name: "a new key file is refused", keyFile: otherFile, wantRefused: []string{
			`key "` + first.ID + `"`, `its "` + first.ID + `" is not the same key as the database's`,
			"key file " + otherFile + ", created by this start", "same keys", "restore that file from a backup", "server forget-keys"}},
		{name: "keys without the recorded one are refused", env: keysEnv(stranger), wantRefused: []string{
			`this process has key "stranger", without "` + first.ID + `"`, "INTEGRATIONS_ENCRYPTION_KEYS"}},
		{name: "a copy of the first key file starts", keyFile: copied},
		{name: "the ring with a new primary key starts", env: keysEnv(rotated, first)},
		{name: "then the old ring alone is refused", keyFile: copied, wantRefused: []string{`without "rotated"`}},
		{name: "rotate-keys forgets the old key", command: "rotate-keys", env: keysEnv(rotated, first),
			wantOut: `the database now records key rotated:`},
		{name: "the new key alone starts", env: keysEnv(rotated)},
		{name: "the old ring alone is still refused", keyFile: firstFile, wantRefused: []string{`without "rotated"`}},
	}
	for _, st := range steps {
		keyFile := st.keyFile
		if keyFile == "" {
			keyFile = filepath.Join(dir, "unused", "keys") // the environment's keys win
		}
		var out string
		if st.command != "" {
			out, err = runCommand(t, st.command, db, keyFile, st.env)
		} else {
			var stop func()
			if stop, err = startProcess(t, db, keyFile, st.env); err == nil {
				stop()
			}
		}
		if st.wantRefused == nil {
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if !strings.Contains(out, st.wantOut) {
				t.Errorf("%s: printed %q, want %q in it", st.name, out, st.wantOut)
			}
			continue
		}
		if err == nil {
			t.Fatalf("%s: started; want a refusal", st.name)
		}
		for _, want := range st.wantRefused {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: the refusal does not say %q:\n%v", st.name, want, err)
			}
		}
		for _, k := range []secrets.Key{first, rotated, stranger} {
			material := strings.SplitN(secrets.FormatKeys(k), ":", 2)[1]
			if strings.Contains(err.Error(), material) {
				t.Errorf("%s: the refusal holds key %q's material", st.name, k.ID)
			}
		}
	}
}

// A single server whose key file was lost is refused with a new one; forget-keys gives the
// lost key up, after which the server starts with the new key, and forget-keys has nothing
// more to forget.
func TestForgetKeysAfterALostKeyFile(t *testing.T) {
	dir := t.TempDir()
	db, keyFile := filepath.Join(dir, "data", "integrations.db"), filepath.Join(dir, "config", "keys")
	lost, _ := secrets.NewKey("lost") // the key of the file that is lost
	stop, err := startProcess(t, db, keyFile, map[string]string{"INTEGRATIONS_ENCRYPTION_KEYS": secrets.FormatKeys(lost)})
	if err != nil {
		t.Fatal(err)
	}
	stop()
	if _, err := startProcess(t, db, keyFile, nil); err == nil || !strings.Contains(err.Error(), `without "lost"`) {
		t.Fatalf("a server with a new key file after the old one was lost: %v; want a refusal naming the lost key", err)
	}
	out, err := runCommand(t, "forget-keys", db, keyFile, nil)
	if err != nil || !strings.Contains(out, "forgot key(s) lost;") || !strings.Contains(out, "Update Credentials") {
		t.Fatalf("forget-keys = %q, %v", out, err)
	}
	if stop, err = startProcess(t, db, keyFile, nil); err != nil {
		t.Fatalf("after forget-keys: %v", err)
	}
	stop()
	if out, err := runCommand(t, "forget-keys", db, keyFile, nil); err != nil || !strings.Contains(out, "nothing to forget") {
		t.Errorf("forget-keys again = %q, %v", out, err)
	}
}

// startProcess runs the server on db until stop, returning once it serves; a server that
// exits at start returns its error.
func startProcess(t *testing.T, db, keyFile string, env map[string]string) (stop func(), err error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan Ready, 1), make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--db", db,
			"--key-file", keyFile, "--hubspot-base-url", "http://127.0.0.1:1", "--drain-delay", "0"},
			func(k string) string { return env[k] }, io.Discard, io.Discard, OnReady(func(r Ready) { ready <- r }))
	}()
	select {
	case <-ready:
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("stop: %v", err)
			}
		}, nil
	case err := <-done:
		cancel()
		return nil, err
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("the server neither served nor exited within 30 s")
		return nil, nil
	}
}

// runCommand runs a subcommand on db and returns what it printed.
func runCommand(t *testing.T, command, db, keyFile string, env map[string]string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := Run(t.Context(), []string{command, "--db", db, "--key-file", keyFile}, func(k string) string { return env[k] }, &out, io.Discard)
	return out.String(), err
}
