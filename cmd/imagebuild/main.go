package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a subcommand and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: imagebuild build|push [flags] (-h for the flags)")
		return 2
	}
	var err error
	switch args[0] {
	case "build":
		var opts buildOptions
		if opts, err = parseBuildFlags(args[1:], stderr); err == nil {
			err = runBuild(ctx, opts, stdout)
		}
	case "push":
		var opts pushOptions
		if opts, err = parsePushFlags(args[1:], stderr); err == nil {
			err = runPush(ctx, opts, stdout)
		}
	default:
		err = fmt.Errorf("unknown subcommand %q (build or push)", args[0])
	}
	if err != nil {
		fmt.Fprintf(stderr, "imagebuild: %v\n", err)
		return 1
	}
	return 0
}
