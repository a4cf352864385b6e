package secrets

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustRing(t *testing.T, ids ...string) (*KeyRing, []Key) {
	t.Helper()
	var keys []Key
	for _, id := range ids {
		k, err := NewKey(id)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	r, err := NewKeyRing(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return r, keys
}

func TestSealOpen(t *testing.T) {
	r, _ := mustRing(t, "k1")
	token := []byte("pat-na1-11111111-2222-3333-4444-555555555555")
	aad := []byte("workspaces/acme/connections/prod")
	id, ct, err := r.Seal(token, aad)
	if err != nil {
		t.Fatal(err)
	}
	if id != "k1" || bytes.Contains(ct, token) || bytes.Contains(ct, token[8:20]) {
		t.Fatalf("Seal = %q, %x: the ciphertext must not contain the token", id, ct)
	}
	got, err := r.Open(id, ct, aad)
	if err != nil || !bytes.Equal(got, token) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	_, ct2, _ := r.Seal(token, aad)
	if bytes.Equal(ct, ct2) {
		t.Error("two sealings of the same token are identical: the nonce is not random")
	}

	cases := []struct {
		name string
		id   string
		ct   []byte
		aad  []byte
		want error
	}{
		{"moved to another row", id, ct, []byte("workspaces/acme/connections/other"), ErrCannotOpen},
		{"flipped bit", id, append(append([]byte{}, ct[:20]...), append([]byte{ct[20] ^ 1}, ct[21:]...)...), aad, ErrCannotOpen},
		{"truncated", id, ct[:10], aad, ErrCannotOpen},
		{"unknown key", "k9", ct, aad, ErrUnknownKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := r.Open(tc.id, tc.ct, tc.aad); !errors.Is(err, tc.want) {
				t.Errorf("Open err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	old, oldKeys := mustRing(t, "old")
	_, ct, _ := old.Seal([]byte("secret"), nil)
	newKey, _ := NewKey("new")
	rotated, err := NewKeyRing(newKey, oldKeys[0])
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Open("old", ct, nil); err != nil || string(got) != "secret" {
		t.Fatalf("old ciphertext under the rotated ring: %q, %v", got, err)
	}
	if id, _, _ := rotated.Seal([]byte("secret"), nil); id != "new" {
		t.Errorf("rotated ring seals with %q, want the new primary", id)
	}
}

func TestParseKeys(t *testing.T) {
	_, keys := mustRing(t, "a", "b")
	text := FormatKeys(keys...)
	parsed, err := ParseKeys("# comment\n" + text + "\n\n")
	if err != nil || len(parsed) != 2 || parsed[0] != keys[0] || parsed[1] != keys[1] {
		t.Fatalf("ParseKeys(FormatKeys) = %v, %v", len(parsed), err)
	}
	secretPart := strings.SplitN(text, ":", 2)[1][:20]
	for _, bad := range []string{"", "nokey", "a:notbase64!!", "a:" + "QUJD", "bad id:AAAA", "a:" + secretPart} {
		_, err := ParseKeys(bad)
		if err == nil {
			t.Errorf("ParseKeys(%q) accepted bad input", bad)
			continue
		}
		if strings.Contains(err.Error(), secretPart) {
			t.Errorf("ParseKeys error %q contains key material", err)
		}
	}
	if _, err := NewKeyRing(keys[0], keys[0]); err == nil {
		t.Error("a ring with a duplicate key id was accepted")
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "encryption.keys")
	r1, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created {
		t.Fatalf("first load: created=%v err=%v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	_, ct, _ := r1.Seal([]byte("tok"), []byte("n"))
	r2, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created {
		t.Fatalf("second load: created=%v err=%v", created, err)
	}
	if got, err := r2.Open(r1.PrimaryID(), ct, []byte("n")); err != nil || string(got) != "tok" {
		t.Errorf("reloaded ring cannot open: %q %v", got, err)
	}
	os.Chmod(path, 0o644)
	if _, _, err := LoadOrCreateKeyFile(path); err == nil {
		t.Error("a world-readable key file was accepted")
	}
}

func FuzzParseKeys(f *testing.F) {
	f.Add("a:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	f.Add("# c\nx:y,z")
	f.Fuzz(func(t *testing.T, s string) {
		keys, err := ParseKeys(s)
		if err == nil {
			if _, err := NewKeyRing(keys...); err != nil && !strings.Contains(err.Error(), "twice") {
				t.Errorf("parsed keys do not make a ring: %v", err)
			}
		}
	})
}

// TestKeyFileCreatedOnceByProcessesStartingTogether: replicas starting at once on a missing
// key file all end with the one key that was written; none reads a half-written file, and
// one reports it created the file.
func TestKeyFileCreatedOnceByProcessesStartingTogether(t *testing.T) {
	for round := range 20 {
		path := filepath.Join(t.TempDir(), "encryption.keys")
		const n = 8
		rings := make([]*KeyRing, n)
		created := make([]bool, n)
		errs := make([]error, n)
		done := make(chan int, n)
		for i := range n {
			go func() {
				rings[i], created[i], errs[i] = LoadOrCreateKeyFile(path)
				done <- i
			}()
		}
		for range n {
			<-done
		}
		creators := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d, process %d: %v", round, i, errs[i])
			}
			if created[i] {
				creators++
			}
			sealedID, sealed, err := rings[0].Seal([]byte("token"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rings[i].Open(sealedID, sealed, nil); err != nil {
				t.Fatalf("round %d: process %d cannot open what process 0 sealed: %v", round, i, err)
			}
		}
		if creators != 1 {
			t.Fatalf("round %d: %d processes say they created the file, want 1", round, creators)
		}
		if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
			t.Errorf("round %d: %d files beside the key file's folder, want the key file alone", round, len(entries))
		}
	}
}
