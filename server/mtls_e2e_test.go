package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
)

// clientCert issues a certificate for usage (client or server authentication) in memory.
func (ca *testCA) clientCert(t *testing.T, usage x509.ExtKeyUsage) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "workflow-engine"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// writeCA writes the CA's certificate as PEM, replacing file whole as deployment tools do.
func (ca *testCA) writeCA(t *testing.T, file string) {
	t.Helper()
	if err := os.WriteFile(file+".tmp", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(file+".tmp", file); err != nil {
		t.Fatal(err)
	}
}

// mtlsCaller calls the server over both transports, presenting a client certificate or none.
type mtlsCaller struct {
	ts    *testServer
	roots *x509.CertPool
	key   string
}

// grpc lists connections through the typed client and returns the call's error.
func (m mtlsCaller) grpc(t *testing.T, cert *tls.Certificate) error {
	t.Helper()
	opts := []client.Option{client.WithTLS(&tls.Config{RootCAs: m.roots, ServerName: "localhost"}),
		client.WithAPIKey(m.key), client.WithMaxAttempts(1), client.WithTimeout(5 * time.Second)}
	if cert != nil {
		opts = append(opts, client.WithClientCertificate(*cert))
	}
	c, err := client.New(m.ts.grpcAddr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.ListConnections(context.Background(), &integrationsv1.ListConnectionsRequest{Parent: "workspaces/acme"})
	return err
}

// rest GETs path over HTTPS and returns the status code, or the transport error.
func (m mtlsCaller) rest(t *testing.T, cert *tls.Certificate, path string) (int, error) {
	t.Helper()
	cfg := &tls.Config{RootCAs: m.roots, ServerName: "localhost"}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}}
	defer hc.CloseIdleConnections()
	req, _ := http.NewRequest("GET", "https://"+m.ts.httpAddr+path, nil)
	req.Header.Set("Authorization", "Bearer "+m.key)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// With --client-ca both listeners require a client certificate signed by that CA: without
// one, with one from another CA, or with one not meant for client authentication, gRPC and
// HTTP (the API, /healthz and /metrics alike) refuse the connection; with a good one they
// serve, REST included (the gateway presents the server's own certificate to gRPC).
func TestMutualTLS(t *testing.T) {
	ts := startServer(t)
	dir := t.TempDir()
	certFile, keyFile, caFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), filepath.Join(dir, "clients-ca.crt")
	serverCA, clientCA, otherCA := newTestCA(t), newTestCA(t), newTestCA(t)
	serverCA.issue(t, certFile, keyFile, 100)
	clientCA.writeCA(t, caFile)
	ts.restart(t, map[string]string{"INTEGRATIONS_TLS_CERT": certFile, "INTEGRATIONS_TLS_KEY": keyFile, "INTEGRATIONS_CLIENT_CA": caFile})
	if !strings.Contains(ts.logs.String(), `"client_certs":true`) {
		t.Errorf("the serving line does not say client certificates are required")
	}
	good := clientCA.clientCert(t, x509.ExtKeyUsageClientAuth)
	foreign := otherCA.clientCert(t, x509.ExtKeyUsageClientAuth)
	serverOnly := clientCA.clientCert(t, x509.ExtKeyUsageServerAuth)
	m := mtlsCaller{ts: ts, roots: serverCA.pool, key: ts.keys["acme"]}

	cases := []struct {
		name   string
		cert   *tls.Certificate
		served bool
	}{
		{"no client certificate", nil, false},
		{"certificate from another CA", &foreign, false},
		{"certificate of the CA not for client authentication", &serverOnly, false},
		{"certificate from the client CA", &good, true},
	}
	for _, tc := range cases {
		t.Run(tc.name+"/grpc", func(t *testing.T) {
			err := m.grpc(t, tc.cert)
			if tc.served && err != nil {
				t.Errorf("ListConnections: %v; want it served", err)
			}
			if !tc.served && status.Code(err) != codes.Unavailable {
				t.Errorf("ListConnections: %v; want UNAVAILABLE (the handshake refused)", err)
			}
		})
		for _, path := range []string{"/v1/workspaces/acme/connections", "/healthz", "/metrics"} {
			t.Run(tc.name+"/rest"+path, func(t *testing.T) {
				code, err := m.rest(t, tc.cert, path)
				if tc.served && (err != nil || code != http.StatusOK) {
					t.Errorf("GET %s: %d %v; want 200", path, code, err)
				}
				if !tc.served && err == nil {
					t.Errorf("GET %s answered %d; want the TLS handshake refused", path, code)
				}
			})
		}
	}

	// Replace the CA bundle: the other CA's certificates are accepted from now on, the old
	// CA's refused, with no restart.
	mark := len(ts.logs.String())
	otherCA.writeCA(t, caFile)
	handshakeUntilLogged(t, ts, mark, "client CA reloaded",
		&tls.Config{RootCAs: serverCA.pool, ServerName: "localhost", Certificates: []tls.Certificate{foreign}}, nil)
	if err := m.grpc(t, &foreign); err != nil {
		t.Errorf("after the CA change, a certificate of the new CA: %v; want it served", err)
	}
	if err := m.grpc(t, &good); status.Code(err) != codes.Unavailable {
		t.Errorf("after the CA change, a certificate of the old CA: %v; want UNAVAILABLE", err)
	}
	if code, err := m.rest(t, &foreign, "/v1/workspaces/acme/connections"); err != nil || code != http.StatusOK {
		t.Errorf("REST after the CA change: %d %v; want 200", code, err)
	}
}

// --client-ca needs TLS, and a file without certificates fails at start.
func TestMutualTLSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	listen := []string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--db", filepath.Join(dir, "db")}
	_, _, err := runCLI(t, append([]string{"--client-ca", "ca.crt"}, listen...)...)
	if err == nil || !strings.Contains(err.Error(), "--client-ca needs --tls-cert") {
		t.Errorf("--client-ca without --tls-cert: %v", err)
	}
	certFile, keyFile, caFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), filepath.Join(dir, "ca.crt")
	newTestCA(t).issue(t, certFile, keyFile, 1)
	if err := os.WriteFile(caFile, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = runCLI(t, append([]string{"--tls-cert", certFile, "--tls-key", keyFile, "--client-ca", caFile}, listen...)...)
	if err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("--client-ca without certificates: %v", err)
	}
}
