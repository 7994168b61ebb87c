package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"os"
	"strings"
	"time"

	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/status/ledger"
	git "github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
)

// gateCommands are the decisions a user commits, by subcommand.
var gateCommands = []struct {
	name, summary, verb string
	kind                ledger.GateKind
}{
	{name: "approve", kind: ledger.GateConfirmRollout, verb: "approved the rollout of",
		summary: "commit a confirm-rollout decision: a waiting canary starts its analysis"},
	{name: "promote", kind: ledger.GateConfirmPromotion, verb: "approved the promotion of",
		summary: "commit a confirm-promotion decision: a canary waiting for promotion is promoted"},
	{name: "abort", kind: ledger.GateAbort, verb: "asked the rollback of",
		summary: "commit an abort decision: a canary under analysis is rolled back"},
}

func init() {
	for _, gc := range gateCommands {
		register(command{name: gc.name, summary: gc.summary, run: func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
			return runGate(ctx, gc.name, gc.kind, gc.verb, args, stdout, stderr)
		}})
	}
}

const gateUsage = `Usage: gitcanary %[1]s NAMESPACE/NAME --repo URL|PATH [--revision R] [--branch B] [--auth-dir DIR]
                 [--note TEXT] [--author "Name <email>"] [--signing-key FILE]

Commits gates/NAMESPACE/NAME/%[2]s.yaml to the status branch and pushes it with your
credentials, never by force (when the branch moved, the decision is committed again on top).
The controller acts on it for the canary's Git gate of that type (a webhook with url "git:")
when the decision names the source commit of the canary's current revision: by default the
sourceCommit the status branch records for the canary; --revision names another (7 to 40 hex
digits). The author is the decider (default: user.name and user.email of your Git config);
with --signing-key (an SSH private key, or an armored OpenPGP key) the commit is signed, and the
controller records the signer when the key is one of its allowed signers.
Exit status: 0 committed, 1 failure, 2 usage error.

`

// gateFlags are the options of `gitcanary approve|promote|abort`.
type gateFlags struct {
	repo, branch, authDir, revision, note, author, signingKey, passphraseFile string
	timeout                                                                   time.Duration
}

func runGate(ctx context.Context, name string, kind ledger.GateKind, verb string, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet(name, fmt.Sprintf(gateUsage, name, kind), stderr)
	var f gateFlags
	fs.StringVar(&f.repo, "repo", "", "repository URL (https, http, ssh, file) or local path")
	fs.StringVar(&f.branch, "branch", ledger.DefaultBranch, "status branch")
	fs.StringVar(&f.authDir, "auth-dir", "", "directory with credential files named like a Flux Git Secret's keys")
	fs.StringVar(&f.revision, "revision", "", "source commit decided on (default: the canary's current one on the status branch)")
	fs.StringVar(&f.note, "note", "", "free text kept with the decision")
	fs.StringVar(&f.author, "author", "", `decider, "Name <email>" (default: from your Git config)`)
	fs.StringVar(&f.signingKey, "signing-key", "", "sign the commit with this SSH private key or armored OpenPGP key")
	fs.StringVar(&f.passphraseFile, "signing-passphrase-file", "", "file holding the passphrase of an encrypted --signing-key")
	fs.DurationVar(&f.timeout, "timeout", gitsource.DefaultTimeout, "timeout of each network call")
	positional, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	d, problem := gateArgs(positional, f, kind)
	if problem != "" {
		fmt.Fprintf(stderr, "gitcanary %s: %s\n", name, problem)
		fs.Usage()
		return exitUsage
	}
	commit, gf, err := commitGate(ctx, d, f)
	if err != nil {
		fmt.Fprintf(stderr, "gitcanary %s: %v\n", name, err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "%s %s/%s revision %s: %s committed to %s as %s\n", verb, d.Namespace, d.Name, gf.Revision,
		ledger.GatePath(d.Namespace, d.Name, kind), f.branch, gitsource.ShortSHA(commit))
	return exitOK
}

// gateArgs checks flags and the NAMESPACE/NAME argument.
func gateArgs(positional []string, f gateFlags, kind ledger.GateKind) (ledger.Decision, string) {
	if f.repo == "" {
		return ledger.Decision{}, "--repo is required"
	}
	if len(positional) != 1 {
		return ledger.Decision{}, "want exactly one NAMESPACE/NAME"
	}
	ns, name, ok := strings.Cut(positional[0], "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return ledger.Decision{}, fmt.Sprintf("%q is not NAMESPACE/NAME", positional[0])
	}
	return ledger.Decision{Namespace: ns, Name: name, Kind: kind, Revision: strings.ToLower(f.revision), Note: f.note}, ""
}

// commitGate reads credentials, author and signing key, and commits the decision.
func commitGate(ctx context.Context, d ledger.Decision, f gateFlags) (string, ledger.GateFile, error) {
	auth, err := readAuthDir(f.authDir)
	if err != nil {
		return "", ledger.GateFile{}, err
	}
	author, err := gateAuthor(f.author)
	if err != nil {
		return "", ledger.GateFile{}, err
	}
	opts := ledger.DecisionOptions{Branch: f.branch, Author: author}
	if f.signingKey != "" {
		if opts.Signer, err = readSigningKey(f.signingKey, f.passphraseFile); err != nil {
			return "", ledger.GateFile{}, err
		}
	}
	return ledger.CommitDecision(ctx, gitsource.Remote{URL: f.repo, Auth: auth, Timeout: f.timeout}, d, opts)
}

// gateAuthor parses --author, or reads user.name and user.email from the Git configuration.
func gateAuthor(flagValue string) (ledger.Signature, error) {
	if flagValue != "" {
		a, err := mail.ParseAddress(flagValue)
		if err != nil {
			return ledger.Signature{}, fmt.Errorf("--author %q: want \"Name <email>\": %w", flagValue, err)
		}
		return ledger.Signature{Name: a.Name, Email: a.Address}, nil
	}
	cfg, err := gitconfig.LoadConfig(gitconfig.GlobalScope)
	if err != nil || cfg.User.Email == "" {
		return ledger.Signature{}, fmt.Errorf("no --author and no user.email in your Git config: say who decides")
	}
	name := cfg.User.Name
	if name == "" {
		name = cfg.User.Email
	}
	return ledger.Signature{Name: name, Email: cfg.User.Email}, nil
}

// readSigningKey reads an SSH private key or an armored OpenPGP key from a file.
func readSigningKey(path, passphraseFile string) (git.Signer, error) {
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read --signing-key: %w", err)
	}
	data := map[string][]byte{ledger.SecretKeySSH: key}
	if strings.Contains(string(key), "-----BEGIN PGP PRIVATE KEY BLOCK-----") {
		data = map[string][]byte{ledger.SecretKeyOpenPGP: key}
	}
	if passphraseFile != "" {
		p, err := os.ReadFile(passphraseFile)
		if err != nil {
			return nil, fmt.Errorf("read --signing-passphrase-file: %w", err)
		}
		data[ledger.SecretKeyPassphrase] = []byte(strings.TrimRight(string(p), "\n"))
	}
	s, err := ledger.NewSigner(data)
	if err != nil {
		return nil, fmt.Errorf("--signing-key %s: %w", path, err)
	}
	return s, nil
}
