// Command bench runs gitcanary's benchmarks that need the local environment of package env: a
// real kube-apiserver with kwok nodes, Prometheus, the in-process Git server over TCP, and the
// real gitcanary controller binary as a child process. It is a program, not a test: each
// subcommand measures and prints a Markdown table with the command line, the machine and the
// date, for docs/performance.md. Nothing is asserted; the targets are printed beside the
// figures.
//
//	go run ./e2e/bench scale -n 1000        (make bench-scale N=1000)
//
// Subcommands:
//
//	scale   a fleet of N podinfo-like overlays, one namespace each: apply, initialization,
//	        idle cost (RSS, CPU, API requests), then a new image for every canary: tick lag,
//	        promotions and the status ledger (scale.go)
//	push    push → "New revision detected" p50/p99, with the push receiver notified as GitHub
//	        does and with polling only (push.go)
//
// A subcommand is a function in the commands table below; another benchmark (say, push
// latency) adds its own file and a row there, reusing fleet.go, metrics.go and controllog.go.
// Only one environment may run on a shared machine at a time: wrap runs in
// `flock /tmp/gitcanary-e2e.lock`.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

// command is one benchmark.
type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

var commands = map[string]command{
	"scale": {summary: "N canaries: apply, initialization, idle cost, promotion of a new image, ledger", run: runScale},
	"push":  {summary: "push → \"New revision detected\" with the push receiver and with polling only", run: runPush},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "bench: unknown benchmark %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err := cmd.run(ctx, os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "bench %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString("usage: bench <benchmark> [flags]   (bench <benchmark> -h lists its flags)\n\nbenchmarks:\n")
	for _, name := range names {
		fmt.Fprintf(&b, "  %-8s %s\n", name, commands[name].summary)
	}
	fmt.Fprint(os.Stderr, b.String())
}
