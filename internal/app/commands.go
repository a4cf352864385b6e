package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/connectflo/integrations/internal/audit"
	"github.com/connectflo/integrations/internal/auth"
	"github.com/connectflo/integrations/internal/changes"
	"github.com/connectflo/integrations/internal/connections"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/store"
)

const usage = `ConnectFlo Integrations: connects ConnectFlo workspaces to HubSpot.

Usage:
  server [flags]                                   serve gRPC and the REST gateway
  server apikey create --workspace NAME [--db PATH] create an API key and print it once
  server apikey list [--workspace NAME] [--db PATH] list API keys (ids, never secrets)
  server apikey revoke ID [--db PATH]               revoke an API key by its id (from apikey list)
  server rotate-keys [--db PATH] [--key-file PATH]  re-encrypt every stored token and webhook secret under the primary key
  server forget-keys [--db PATH] [--key-file PATH]  give up recorded encryption keys lost for good, so that servers with these keys start
  server sandbox [--listen ADDR] [--token T[=scopes]]…
                                                   run the HubSpot sandbox alone, for any HubSpot client
  server help                                      this text

Run "server --help" for the serving flags.
`

// Run is the whole program: it dispatches on the subcommand and returns when it is done or
// ctx ends. It takes its environment as arguments so that tests can run it on port 0, and
// tells them its addresses through OnReady.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, opts ...RunOption) error {
	var o runOptions
	for _, opt := range opts {
		opt(&o)
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "apikey":
			return runAPIKey(ctx, args[1:], getenv, stdout, stderr)
		case "rotate-keys":
			return runRotateKeys(ctx, args[1:], getenv, stdout, stderr)
		case "forget-keys":
			return runForgetKeys(ctx, args[1:], getenv, stdout, stderr)
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
	cfg.PollEvery = o.pollEvery
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	logger := cfg.NewLogger(stderr)
	if cfg.Sandbox {
		return runDemo(ctx, cfg, getenv, logger, stdout, o.ready)
	}
	srv, err := New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	srv.ready = o.ready
	return srv.Serve(ctx)
}

const keyCommandsUsage = `usage:
  server apikey create --workspace NAME [--db PATH]
  server apikey list [--workspace NAME] [--db PATH]
  server apikey revoke ID [--db PATH]`

// runAPIKey implements the "apikey" commands.
func runAPIKey(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(keyCommandsUsage)
	}
	switch args[0] {
	case "create":
		return runAPIKeyCreate(ctx, args[1:], getenv, stdout, stderr)
	case "list":
		return runAPIKeyList(ctx, args[1:], getenv, stdout, stderr)
	case "revoke":
		return runAPIKeyRevoke(ctx, args[1:], getenv, stdout, stderr)
	default:
		return fmt.Errorf("unknown apikey command %q\n%s", args[0], keyCommandsUsage)
	}
}

// apiKeyCommand is one "apikey" subcommand: its flags beyond --db, how many arguments it
// takes, and what it does with the open store.
type apiKeyCommand struct {
	name     string
	args     int    // positional arguments required
	argsHelp string // what they are, for the error when they are not there
	existing bool   // the database must exist already (reading commands must not create one)
	flags    func(fs *flag.FlagSet)
	run      func(ctx context.Context, st *store.Store, db string, args []string) error // db as shown to people: a URL without its password
}

// runAPIKeyCommand parses an apikey command's flags, which may come before or after its
// arguments, opens the store and runs it.
func runAPIKeyCommand(ctx context.Context, cmd apiKeyCommand, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("apikey "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	options := bindOptions(fs, pickOptions(configOptions(&cfg), "db"))
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	var positional []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return nil
		} else if err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) != cmd.args {
		what := "no arguments besides its flags"
		if cmd.args > 0 {
			what = cmd.argsHelp
		}
		return fmt.Errorf("apikey %s: takes %s; got %q\n%s", cmd.name, what, positional, keyCommandsUsage)
	}
	if err := errors.Join(options.apply(getenv, every)...); err != nil {
		return fmt.Errorf("apikey %s: %w", cmd.name, err)
	}
	db := cfg.DBPath
	if cmd.existing && !store.IsPostgres(db) { // a PostgreSQL database is never created here
		if _, err := os.Stat(db); err != nil {
			return fmt.Errorf("apikey %s: no database at %s (give the server's with --db or INTEGRATIONS_DB): %w", cmd.name, db, err)
		}
	}
	st, err := store.Open(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := cmd.run(ctx, st, store.Redact(db), positional); err != nil {
		return fmt.Errorf("apikey %s: %w", cmd.name, err)
	}
	return nil
}

// runAPIKeyCreate implements "apikey create": the key is printed alone on one line of stdout, once.
func runAPIKeyCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var workspace string
	return runAPIKeyCommand(ctx, apiKeyCommand{name: "create",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&workspace, "workspace", "", `workspace the key may act in (an id such as "acme"), or "*" for every workspace`)
		},
		run: func(ctx context.Context, st *store.Store, _ string, _ []string) error {
			if workspace == "" {
				return errors.New("--workspace is required (a workspace id, or \"*\" for every workspace)")
			}
			key, err := auth.CreateKey(ctx, st, strings.TrimPrefix(workspace, "workspaces/"), time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, key)
			fmt.Fprintf(stderr, "Created an API key for workspace %q. It is shown only once: store it now.\n", workspace)
			return recordKeyCommand(ctx, st, audit.ActionCreateAPIKey, auth.IDOf(key))
		}}, args, getenv, stderr)
}

// runAPIKeyList prints the keys of the database, one per line: id, workspace, created,
// revoked. Secrets are never stored, so they cannot be shown.
func runAPIKeyList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var workspace string
	return runAPIKeyCommand(ctx, apiKeyCommand{name: "list", existing: true,
		flags: func(fs *flag.FlagSet) { fs.StringVar(&workspace, "workspace", "", "only the keys of this workspace") },
		run: func(ctx context.Context, st *store.Store, _ string, _ []string) error {
			keys, err := st.ListAPIKeys(ctx, strings.TrimPrefix(workspace, "workspaces/"))
			if err != nil {
				return err
			}
			if len(keys) == 0 {
				fmt.Fprintln(stderr, "No API keys: create one with: server apikey create --workspace NAME")
				return nil
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tWORKSPACE\tCREATED\tREVOKED")
			for _, k := range keys {
				revoked := "-"
				if k.Revoked() {
					revoked = k.RevokeTime.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.ID, k.Workspace, k.CreateTime.UTC().Format(time.RFC3339), revoked)
			}
			return tw.Flush()
		}}, args, getenv, stderr)
}

// runAPIKeyRevoke revokes a key given by its id (from "apikey list"). A whole key is refused:
// its secret would be in shell history and visible in ps.
func runAPIKeyRevoke(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return runAPIKeyCommand(ctx, apiKeyCommand{name: "revoke", args: 1, existing: true,
		argsHelp: `one key id (from "server apikey list")`,
		run: func(ctx context.Context, st *store.Store, db string, args []string) error {
			id, err := auth.KeyID(args[0])
			if err != nil {
				return err
			}
			now := time.Now()
			k, err := st.RevokeAPIKey(ctx, id, now)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no API key has id %q in %s: see \"server apikey list --db %s\"", id, db, db)
			}
			if err != nil {
				return err
			}
			if !k.RevokeTime.Equal(now) {
				fmt.Fprintf(stdout, "API key %s (workspace %q) was already revoked at %s.\n", k.ID, k.Workspace, k.RevokeTime.UTC().Format(time.RFC3339))
				return nil
			}
			fmt.Fprintf(stdout, "Revoked API key %s (workspace %q). A running server refuses it within %v.\n", k.ID, k.Workspace, auth.VerifiedTTL)
			return recordKeyCommand(ctx, st, audit.ActionRevokeAPIKey, k.ID)
		}}, args, getenv, stderr)
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
	ring, keySource, err := loadKeyRing(cfg, logger)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DBPath)
	if err != nil {
		return err
	}
	defer st.Close()
	// The same check as a server's start: a ring without the keys the secrets were sealed
	// with could re-seal none of them. It records the primary key, which seals from here on.
	recorded, err := checkKeyRing(ctx, st, ring, keySource, cfg.DBPath)
	if err != nil {
		return fmt.Errorf("rotate-keys: %w", err)
	}
	report, err := connections.RotateKeys(ctx, st, ring)
	if aerr := recordRotation(ctx, st, report.ResealedConnections, ring.PrimaryID()); aerr != nil {
		err = errors.Join(err, aerr)
	}
	if err != nil {
		return fmt.Errorf("rotate-keys: %w (re-encrypted %d before the failure)", err, report.Resealed)
	}
	fmt.Fprintf(stdout, "re-encrypted %d token(s) under key %q; %d already current; %d read again after changing during the rotation; %d deleted meanwhile; %d not re-encrypted\n",
		report.Resealed, ring.PrimaryID(), report.Current, report.Retried, report.Gone, len(report.Failed))
	for _, f := range report.Failed {
		fmt.Fprintln(stdout, "  not re-encrypted:", f)
	}
	secretsReport, err := changes.RotateSecrets(ctx, st, ring)
	if err != nil {
		return fmt.Errorf("rotate-keys: webhook secrets: %w (re-encrypted %d before the failure)", err, secretsReport.Resealed)
	}
	fmt.Fprintf(stdout, "re-encrypted %d webhook secret(s); %d already current; %d changed meanwhile; %d not re-encrypted\n",
		secretsReport.Resealed, secretsReport.Current, secretsReport.Changed, len(secretsReport.Failed))
	for _, f := range secretsReport.Failed {
		fmt.Fprintln(stdout, "  not re-encrypted:", f)
	}
	if n := len(report.Failed) + len(secretsReport.Failed); n > 0 {
		return fmt.Errorf("rotate-keys: %d token(s) or webhook secret(s) not re-encrypted (listed above): restore a missing key, or Update Credentials (UpdateChangeSettings for a webhook secret) for those connections, then run again", n)
	}
	// Every secret is now sealed under the primary key: the keys recorded before no longer
	// need to be in a ring.
	after, err := connections.SettleRotation(ctx, st, ring, recorded)
	if err != nil {
		return fmt.Errorf("rotate-keys: every secret was re-encrypted, but the database still records the old keys: %w; run rotate-keys again", err)
	}
	fmt.Fprintf(stdout, "the database now records key %s: a process without it is refused at start; the other keys may be removed from every key ring once each server runs with %q first\n",
		recordedIDs(after), ring.PrimaryID())
	return nil
}

// runForgetKeys gives up the recorded keys that the configured ring cannot open (lost for
// good), so that processes with this ring start.
func runForgetKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := ParseConfig("forget-keys", args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	ring, _, err := loadKeyRing(cfg, cfg.NewLogger(stderr))
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DBPath)
	if err != nil {
		return err
	}
	defer st.Close()
	forgotten, recorded, err := connections.ForgetLostKeys(ctx, st, ring)
	if err != nil {
		return fmt.Errorf("forget-keys: %w", err)
	}
	if len(forgotten) == 0 {
		fmt.Fprintf(stdout, "nothing to forget: these keys open every key the database records (%s)\n", recordedIDs(recorded))
		return nil
	}
	fmt.Fprintf(stdout, "forgot key(s) %s; the database now records %s. Tokens and webhook secrets sealed with the forgotten keys cannot be read: "+
		"each such connection reports ERROR (TOKEN_UNREADABLE) until it is given its token again with Update Credentials, and its webhook secret with UpdateChangeSettings\n",
		strings.Join(forgotten, ", "), recordedIDs(recorded))
	return nil
}

// recordedIDs lists recorded keys' ids for a message.
func recordedIDs(keys []store.RingKey) string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	return strings.Join(ids, ", ")
}
