package client

import (
	"crypto/tls"
	"strings"
	"testing"
)

// A client certificate needs TLS: asked for with plaintext, New says so instead of silently
// talking without one. The caller's tls.Config is not changed by New.
func TestWithClientCertificate(t *testing.T) {
	cert := tls.Certificate{Certificate: [][]byte{{1}}}
	cases := []struct {
		name    string
		opts    []Option
		wantErr string
	}{
		{"with plaintext", []Option{WithClientCertificate(cert), WithPlaintext()}, "WithClientCertificate needs TLS"},
		{"plaintext first", []Option{WithPlaintext(), WithClientCertificate(cert)}, "WithClientCertificate needs TLS"},
		{"alone", []Option{WithClientCertificate(cert)}, ""},
		{"with TLS", []Option{WithTLS(&tls.Config{ServerName: "x"}), WithClientCertificate(cert)}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New("127.0.0.1:1", tc.opts...)
			if c != nil {
				c.Close()
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("New: %v; want error containing %q", err, tc.wantErr)
			}
		})
	}
	mine := &tls.Config{ServerName: "x"}
	c, err := New("127.0.0.1:1", WithTLS(mine), WithClientCertificate(cert))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if len(mine.Certificates) != 0 {
		t.Errorf("New added the client certificate to the caller's tls.Config")
	}
}
