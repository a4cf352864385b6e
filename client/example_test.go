package client_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/app"
	"github.com/connectflo/integrations/internal/auth"
	"github.com/connectflo/integrations/internal/store"
)

// The examples run against a real server started in-process by TestMain; in your code, addr is
// your server's gRPC address and apiKey a key from "server apikey create".
var (
	addr   string
	apiKey string
)

func TestMain(m *testing.M) {
	os.Exit(runWithServer(m))
}

func runWithServer(m *testing.M) int {
	dir, err := os.MkdirTemp("", "client-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := filepath.Join(dir, "integrations.db")
	st, err := store.Open(ctx, db)
	if err != nil {
		log.Fatal(err)
	}
	if apiKey, err = auth.CreateKey(ctx, st, "acme", time.Now()); err != nil {
		log.Fatal(err)
	}
	st.Close()
	cfg := app.DefaultConfig()
	cfg.GRPCAddr, cfg.HTTPAddr, cfg.DBPath = "127.0.0.1:0", "127.0.0.1:0", db
	cfg.KeyFile = filepath.Join(dir, "encryption.keys")
	cfg.DrainDelay = 0 // no load balancer sends to it: stop at once
	srv, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		log.Fatal(err)
	}
	addr = srv.GRPCAddr()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	code := m.Run()
	cancel()
	if err := <-done; err != nil {
		log.Print(err)
		return 1
	}
	return code
}

func Example() {
	c, err := client.New(addr, client.WithAPIKey(apiKey), client.WithPlaintext())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	resp, err := c.ListConnections(context.Background(), &integrationsv1.ListConnectionsRequest{
		Parent: client.WorkspaceName("acme"),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("connections:", len(resp.GetConnections()))
	// Output: connections: 0
}

func ExampleErrorDetails() {
	c, err := client.New(addr, client.WithAPIKey(apiKey), client.WithPlaintext())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	_, err = c.ListConnections(context.Background(), &integrationsv1.ListConnectionsRequest{
		Parent: "acme", // should be "workspaces/acme"
	})
	e := client.ErrorDetails(err)
	fmt.Println(e.Code, e.Reason)
	if e.Reason == client.ReasonInvalidArgument { // one constant per reason the server sends
		for _, v := range e.FieldViolations {
			fmt.Println(v.Field)
		}
	}
	// Output:
	// InvalidArgument INVALID_ARGUMENT
	// parent
}

func ExampleRetryable() {
	c, err := client.New(addr, client.WithAPIKey(apiKey), client.WithPlaintext())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	_, err = c.ListConnections(context.Background(), &integrationsv1.ListConnectionsRequest{
		Parent: client.WorkspaceName("globex"), // the key belongs to acme
	})
	retry, _ := client.Retryable(err)
	fmt.Println(client.Reason(err), "retry:", retry)
	// Output: WORKSPACE_NOT_ALLOWED retry: false
}
