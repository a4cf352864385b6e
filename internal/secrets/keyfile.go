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
		// O_EXCL: two processes starting at once must not each write a different key.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) //nolint:gosec // the operator names the key file
		if errors.Is(err, fs.ErrExist) {
			return LoadOrCreateKeyFile(path)
		}
		if err != nil {
			return nil, false, err
		}
		if _, err := f.WriteString(content); err != nil {
			f.Close()
			return nil, false, err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, false, err
		}
		if err := f.Close(); err != nil {
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
