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
	dir      string
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

// startServerProcess runs bin against hubspotURL with extra flags and an API key of
// workspace "bench".
func startServerProcess(ctx context.Context, bin, hubspotURL string, extra ...string) (*serverProcess, error) {
	dir, err := os.MkdirTemp("", "bench-server")
	if err != nil {
		return nil, err
	}
	db := filepath.Join(dir, "bench.db")
	keyOut, err := exec.CommandContext(ctx, bin, "apikey", "create", "--workspace", "bench", "--db", db).Output()
	if err != nil {
		return nil, fmt.Errorf("apikey create: %w", err)
	}
	args := append([]string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--db", db, "--log-format", "json",
		"--hubspot-base-url", hubspotURL, "--drain-delay", "0"}, extra...) // no load balancer to wait for
	cmd := exec.CommandContext(ctx, bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &serverProcess{cmd: cmd, key: strings.TrimSpace(string(keyOut)), dir: dir}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
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
		io.Copy(io.Discard, stderr)
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
