package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/connectflo/integrations/internal/auth"
	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/hubspot/sandbox"
	"github.com/connectflo/integrations/internal/store"
)

const usage = `ConnectFlo Integrations: connects ConnectFlo workspaces to HubSpot.

Usage:
  server [flags]                                   serve gRPC and the REST gateway
  server apikey create --workspace NAME [--db PATH] create an API key and print it once
  server rotate-keys [--db PATH] [--key-file PATH]  re-encrypt every stored token under the primary key
  server sandbox [--listen 127.0.0.1:8089] [--token T[=scopes]]…
                                                   run the HubSpot sandbox alone, for any HubSpot client
  server help                                      this text

Run "server --help" for the serving flags.
`

// Run is the whole program: it dispatches on the subcommand and returns when it is done or
// ctx ends. It takes its environment as arguments so that tests can run it on port 0.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "apikey":
			return runAPIKey(ctx, args[1:], getenv, stdout, stderr)
		case "rotate-keys":
			return runRotateKeys(ctx, args[1:], getenv, stdout, stderr)
		case "sandbox":
			return sandbox.RunCLI(ctx, args[1:], stdout, stderr)
		case "help":
			fmt.Fprint(stdout, usage)
			return nil
		default:
			return fmt.Errorf("unknown command %q\n\n%s", args[0], usage)
		}
	}
	cfg, err := ParseConfig("server", args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	logger := cfg.NewLogger(stderr)
	if cfg.Sandbox {
		return runDemo(ctx, cfg, logger, stdout)
	}
	srv, err := New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	return srv.Serve(ctx)
}

// runAPIKey implements "apikey create": the key is printed alone on one line of stdout, once.
func runAPIKey(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: server apikey create --workspace NAME [--db PATH]")
	}
	fs := flag.NewFlagSet("apikey create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	workspace := fs.String("workspace", "", `workspace the key may act in (an id such as "acme"), or "*" for every workspace`)
	dbDefault := DefaultDBPath
	if v := getenv(envPrefix + "DB"); v != "" {
		dbDefault = v
	}
	db := fs.String("db", dbDefault, "SQLite database file (env INTEGRATIONS_DB)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *workspace == "" {
		return errors.New("apikey create: --workspace is required (a workspace id, or \"*\" for every workspace)")
	}
	st, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	key, err := auth.CreateKey(ctx, st, strings.TrimPrefix(*workspace, "workspaces/"), time.Now())
	if err != nil {
		return fmt.Errorf("apikey create: %w", err)
	}
	fmt.Fprintln(stdout, key)
	fmt.Fprintf(stderr, "Created an API key for workspace %q. It is shown only once: store it now.\n", *workspace)
	return nil
}

// runRotateKeys re-seals every stored token under the primary key of the configured ring.
func runRotateKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := ParseConfig("rotate-keys", args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	logger := cfg.NewLogger(stderr)
	ring, err := loadKeyRing(cfg, logger)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DBPath)
	if err != nil {
		return err
	}
	defer st.Close()
	report, err := connections.RotateKeys(ctx, st, ring)
	if err != nil {
		return fmt.Errorf("rotate-keys: %w (re-encrypted %d before the failure)", err, report.Resealed)
	}
	fmt.Fprintf(stdout, "re-encrypted %d token(s) under key %q; %d already used it; %d could not be read\n",
		report.Resealed, ring.PrimaryID(), report.Current, len(report.Failed))
	for _, f := range report.Failed {
		fmt.Fprintln(stdout, "  cannot read:", f)
	}
	if len(report.Failed) > 0 {
		return fmt.Errorf("rotate-keys: %d token(s) could not be decrypted with any configured key; restore the missing key and run again, or Update Credentials for those connections", len(report.Failed))
	}
	return nil
}
