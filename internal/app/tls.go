package app

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"
)

// certSource serves the certificate of --tls-cert/--tls-key and reloads it when either file
// changes, so that a renewed certificate is picked up without a restart. A renewal caught
// half written (the new certificate with the old key) keeps the last good pair and is retried
// on the next handshake.
type certSource struct {
	certFile, keyFile string
	logger            *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string    // modification times and sizes of the pair that was loaded
	checked time.Time // last look at the files
}

// certCheckInterval bounds how often handshakes look at the files.
const certCheckInterval = time.Second

func newCertSource(certFile, keyFile string, logger *slog.Logger) (*certSource, error) {
	cs := &certSource{certFile: certFile, keyFile: keyFile, logger: logger}
	stamp, err := cs.fileStamp()
	if err != nil {
		return nil, err
	}
	cert, err := cs.load()
	if err != nil {
		return nil, err
	}
	cs.cert, cs.stamp, cs.checked = cert, stamp, time.Now()
	return cs, nil
}

func (cs *certSource) fileStamp() (string, error) {
	var stamp string
	for _, f := range []string{cs.certFile, cs.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", fmt.Errorf("TLS: %w", err)
		}
		stamp += fmt.Sprintf("%d/%d;", fi.ModTime().UnixNano(), fi.Size())
	}
	return stamp, nil
}

func (cs *certSource) load() (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(cs.certFile, cs.keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS: load --tls-cert %s and --tls-key %s: %w (want PEM files: the certificate chain, leaf first, and its private key)",
			cs.certFile, cs.keyFile, err)
	}
	if cert.Leaf == nil && len(cert.Certificate) > 0 {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("TLS: parse %s: %w", cs.certFile, err)
		}
	}
	return &cert, nil
}

// current returns the certificate to present, reloading it if its files changed.
func (cs *certSource) current() *tls.Certificate {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if time.Since(cs.checked) < certCheckInterval {
		return cs.cert
	}
	cs.checked = time.Now()
	stamp, err := cs.fileStamp()
	if err != nil || stamp == cs.stamp {
		return cs.cert
	}
	cert, err := cs.load()
	if err != nil {
		cs.logger.Warn("TLS certificate files changed but do not load; still serving the previous certificate", "err", err)
		return cs.cert
	}
	cs.cert, cs.stamp = cert, stamp
	cs.logger.Info("TLS certificate reloaded", "subject", cert.Leaf.Subject.String(), "not_after", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	return cs.cert
}

// serverConfig is the listeners' TLS configuration.
func (cs *certSource) serverConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return cs.current(), nil
		},
	}
}

// loopbackClientConfig is the TLS configuration of the REST gateway's own connection to the
// gRPC listener. The certificate names a public host, not the loopback address the gateway
// dials, so instead of a name check it accepts exactly the certificate being served.
func (cs *certSource) loopbackClientConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by the exact-match check below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			want := cs.current()
			if len(raw) == 0 || len(want.Certificate) == 0 || !bytes.Equal(raw[0], want.Certificate[0]) {
				return errors.New("TLS: the gRPC listener did not present this server's certificate")
			}
			return nil
		},
	}
}

// isLoopback reports whether a listen address only accepts local connections.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
