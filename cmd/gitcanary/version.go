package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
)

// version is stamped at build time with -ldflags "-X main.version=v1.2.3"; without it the module
// version (or "devel") is printed.
var version = ""

// revision is the source commit, stamped by the image build (-X main.revision=<sha>).
var revision = ""

func init() {
	register(command{name: "version", summary: "print the version", run: runVersion})
}

func runVersion(_ context.Context, _ []string, stdout, _ io.Writer) int {
	if revision != "" {
		fmt.Fprintf(stdout, "gitcanary %s (revision %s)\n", buildVersion(), revision)
		return exitOK
	}
	fmt.Fprintf(stdout, "gitcanary %s\n", buildVersion())
	return exitOK
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "devel"
}
