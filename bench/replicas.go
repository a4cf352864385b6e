package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/sandbox"
	"github.com/connectflo/integrations/internal/store/storetest"
)

// benchReplicas measures the service as replicas on one PostgreSQL database: UpsertContact at
// the Free budget through 3 server processes sharing the database, and so the HubSpot budget,
// with the callers spread across them, beside the same load through 1 process on PostgreSQL
// (the calls, callers and formula of the upserts group's Free row, which runs on SQLite), and
// again with as many callers per replica as that process has; and GetConnection throughput on
// PostgreSQL as a ratio of SQLite's.
//
// It runs on the PostgreSQL server that INTEGRATIONS_TEST_POSTGRES names, as the tests do
// (scripts/postgres start runs a throwaway one and prints its URL), each load in a new schema
// dropped at its end; without the variable it gives one row saying that it was skipped. The
// figures are those of that server as it is configured (scripts/postgres's runs with fsync
// off, so they show the service's cost, not a disk's).
func benchReplicas(ctx context.Context, env *benchEnv) ([]row, error) {
	postgres := os.Getenv(storetest.PostgresEnv)
	if postgres == "" {
		return []row{{"replicas on PostgreSQL", "skipped", storetest.PostgresEnv + " is unset (scripts/postgres start prints the URL of a throwaway server)", "—"}}, nil
	}
	bin, err := env.serverBinary(ctx)
	if err != nil {
		return nil, err
	}
	group := "UpsertContact at the Free budget (100 requests / 10 s) on PostgreSQL"
	var rows []row
	// The upserts group's Free load through 1 process, then through 3 replicas with the same
	// callers spread across them, and with 3 times as many (as many per replica as the one
	// process has), which tells the batches that fewer callers per replica leave partial from
	// those that sharing the budget does.
	for _, load := range []struct{ replicas, callers int }{{1, 200}, {3, 200}, {3, 600}} {
		spec := upsertSpec{tier: sandbox.TierFree, n: 40000, callers: load.callers, postgres: postgres, replicas: load.replicas}
		r, err := upsertLoad(ctx, env.log, bin, spec)
		if err != nil {
			return nil, err
		}
		ceiling := r.budget * hubspotBatch * int(time.Second) / int(r.window)
		servers, target := fmt.Sprintf("1 replica, %d callers", load.callers), "≥ 0.95"
		if load.replicas > 1 {
			// Each replica batches only its own callers, so a window carries a few more
			// partial batches than one process sends: the bar is lower.
			servers, target = fmt.Sprintf("%d replicas, %d callers spread across them", load.replicas, load.callers), "≥ 0.9"
		}
		rows = append(rows,
			row{group, fmt.Sprintf("%s, %s calls: theoretical minimum / measured time", servers, thousands(spec.n)), r.minimumRatio(), target},
			row{group, servers + ": requests made / ideal (full batches of 100)", r.requestsRatio(), "1.00"},
			// The minimum above is that of the requests made, so partial batches do not lower
			// it; the records per second against the ceiling show what they cost.
			row{group, servers + ": records per second in the middle windows (steady state)", fmt.Sprintf("%.0f (%.2f of the ceiling)", r.steady, r.steady/float64(ceiling)), fmt.Sprintf("%s of %s", target, thousands(ceiling))},
			row{group, servers + ": 429s seen by the sandbox / failed calls", fmt.Sprintf("%d / %d", r.limited, r.failed), "0 / 0"},
			row{group, servers + ": latency p50 / p99", r.latencies(), "—"},
		)
	}
	lite, pg, err := getConnectionRates(ctx, bin, postgres)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(env.log, "GetConnection: SQLite %.0f/s, PostgreSQL %.0f/s (%d callers, %d rounds of %v each)\n", lite, pg, getConnectionCallers, getConnectionRounds, getConnectionRound)
	return append(rows, row{fmt.Sprintf("GetConnection over gRPC, %d callers, 1 process", getConnectionCallers), "throughput on PostgreSQL / on SQLite",
		fmt.Sprintf("%.2f (%.0f/s vs %.0f/s)", pg/lite, pg, lite), "—"}), nil
}

// The GetConnection load: many callers on one client connection, in alternating rounds of
// each engine so that the machine's noise falls on both alike.
const (
	getConnectionCallers = 64
	getConnectionRounds  = 3
	getConnectionRound   = 2 * time.Second
)

// getConnectionRates runs GetConnection against one server process on a SQLite file and one
// on a new schema of postgres, and returns each one's calls per second.
func getConnectionRates(ctx context.Context, bin, postgres string) (sqliteRate, postgresRate float64, err error) {
	h, err := newBenchHub(sandbox.Options{}, sandbox.TierEnterprise)
	if err != nil {
		return 0, 0, err
	}
	defer h.close()
	lite, err := startServerProcess(ctx, bin, h.srv.URL)
	if err != nil {
		return 0, 0, err
	}
	defer lite.stop()
	db, dropSchema, err := newPostgresSchema(ctx, postgres)
	if err != nil {
		return 0, 0, err
	}
	defer dropSchema()
	pg, stopPG, err := startReplicas(ctx, bin, h.srv.URL, db, 1)
	if err != nil {
		return 0, 0, err
	}
	defer stopPG()
	var calls []func(context.Context) error
	for _, srv := range []*serverProcess{lite, pg[0]} {
		c, conn, err := connectBench(ctx, srv.grpcAddr, srv.key, h)
		if err != nil {
			return 0, 0, err
		}
		defer c.Close()
		req := &integrationsv1.GetConnectionRequest{Name: conn.GetName()}
		calls = append(calls, func(ctx context.Context) error {
			_, err := c.GetConnection(ctx, req)
			return err
		})
	}
	rates := make([]float64, len(calls))
	for range getConnectionRounds {
		for i, call := range calls {
			r, err := throughputN(ctx, getConnectionCallers, getConnectionRound, call)
			if err != nil {
				return 0, 0, err
			}
			rates[i] += r / getConnectionRounds
		}
	}
	return rates[0], rates[1], nil
}

// newPostgresSchema creates a schema of its own on the server at base and returns base with
// that schema as its search_path, so that every table the service creates lands in it, and a
// function that drops it with everything in it. Each load gets one, so that none sees
// another's rows (the shared HubSpot budget's claims above all: every sandbox names its app
// alike).
func newPostgresSchema(ctx context.Context, base string) (dsn string, drop func(), err error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("%s: not a URL", storetest.PostgresEnv) // its text may hold a password
	}
	schema := "bench_" + strings.ToLower(rand.Text())
	if err := execPostgres(ctx, base, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := execPostgres(ctx, base, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			fmt.Fprintf(os.Stderr, "bench: drop schema %s: %v\n", schema, err)
		}
	}
	return u.String(), drop, nil
}

// execPostgres runs one statement on a connection of its own to the server at dsn.
func execPostgres(ctx context.Context, dsn, statement string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", storetest.PostgresEnv, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, statement); err != nil {
		return fmt.Errorf("%s: %w", statement, err)
	}
	return nil
}
