package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/status/ledger"
	"go.yaml.in/yaml/v3"
)

func init() {
	register(command{name: "status", summary: "print the canaries (or overlays) recorded on the status branch, or one canary's history", run: runStatus})
}

const statusUsage = `Usage: gitcanary status --repo URL|PATH [--branch B] [-o table|yaml] [--auth-dir DIR]
       gitcanary status history NAMESPACE/NAME --repo URL|PATH [--branch B] [-o table|yaml] [--auth-dir DIR]
       gitcanary status overlays --repo URL|PATH [--branch B] [-o table|yaml] [--auth-dir DIR]
       gitcanary status serve --repo URL|PATH [--listen ADDR] [--refresh D] [--branch B] [--auth-dir DIR]

Reads the status ledger that the controller commits to the status branch and prints one row per
canary (the columns of 'kubectl get canaries' plus the source commit), or with 'history' the
ledger commits that recorded one canary, newest first, followed by the failed check each of
them recorded (the metric's value and threshold, its query and metrics server), or with
'overlays' one row per overlay of the sync loop (the commit applied, Applied, Failed with the
reason or Drift corrected, the objects applied and pruned, health, time), or with 'serve'
serves the status page (canaries, timelines of weight and metrics, checks, events, gates) on
ADDR until interrupted, reading the branch again at most every --refresh. PATH is a local clone
(bare or not); the branch is read from the local branch or from origin's remote-tracking branch.
Exit status: 0 ok, 1 failure (unreachable, no such branch, ...), 2 usage error.

`

// statusFlags are the options of `gitcanary status`.
type statusFlags struct {
	repo, branch, output, authDir, listen string
	timeout, refresh                      time.Duration
}

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("status", statusUsage, stderr)
	var f statusFlags
	fs.StringVar(&f.repo, "repo", "", "repository URL (https, http, ssh, file) or local path")
	fs.StringVar(&f.branch, "branch", ledger.DefaultBranch, "status branch")
	fs.StringVar(&f.output, "o", "table", "output format: table or yaml")
	fs.StringVar(&f.authDir, "auth-dir", "", "directory with credential files named like a Flux Git Secret's keys\n"+
		"(username, password, bearerToken, identity, known_hosts, ca.crt), such as a mounted Secret")
	fs.DurationVar(&f.timeout, "timeout", gitsource.DefaultTimeout, "timeout of each network call")
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8081", "serve: address of the status page")
	fs.DurationVar(&f.refresh, "refresh", 10*time.Second, "serve: how often the page reloads and the branch is read again")
	positional, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if len(positional) > 0 && positional[0] == "serve" {
		return runStatusServe(ctx, positional[1:], f, stdout, stderr)
	}
	if len(positional) > 0 && positional[0] == "overlays" {
		return runStatusOverlays(ctx, positional[1:], f, stdout, stderr)
	}
	key, usageErr := statusArgs(positional, f)
	if usageErr != "" {
		fmt.Fprintf(stderr, "gitcanary status: %s\n", usageErr)
		fs.Usage()
		return exitUsage
	}
	snap, err := openLedger(ctx, f, key != "")
	if err != nil {
		fmt.Fprintf(stderr, "gitcanary status: %v\n", err)
		return exitFailure
	}
	if key != "" {
		err = printHistory(stdout, snap, key, f.output)
	} else {
		err = printStatuses(stdout, stderr, snap, f)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gitcanary status: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// statusArgs checks flags and positional arguments; it returns the canary key for history and a
// usage problem, if any.
func statusArgs(positional []string, f statusFlags) (key, problem string) {
	switch {
	case f.repo == "":
		return "", "--repo is required"
	case f.output != "table" && f.output != "yaml":
		return "", fmt.Sprintf("unknown output format %q (table or yaml)", f.output)
	case len(positional) == 0:
		return "", ""
	case positional[0] != "history":
		return "", fmt.Sprintf("unexpected argument %q", positional[0])
	case len(positional) != 2:
		return "", "history needs exactly one NAMESPACE/NAME"
	}
	ns, name, ok := strings.Cut(positional[1], "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return "", fmt.Sprintf("%q is not NAMESPACE/NAME", positional[1])
	}
	return positional[1], ""
}

// openLedger reads a local clone directly, or fetches the branch from a URL (with its history
// when asked).
func openLedger(ctx context.Context, f statusFlags, history bool) (*ledger.Snapshot, error) {
	if info, err := os.Stat(f.repo); err == nil && info.IsDir() {
		return ledger.OpenLocal(f.repo, f.branch)
	}
	auth, err := readAuthDir(f.authDir)
	if err != nil {
		return nil, err
	}
	return ledger.OpenRemote(ctx, gitsource.Remote{URL: f.repo, Auth: auth, Timeout: f.timeout}, f.branch, history)
}

// readAuthDir reads the credential files of dir, by Flux's Secret key names.
func readAuthDir(dir string) (gitsource.Auth, error) {
	if dir == "" {
		return gitsource.Auth{}, nil
	}
	data := map[string][]byte{}
	for _, k := range []string{gitsource.SecretUsername, gitsource.SecretPassword, gitsource.SecretBearerToken,
		gitsource.SecretIdentity, gitsource.SecretIdentityPub, gitsource.SecretKnownHosts, gitsource.SecretCA} {
		b, err := os.ReadFile(filepath.Join(dir, k))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return gitsource.Auth{}, fmt.Errorf("read credentials: %w", err)
		}
		data[k] = []byte(strings.TrimRight(string(b), "\n"))
		if k == gitsource.SecretIdentity || k == gitsource.SecretKnownHosts {
			data[k] = b
		}
	}
	return gitsource.AuthFromSecretData(data)
}

func printStatuses(stdout, stderr io.Writer, snap *ledger.Snapshot, f statusFlags) error {
	if f.output == "yaml" {
		sts, err := snap.Statuses()
		if err != nil {
			return err
		}
		return writeYAML(stdout, sts)
	}
	rows, err := snap.Rows()
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintf(stderr, "No canaries recorded on %s.\n", f.branch)
		return nil
	}
	return ledger.WriteTable(stdout, rows)
}

func printHistory(w io.Writer, snap *ledger.Snapshot, key, output string) error {
	entries, err := snap.History(key)
	if err != nil {
		return err
	}
	if output == "yaml" {
		return writeYAML(w, entries)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "COMMIT\tTIME\tPHASE\tSOURCE\tSUMMARY")
	for _, e := range entries {
		src := e.SourceCommit
		if len(src) > 7 {
			src = src[:7]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Commit[:7], e.Time.UTC().Format(time.RFC3339), e.Phase, src, e.Summary)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return printFailedChecks(w, entries)
}

// printFailedChecks lists, under the history table, the failed check each commit recorded:
// the metric's value against its threshold (or the webhook's answer), its query and server.
func printFailedChecks(w io.Writer, entries []ledger.Entry) error {
	var b strings.Builder
	for _, e := range entries {
		if e.FailedCheck == "" {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("\nFailed checks:\n")
		}
		fmt.Fprintf(&b, "  %s  %s\n", e.Commit[:7], e.FailedCheck)
		if e.CheckQuery != "" {
			fmt.Fprintf(&b, "           query: %s\n", e.CheckQuery)
		}
		if e.MetricsServer != "" {
			fmt.Fprintf(&b, "           metrics server: %s\n", e.MetricsServer)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeYAML(w io.Writer, v any) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return enc.Close()
}

// runStatusOverlays prints the overlays recorded on the status branch.
func runStatusOverlays(ctx context.Context, args []string, f statusFlags, stdout, stderr io.Writer) int {
	_, problem := statusArgs(nil, f)
	if problem == "" && len(args) > 0 {
		problem = fmt.Sprintf("unexpected argument %q", args[0])
	}
	if problem != "" {
		fmt.Fprintf(stderr, "gitcanary status overlays: %s\n", problem)
		return exitUsage
	}
	snap, err := openLedger(ctx, f, false)
	if err == nil {
		err = printOverlays(stdout, stderr, snap, f)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gitcanary status overlays: %v\n", err)
		return exitFailure
	}
	return exitOK
}

func printOverlays(stdout, stderr io.Writer, snap *ledger.Snapshot, f statusFlags) error {
	overlays, err := snap.Overlays()
	if err != nil {
		return err
	}
	if f.output == "yaml" {
		return writeYAML(stdout, overlays)
	}
	if len(overlays) == 0 {
		fmt.Fprintf(stderr, "No overlays recorded on %s.\n", f.branch)
		return nil
	}
	return ledger.WriteOverlayTable(stdout, overlays)
}
