// Command demo runs the seed walkthrough (Flagger's Crossover tutorial, adapted to gitcanary)
// on the local environment of package env: a real control plane with kwok nodes, Prometheus,
// the mesh simulator and the load tester, with the in-process Git server as the source and the
// real gitcanary controller syncing it.
//
// It pushes podinfo 6.0.0 with its Canary, then 6.0.1 (promoted), then a version that answers
// 30 % of its requests with HTTP 500 (rolled back), streaming the canary's events as the seed
// shows them, and prints `kubectl get canaries` and the status branch's log. Run it with
// `make demo`; KEEP=1 leaves everything running and prints how to reach it; INTERVAL sets the
// analysis interval (default 3s; the seed's is 1m).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d := &demo{out: os.Stdout, keep: os.Getenv("KEEP") == "1", interval: envOr("INTERVAL", "3s")}
	err := d.run(ctx)
	d.teardown(ctx, err)
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo failed: %v\n", err)
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// repoRoot finds the gitcanary module from the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "manifests", "examples", "podinfo")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the demo from inside the gitcanary repository (make demo)")
		}
		dir = parent
	}
}

func (d *demo) step(format string, args ...any) {
	fmt.Fprintf(d.out, "\n==> "+format+"\n", args...)
}

func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.out, "    "+format+"\n", args...)
}

// waitUntil polls cond every 500ms until it holds or timeout passes.
func waitUntil(ctx context.Context, timeout time.Duration, what string, cond func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		ok, err := cond(ctx)
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("waited %v for %s: %w", timeout, what, last)
			}
			return fmt.Errorf("waited %v for %s", timeout, what)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
