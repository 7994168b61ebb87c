//go:build e2e

package env_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/e2e/loadtester"
)

// killChildEnv makes the test binary a child that starts an environment, records the pids
// of everything it started into the named file and waits to be killed.
const killChildEnv = "GITCANARY_E2E_KILL_CHILD"

// runKillChild is the child's whole life: start an environment, start a load tester command
// that would run for five minutes, write the pids, block.
func runKillChild(pidFile string) int {
	ctx := context.Background()
	e, err := env.Start(ctx, env.Options{Log: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cmdPid := filepath.Join(filepath.Dir(pidFile), "cmd.pid")
	body, _ := json.Marshal(loadtester.Payload{Name: "podinfo", Namespace: "test", Metadata: map[string]string{
		"cmd": "echo $$ > " + cmdPid + ".tmp && mv " + cmdPid + ".tmp " + cmdPid + " && exec sleep 300",
	}})
	resp, err := http.Post(e.LoadTesterURL, "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		fmt.Fprintln(os.Stderr, "start load tester command:", err, resp)
		return 1
	}
	_ = resp.Body.Close()
	var pids []string
	for _, p := range e.Processes() {
		pids = append(pids, strconv.Itoa(p.PID()))
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(30 * time.Second); ; {
		data, err := os.ReadFile(cmdPid)
		if err == nil {
			pids = append(pids, strings.TrimSpace(string(data)))
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "load tester command did not start")
			return 1
		}
		<-tick.C
	}
	if err := os.WriteFile(pidFile+".tmp", []byte(strings.Join(pids, "\n")), 0o600); err != nil {
		return 1
	}
	if err := os.Rename(pidFile+".tmp", pidFile); err != nil {
		return 1
	}
	select {} // killed by the parent
}

// Given a test binary that started an environment (six processes and a load tester command),
// when the binary is SIGKILLed mid-way — no Stop, no deferred cleanup — then no process it
// started is left: each had its own process group and a parent-death signal.
func TestKilledEnvironmentLeavesNoProcess(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pids")
	logPath := filepath.Join(dir, "child.log")
	log, err := os.Create(logPath)
	require.NoError(t, err)
	defer func() { _ = log.Close() }()

	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), killChildEnv+"="+pidFile)
	child.Stdout, child.Stderr = log, log
	require.NoError(t, child.Start())
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	defer func() {
		if t.Failed() {
			data, _ := os.ReadFile(logPath)
			t.Logf("child output:\n%s", data)
		}
	}()

	var pids []int
	waitUntil(t, 2*time.Minute, "child environment up", exited, func() error {
		data, err := os.ReadFile(pidFile)
		if err != nil {
			return err
		}
		pids = nil
		for _, f := range strings.Fields(string(data)) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				return err
			}
			pids = append(pids, pid)
		}
		return nil
	})
	require.Len(t, pids, 7, "etcd, kube-apiserver, prometheus, kube-controller-manager, kube-scheduler, kwok, sleep")
	for _, pid := range pids {
		require.True(t, alive(pid), "pid %d should run before the kill", pid)
	}

	require.NoError(t, child.Process.Signal(syscall.SIGKILL))
	<-exited
	waitUntil(t, 30*time.Second, "every process of the killed environment gone", nil, func() error {
		var left []string
		for _, pid := range pids {
			if alive(pid) {
				left = append(left, strconv.Itoa(pid))
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("still running: %s", strings.Join(left, ", "))
		}
		return nil
	})
}

// alive reports whether pid runs (a zombie waiting to be reaped does not count).
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	i := bytes.LastIndexByte(data, ')')
	return i >= 0 && i+2 < len(data) && data[i+2] != 'Z' && data[i+2] != 'X'
}

// waitUntil polls check until it succeeds, failing the test after timeout or when the child
// exits early.
func waitUntil(t *testing.T, timeout time.Duration, what string, exited <-chan error, check func() error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("wait for %s: %v", what, errors.Join(ctx.Err(), err))
		case err := <-exited:
			t.Fatalf("wait for %s: child exited: %v", what, err)
		case <-tick.C:
		}
	}
}
