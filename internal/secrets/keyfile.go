package secrets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// LoadOrCreateKeyFile reads the key ring from path, creating the file (0600, in a 0700 folder)
// with one new random key when it does not exist. created tells the caller to warn that the
// tokens are now only as safe as that file.
func LoadOrCreateKeyFile(path string) (ring *KeyRing, created bool, err error) {
	data, err := os.ReadFile(path) //nolint:gosec // the operator names the key file
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, false, err
		}
		k, err := NewKey("k" + time.Now().UTC().Format("20060102"))
		if err != nil {
			return nil, false, err
		}
		content := "# ConnectFlo Integrations token encryption keys: id:base64key, primary first.\n" +
			"# Keep this file secret and backed up: without it stored HubSpot tokens cannot be read.\n" +
			FormatKeys(k) + "\n"
		// Two processes starting at once (replicas) must neither each write a different key
		// nor read a file the other has created but not yet written: the key is written and
		// synced to a file of our own, then linked into place, which fails if the name exists.
		if err := writeExclusive(path, content); errors.Is(err, fs.ErrExist) {
			return LoadOrCreateKeyFile(path)
		} else if err != nil {
			return nil, false, err
		}
		ring, err := NewKeyRing(k)
		return ring, true, err
	}
	if err != nil {
		return nil, false, err
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, false, fmt.Errorf("secrets: key file %s is readable by others (mode %o): run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	keys, err := ParseKeys(string(data))
	if err != nil {
		return nil, false, fmt.Errorf("key file %s: %w", path, err)
	}
	ring, err = NewKeyRing(keys...)
	return ring, false, err
}

// writeExclusive creates path with content, complete or not at all: written to a temporary
// file beside it (0600) and linked to path, failing with fs.ErrExist when path exists.
func writeExclusive(path, content string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".keys-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Link(tmp, path)
}
