package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
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

// testCA issues certificates for "localhost" and 127.0.0.1.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue writes a leaf certificate with the given serial and its key as PEM files.
func (ca *testCA) issue(t *testing.T, certFile, keyFile string, serial int64) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// Write to temporary names and rename, as certificate renewal tools do.
	for file, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "EC PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(file+".tmp", pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(file+".tmp", file); err != nil {
			t.Fatal(err)
		}
	}
}

// With --tls-cert and --tls-key both listeners speak TLS: the typed client and an HTTPS
// client that trust the CA work (REST through the gateway too, which dials gRPC over TLS),
// plaintext is refused, and a renewed certificate is served without a restart.
func TestTLS(t *testing.T) {
	ts := startServer(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	ca := newTestCA(t)
	ca.issue(t, certFile, keyFile, 100)
	ts.restart(t, map[string]string{"INTEGRATIONS_TLS_CERT": certFile, "INTEGRATIONS_TLS_KEY": keyFile})
	if !strings.Contains(ts.logs.String(), `"tls":true`) {
		t.Errorf("the serving line does not say TLS is on")
	}
	ctx := context.Background()
	tlsCfg := &tls.Config{RootCAs: ca.pool, ServerName: "localhost"}

	secure, err := client.New(ts.grpcAddr, client.WithTLS(tlsCfg), client.WithAPIKey(ts.keys["acme"]), client.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer secure.Close()
	if _, err := secure.ListConnections(ctx, &integrationsv1.ListConnectionsRequest{Parent: "workspaces/acme"}); err != nil {
		t.Fatalf("ListConnections over TLS: %v", err)
	}
	plain := ts.client(t, ts.keys["acme"], client.WithMaxAttempts(1), client.WithTimeout(2*time.Second))
	if _, err := plain.ListConnections(ctx, &integrationsv1.ListConnectionsRequest{Parent: "workspaces/acme"}); status.Code(err) != codes.Unavailable {
		t.Errorf("a plaintext gRPC call to the TLS listener: %v, want UNAVAILABLE", err)
	}

	httpsClient := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg, ForceAttemptHTTP2: true}}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "https://"+ts.httpAddr+path, nil)
		req.Header.Set("Authorization", "Bearer "+ts.keys["acme"])
		resp, err := httpsClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s over TLS: %v", path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	resp, body := get("/v1/workspaces/acme/connections")
	var list map[string]any
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &list) != nil || list["connections"] == nil {
		t.Errorf("REST over TLS through the gateway: %d %s", resp.StatusCode, body)
	}
	if resp.TLS == nil || resp.TLS.PeerCertificates[0].SerialNumber.Int64() != 100 {
		t.Fatalf("REST answered without the configured certificate: %+v", resp.TLS)
	}
	if r, err := http.Get("http://" + ts.httpAddr + "/healthz"); err == nil {
		if r.StatusCode < 400 {
			t.Errorf("plain HTTP to the TLS listener answered %d", r.StatusCode)
		}
		r.Body.Close()
	}

	// Renew the certificate in place: new handshakes get it, with no restart.
	mark := len(ts.logs.String())
	ca.issue(t, certFile, keyFile, 101)
	handshakeUntilLogged(t, ts, mark, "TLS certificate reloaded", &tls.Config{RootCAs: ca.pool, ServerName: "localhost"}, nil)
	httpsClient.CloseIdleConnections()
	if resp, _ := get("/healthz"); resp.TLS.PeerCertificates[0].SerialNumber.Int64() != 101 {
		t.Fatalf("after the reload was logged, serial %d is served, want the renewed 101", resp.TLS.PeerCertificates[0].SerialNumber.Int64())
	}
	// The gateway's own connection to gRPC accepts the renewed certificate too.
	if resp, body := get("/v1/workspaces/acme/connections"); resp.StatusCode != 200 {
		t.Errorf("REST after the renewal: %d %s", resp.StatusCode, body)
	}

	// A broken renewal (a key that does not match) keeps serving the last good pair.
	mark = len(ts.logs.String())
	other := filepath.Join(dir, "other")
	ca.issue(t, other+".crt", other+".key", 102)
	data, _ := os.ReadFile(other + ".key")
	if err := os.WriteFile(keyFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	handshakeUntilLogged(t, ts, mark, "TLS certificate files changed but do not load; still serving the previous certificate",
		&tls.Config{RootCAs: ca.pool, ServerName: "localhost"}, func(served *x509.Certificate) {
			if served.SerialNumber.Int64() != 101 {
				t.Errorf("after a mismatched key, serial %d is served, want the last good 101", served.SerialNumber.Int64())
			}
		})
	httpsClient.CloseIdleConnections()
	if resp, _ := get("/healthz"); resp.TLS.PeerCertificates[0].SerialNumber.Int64() != 101 {
		t.Errorf("after the broken renewal was seen, serial %d is served, want the last good 101", resp.TLS.PeerCertificates[0].SerialNumber.Int64())
	}
}

// reloadPace is how often handshakes are offered while a test waits for the server to look at
// its TLS files again. The server looks on a handshake, at most once a second (reload_test.go
// steps that on a fake clock), so an end-to-end test has to offer handshakes for about a second;
// what it waits for is the log line saying what the look found, not a guessed time.
const reloadPace = 100 * time.Millisecond

// handshakeUntilLogged makes a TLS handshake with the server's HTTP listener every reloadPace
// until the server logs msg after byte offset mark, and returns that log line. served, when
// set, checks the certificate each handshake was served; a refused handshake (mutual TLS
// without a certificate the server accepts yet) is not an error here.
func handshakeUntilLogged(t *testing.T, ts *testServer, mark int, msg string, cfg *tls.Config, served func(*x509.Certificate)) map[string]any {
	t.Helper()
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(reloadPace)
		defer tick.Stop()
		for {
			if conn, err := tls.Dial("tcp", ts.httpAddr, cfg); err == nil {
				if served != nil {
					served(conn.ConnectionState().PeerCertificates[0])
				}
				conn.Close()
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	defer func() { close(stop); <-stopped }()
	return waitLog(t, ts.logs, mark, msg, 10*time.Second)
}

// Only one of the pair is a configuration error, and unreadable files fail at start.
func TestTLSConfigErrors(t *testing.T) {
	_, stderr, err := runCLI(t, "--tls-cert", "x.crt", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "db"))
	if err == nil || !strings.Contains(err.Error(), "--tls-cert and --tls-key go together") {
		t.Errorf("--tls-cert alone: %v %s", err, stderr)
	}
	dir := t.TempDir()
	_, _, err = runCLI(t, "--tls-cert", filepath.Join(dir, "missing.crt"), "--tls-key", filepath.Join(dir, "missing.key"),
		"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--db", filepath.Join(dir, "db"))
	if err == nil || !strings.Contains(err.Error(), "missing.crt") {
		t.Errorf("missing certificate files: %v", err)
	}
	// Demo mode prints plaintext commands, so it refuses TLS rather than print wrong ones.
	_, _, err = runCLI(t, "--sandbox", "--tls-cert", "x.crt", "--tls-key", "x.key", "--sandbox-addr", "127.0.0.1:0",
		"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "demo mode serves plaintext") {
		t.Errorf("demo mode with TLS: %v", err)
	}
}
