package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/connectflo/integrations/client"
	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/secrets"
	"github.com/connectflo/integrations/internal/store"
)

// replica is one server process of a test that runs several on one database.
type replica struct {
	n        int // 1, 2, 3: as the test's messages name it
	cmd      *exec.Cmd
	addrs    servingAddrs
	client   *client.Client
	problems *syncBuffer // its WARN and ERROR log lines, shown when the test fails
	exited   bool
}

// startReplicas starts n server processes with the same environment and flags, one after
// the other, each with a client using key. They are stopped (interrupted, or found already
// killed) when the test ends, and their problems logged if it failed.
func startReplicas(t *testing.T, bin string, n int, env []string, key string, args ...string) []*replica {
	t.Helper()
	rs := make([]*replica, n)
	for i := range rs {
		r := &replica{n: i + 1, problems: &syncBuffer{}}
		r.cmd, r.addrs = startProcessWith(t, bin, processOptions{env: env, problems: r.problems}, args...)
		rs[i] = r
		t.Cleanup(func() {
			if !r.exited {
				_ = r.cmd.Process.Signal(os.Interrupt)
				_ = r.cmd.Wait()
			}
			if t.Failed() {
				t.Logf("replica %d (pid %d) warnings and errors:\n%s", r.n, r.cmd.Process.Pid, r.problems.String())
			}
		})
		c, err := client.New(r.addrs.grpc, client.WithAPIKey(key), client.WithPlaintext(), client.WithTimeout(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		r.client = c
	}
	return rs
}

// kill ends the replica with SIGKILL, as a machine that dies does: nothing is released.
func (r *replica) kill(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = r.cmd.Wait()
	r.exited = true
}

// newKeyRing is a token encryption key ring of one new key, in INTEGRATIONS_ENCRYPTION_KEYS's
// form (id:base64key): what every replica of a deployment is given, so that each opens the
// tokens any other sealed.
func newKeyRing(t *testing.T) string {
	t.Helper()
	k, err := secrets.NewKey("replicas")
	if err != nil {
		t.Fatal(err)
	}
	return secrets.FormatKeys(k)
}

// deliveryLeaseOwner is the owner of the timeline outbox's delivery lease in the database at
// dsn, "" when no process holds it.
func deliveryLeaseOwner(t *testing.T, dsn string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var owner string
	err = conn.QueryRow(ctx, `SELECT owner FROM leases WHERE name = $1 AND expire_ms > $2`, store.OutboxDeliveryLease, time.Now().UnixMilli()).Scan(&owner)
	if errors.Is(err, pgx.ErrNoRows) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return owner
}

// outboxRows says how many timeline events the database at dsn holds by status, whether in
// doubt (a send with an unknown outcome) and with which last error, and how far ahead the
// next attempt of the queued ones is: what a failure shows of events not delivered.
func outboxRows(t *testing.T, dsn string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err.Error()
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT status, in_doubt_since_ms IS NOT NULL, last_error, COUNT(*), MIN(next_attempt_ms), MAX(next_attempt_ms), MAX(attempts)
		FROM outbox_events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var status, lastErr string
		var doubt bool
		var n, first, last, attempts int64
		if err := rows.Scan(&status, &doubt, &lastErr, &n, &first, &last, &attempts); err != nil {
			return err.Error()
		}
		if status != "QUEUED" {
			out = append(out, fmt.Sprintf("\n  %s %d", status, n))
			continue
		}
		out = append(out, fmt.Sprintf("\n  QUEUED %d, in doubt %v, up to %d attempts, next attempt in %v to %v, last error %q", n, doubt, attempts,
			time.Until(time.UnixMilli(first)).Round(time.Millisecond), time.Until(time.UnixMilli(last)).Round(time.Millisecond), lastErr))
	}
	return strings.Join(out, "")
}

// ownerPID is the process id in a lease owner (host:pid:random, as the outbox names itself).
func ownerPID(owner string) int {
	parts := strings.Split(owner, ":")
	if len(parts) < 3 {
		return 0
	}
	pid, _ := strconv.Atoi(parts[len(parts)-2])
	return pid
}

// holding is the replica whose process holds the lease owner names, nil when none does.
func holding(rs []*replica, owner string) *replica {
	for _, r := range rs {
		if r.cmd.Process.Pid == ownerPID(owner) {
			return r
		}
	}
	return nil
}

// callLoad is the outcome of n calls spread round-robin across replicas by callers.
type callLoad struct {
	failed   int
	firstErr error
}

// spread makes calls 0..n-1 from callers goroutines, call i through replica i mod len(rs),
// and returns once every call was answered.
func spread(rs []*replica, n, callers int, call func(c *client.Client, i int) error) callLoad {
	var next, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := call(rs[i%len(rs)].client, i); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Errorf("call %d through replica %d: %w", i, i%len(rs)+1, err))
				}
			}
		})
	}
	wg.Wait()
	l := callLoad{failed: int(failed.Load())}
	l.firstErr, _ = firstErr.Load().(error)
	return l
}

// upsertContacts is spread for UpsertContact calls of contact i's email on conn: the contact
// ids by i.
func upsertContacts(rs []*replica, conn string, n, callers int) ([]string, callLoad) {
	ids := make([]string, n)
	load := spread(rs, n, callers, func(c *client.Client, i int) error {
		res, err := c.UpsertContact(context.Background(), &integrationsv1.UpsertContactRequest{Connection: conn, Email: replicaEmail(i)})
		ids[i] = res.GetContactId()
		return err
	})
	return ids, load
}

func replicaEmail(i int) string { return fmt.Sprintf("replica%d@example.com", i) }
