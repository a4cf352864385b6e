package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// serverProcess is the service running as its own process, so that its memory can be read.
type serverProcess struct {
	cmd      *exec.Cmd
	grpcAddr string
	httpAddr string
	key      string
	dir      string // removed at stop; "" when the process keeps nothing of its own
}

// serverData is where server processes keep their data: a database (a SQLite file or a
// postgres:// URL), the key file of the token encryption keys ("" for the server's default),
// and an API key of workspace "bench" stored in that database. Replicas share one, as a fleet
// shares its database and key ring.
type serverData struct {
	db, keyFile, key string
}

// newServerData creates an API key of workspace "bench" in db, migrating db first if needed.
func newServerData(ctx context.Context, bin, db, keyFile string) (serverData, error) {
	keyOut, err := exec.CommandContext(ctx, bin, "apikey", "create", "--workspace", "bench", "--db", db).Output()
	if err != nil {
		return serverData{}, fmt.Errorf("apikey create: %w", err)
	}
	return serverData{db: db, keyFile: keyFile, key: strings.TrimSpace(string(keyOut))}, nil
}

// buildServer compiles the service once per bench run.
func buildServer(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "server")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./server").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./server (run the bench from the repository root): %w\n%s", err, out)
	}
	return bin, nil
}

// startServerProcess runs bin against hubspotURL with extra flags, on a SQLite file of its
// own, with an API key of workspace "bench".
func startServerProcess(ctx context.Context, bin, hubspotURL string, extra ...string) (*serverProcess, error) {
	dir, err := os.MkdirTemp("", "bench-server")
	if err != nil {
		return nil, err
	}
	data, err := newServerData(ctx, bin, filepath.Join(dir, "bench.db"), "")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	p, err := startServerOn(ctx, bin, hubspotURL, data, extra...)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	p.dir = dir
	return p, nil
}

// startReplicas runs n server processes on one PostgreSQL database (db, a postgres:// URL)
// with one key file and one API key, each on loopback ports of its own, as replicas behind a
// load balancer run; stop stops them all and removes the key file.
func startReplicas(ctx context.Context, bin, hubspotURL, db string, n int, extra ...string) (replicas []*serverProcess, stop func(), err error) {
	dir, err := os.MkdirTemp("", "bench-replicas")
	if err != nil {
		return nil, nil, err
	}
	stop = func() {
		for _, p := range replicas {
			p.stop()
		}
		os.RemoveAll(dir)
	}
	data, err := newServerData(ctx, bin, db, filepath.Join(dir, "encryption.keys"))
	if err != nil {
		stop()
		return nil, nil, err
	}
	for range n {
		p, err := startServerOn(ctx, bin, hubspotURL, data, extra...)
		if err != nil {
			stop()
			return nil, nil, err
		}
		replicas = append(replicas, p)
	}
	return replicas, stop, nil
}

// serverLogEnv names a file the bench appends every server process's log to (JSON lines),
// for finding out what a server did during a figure; unset, the logs are discarded.
const serverLogEnv = "BENCH_SERVER_LOG"

// startServerOn runs bin against hubspotURL with extra flags, on data.
func startServerOn(ctx context.Context, bin, hubspotURL string, data serverData, extra ...string) (*serverProcess, error) {
	args := []string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--db", data.db, "--log-format", "json",
		"--hubspot-base-url", hubspotURL, "--drain-delay", "0"} // no load balancer to wait for
	if data.keyFile != "" {
		args = append(args, "--key-file", data.keyFile)
	}
	args = append(args, extra...)
	cmd := exec.CommandContext(ctx, bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &serverProcess{cmd: cmd, key: data.key}
	ready := make(chan struct{})
	var logs io.Reader = stderr
	closeLog := func() {}
	if path := os.Getenv(serverLogEnv); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, fmt.Errorf("%s: %w", serverLogEnv, err)
		}
		logs, closeLog = io.TeeReader(stderr, f), func() { f.Close() }
	}
	go func() {
		sc := bufio.NewScanner(logs)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		signalled := false
		for sc.Scan() {
			if signalled {
				continue // one log line per RPC: decoding each would load the bench's CPU
			}
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "serving" {
				p.grpcAddr, _ = line["grpc_addr"].(string)
				p.httpAddr, _ = line["http_addr"].(string)
				signalled = true
				close(ready)
			}
		}
		io.Copy(io.Discard, logs)
		closeLog()
	}()
	select {
	case <-ready:
		return p, nil
	case <-time.After(30 * time.Second):
		p.stop()
		return nil, fmt.Errorf("the server did not start within 30 s")
	}
}

// peakRSS is the process's peak resident memory (VmHWM), in MiB.
func (p *serverProcess) peakRSS() float64 { return p.statusMiB("VmHWM:") }

// rss is the process's resident memory now (VmRSS), in MiB.
func (p *serverProcess) rss() float64 { return p.statusMiB("VmRSS:") }

// statusMiB reads a memory line of /proc/<pid>/status (given in kB), in MiB; 0 if unreadable.
func (p *serverProcess) statusMiB(key string) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, key) {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, key)), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}

// clockTick is the unit of utime and stime in /proc/<pid>/stat: USER_HZ, 100 on every Linux
// architecture Go runs on, so one reading is good to 10 ms; average over many calls.
const clockTick = 10 * time.Millisecond

// cpuTime is the CPU time the process has used so far, user and system, all threads.
func (p *serverProcess) cpuTime() (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces: count from after it.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+1:])
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", p.cmd.Process.Pid)
	}
	var utime, stime int64
	if _, err := fmt.Sscan(f[11]+" "+f[12], &utime, &stime); err != nil { // fields 14 and 15
		return 0, fmt.Errorf("/proc/%d/stat: %w", p.cmd.Process.Pid, err)
	}
	return time.Duration(utime+stime) * clockTick, nil
}

func (p *serverProcess) stop() {
	if p.cmd.Process != nil {
		p.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			p.cmd.Process.Kill()
		}
	}
	os.RemoveAll(p.dir)
}
