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
	"time"
)

// certSource serves the certificate of --tls-cert/--tls-key and, with --client-ca, checks
// client certificates against that CA bundle. Both are reloaded when their files change, so
// that a renewed certificate or CA bundle is picked up without a restart.
type certSource struct {
	cert     *reloadingFiles[*tls.Certificate]
	clientCA *reloadingFiles[*x509.CertPool] // nil without --client-ca
}

func newCertSource(certFile, keyFile, clientCAFile string, logger *slog.Logger) (*certSource, error) {
	cert, err := newReloadingFiles(&reloadingFiles[*tls.Certificate]{
		files:  []string{certFile, keyFile},
		load:   func() (*tls.Certificate, error) { return loadKeyPair(certFile, keyFile) },
		stale:  "TLS certificate files changed but do not load; still serving the previous certificate",
		logger: logger,
		loaded: func(c *tls.Certificate) {
			logger.Info("TLS certificate reloaded", "subject", c.Leaf.Subject.String(), "not_after", c.Leaf.NotAfter.UTC().Format(time.RFC3339))
		},
	})
	if err != nil {
		return nil, err
	}
	cs := &certSource{cert: cert}
	if clientCAFile == "" {
		return cs, nil
	}
	cs.clientCA, err = newReloadingFiles(&reloadingFiles[*x509.CertPool]{
		files:  []string{clientCAFile},
		load:   func() (*x509.CertPool, error) { return loadCAPool(clientCAFile) },
		stale:  "client CA file changed but does not load; still verifying client certificates against the previous CAs",
		logger: logger,
		loaded: func(*x509.CertPool) { logger.Info("client CA reloaded", "file", clientCAFile) },
	})
	if err != nil {
		return nil, err
	}
	return cs, nil
}

func loadKeyPair(certFile, keyFile string) (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS: load --tls-cert %s and --tls-key %s: %w (want PEM files: the certificate chain, leaf first, and its private key)",
			certFile, keyFile, err)
	}
	if cert.Leaf == nil && len(cert.Certificate) > 0 {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("TLS: parse %s: %w", certFile, err)
		}
	}
	return &cert, nil
}

// loadCAPool reads a PEM bundle of CA certificates: every block must be a certificate, and
// there must be at least one, so that a wrong file fails loudly instead of trusting nothing.
func loadCAPool(file string) (*x509.CertPool, error) {
	data, err := os.ReadFile(file) //nolint:gosec // the operator names the CA bundle
	if err != nil {
		return nil, fmt.Errorf("TLS: read --client-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("TLS: --client-ca %s holds no PEM certificate (want the CA certificates that sign client certificates, PEM encoded)", file)
	}
	return pool, nil
}

// current returns the certificate to present.
func (cs *certSource) current() *tls.Certificate { return cs.cert.current() }

// mutual reports whether clients must present a certificate (--client-ca).
func (cs *certSource) mutual() bool { return cs.clientCA != nil }

// serverConfig is the listeners' TLS configuration. With --client-ca every connection must
// present a client certificate that chains to the CA bundle (as loaded now, not at start):
// the rule is enforced at the handshake for the whole listener, so no route or RPC can be
// left out of it.
func (cs *certSource) serverConfig() *tls.Config {
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return cs.current(), nil
		},
	}
	if cs.mutual() {
		// Verified below rather than with ClientCAs, which a tls.Config fixes at creation, and
		// in VerifyConnection, which runs for resumed sessions too: a session ticket issued
		// before a CA was removed from --client-ca must not let its holder skip the check.
		cfg.ClientAuth = tls.RequireAnyClientCert
		cfg.VerifyConnection = func(st tls.ConnectionState) error { return cs.verifyClient(st.PeerCertificates) }
	}
	return cfg
}

// errClientCert is what a refused client certificate is logged with.
var errClientCert = errors.New("TLS: the client certificate is not signed by a CA of --client-ca")

// verifyClient accepts a client certificate that chains to --client-ca for client
// authentication, or this server's own certificate: the REST gateway presents it when it
// calls the gRPC listener, and only a holder of the server's private key can.
func (cs *certSource) verifyClient(certs []*x509.Certificate) error {
	if len(certs) == 0 {
		return errors.New("TLS: no client certificate: this server requires one signed by a CA of --client-ca")
	}
	if own := cs.current(); len(own.Certificate) > 0 && bytes.Equal(certs[0].Raw, own.Certificate[0]) {
		return nil
	}
	opts := x509.VerifyOptions{Roots: cs.clientCA.current(), Intermediates: x509.NewCertPool(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	if _, err := certs[0].Verify(opts); err != nil {
		return fmt.Errorf("%w: %w", errClientCert, err)
	}
	return nil
}

// loopbackClientConfig is the TLS configuration of the REST gateway's own connection to the
// gRPC listener. The certificate names a public host, not the loopback address the gateway
// dials, so instead of a name check it accepts exactly the certificate being served. With
// --client-ca it presents that same certificate as its client certificate.
func (cs *certSource) loopbackClientConfig() *tls.Config {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, //nolint:gosec // replaced by the exact-match check below, which runs on every connection
		VerifyConnection: func(st tls.ConnectionState) error {
			want := cs.current()
			if len(st.PeerCertificates) == 0 || len(want.Certificate) == 0 || !bytes.Equal(st.PeerCertificates[0].Raw, want.Certificate[0]) {
				return errors.New("TLS: the gRPC listener did not present this server's certificate")
			}
			return nil
		},
	}
	if cs.mutual() {
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cs.current(), nil }
	}
	return cfg
}

// isLoopback reports whether a listen address only accepts local connections.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
