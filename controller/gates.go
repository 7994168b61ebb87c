package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/go-logr/logr"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/engine/webhook"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/gitsync"
	"github.com/gitcanary/gitcanary/status/ledger"
)

// Keys of the allowed signers Secret (the controller's -allowed-signers-secret).
const (
	// allowedSignersKey holds SSH keys in Git's gpg.ssh.allowedSignersFile format.
	allowedSignersKey = "allowed_signers"
	// openPGPKeySuffix ends each key holding ASCII-armored OpenPGP public keys (alice.asc), as
	// in Flux's verification Secrets.
	openPGPKeySuffix = ".asc"
)

// newGates returns the reader of the decisions committed to the status branch, or nil when the
// ledger is disabled (Git gates then stay closed).
func newGates(ctx context.Context, cl *clients, remote gitsource.Remote, opts Options, log logr.Logger) (*ledger.Gates, error) {
	lo := opts.Ledger
	if lo.Disabled {
		return nil, nil
	}
	gopts := ledger.GatesOptions{Branch: lo.Branch, Interval: lo.GatesInterval, Log: log.WithName("gates")}
	if lo.AllowedSignersSecret != "" {
		data, err := cl.secretData(ctx, lo.AllowedSignersSecret)
		if err != nil {
			return nil, err
		}
		if gopts.AllowedSigners, err = allowedSigners(lo.AllowedSignersSecret, data); err != nil {
			return nil, err
		}
	}
	return ledger.NewGates(remote, gopts)
}

// allowedSigners reads the allowed signers Secret ref's data: the SSH keys of allowed_signers and
// the OpenPGP public keys of every key ending in .asc. It must hold at least one of them; a key
// that does not parse is an error naming the Secret and the key.
func allowedSigners(ref string, data map[string][]byte) (*ledger.AllowedSigners, error) {
	a := &ledger.AllowedSigners{}
	if b, ok := data[allowedSignersKey]; ok {
		var err error
		if a, err = ledger.ParseAllowedSigners(b); err != nil {
			return nil, fmt.Errorf("allowed signers Secret %s, key %s: %w", ref, allowedSignersKey, err)
		}
	}
	var asc []string
	for k := range data {
		if strings.HasSuffix(k, openPGPKeySuffix) {
			asc = append(asc, k)
		}
	}
	slices.Sort(asc) // the first error is the same on every start
	for _, k := range asc {
		if err := a.AddOpenPGPKeys(data[k]); err != nil {
			return nil, fmt.Errorf("allowed signers Secret %s, key %s: %w", ref, k, err)
		}
	}
	if _, ok := data[allowedSignersKey]; !ok && len(asc) == 0 {
		return nil, fmt.Errorf("allowed signers Secret %s has neither key %s (SSH) nor a key ending in %s (OpenPGP)",
			ref, allowedSignersKey, openPGPKeySuffix)
	}
	return a, nil
}

// gatekeeper answers the Git gates of the engine's webhook calls from the decisions read by
// gates: a decision opens a gate for the revision of the source commit it names, the event
// naming the decider goes through rec, and the decision is handed to the ledger to be recorded
// (with its decider) and removed. A closed gate says what it waits for in an event; the status
// branch names the revision waited for because the engine journals a Waiting canary again when
// its source commit moves (`gitcanary approve` reads it there). Without gates it is nil: Git
// gates stay closed.
func gatekeeper(gates *ledger.Gates, led *ledger.Ledger, sources *gitsync.Loop, rec func() engine.Recorder) (webhook.Gates, error) {
	if gates == nil || led == nil {
		return nil, nil
	}
	return ledger.NewGatekeeper(ledger.GatekeeperOptions{
		Lookup:       gates.Lookup,
		SourceCommit: sources.SourceCommit,
		Consume:      led.ConsumeGate,
		Event: func(ctx context.Context, c *v1beta1.Canary, eventType, message string) {
			rec().Event(ctx, c, eventType, message)
		},
		Waiting: func(ctx context.Context, c *v1beta1.Canary, _ ledger.GateKind, _, why string) {
			rec().Event(ctx, c, "Normal", "Git gate: "+why)
		},
	})
}

// RefreshGates makes the controller read the decisions on the status branch now instead of at
// its next poll; a push notification of the status branch calls it.
func (c *Controller) RefreshGates() {
	if c.git.gates != nil {
		c.git.gates.Trigger()
	}
}
