package controller

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-logr/logr"
	"k8s.io/client-go/tools/cache"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/gitsync"
	"github.com/gitcanary/gitcanary/gitsync/revert"
	"github.com/gitcanary/gitcanary/render"
	"github.com/gitcanary/gitcanary/status/ledger"
)

// RevertAnnotation on a Canary overrides the controller's revert mode (Options.Revert):
// "commit" or "true" pushes the revert to the source branch, "branch" pushes a branch for a pull
// request, "off" or "false" never reverts.
const RevertAnnotation = "gitcanary.io/revert-on-rollback"

// Revert modes (Options.Revert and RevertAnnotation).
const (
	RevertOff    = "off"
	RevertCommit = "commit"
	RevertBranch = "branch"
)

// revertTimeout bounds one revert: fetches, renders and the push.
const revertTimeout = 5 * time.Minute

// reverter makes Git converge on rollbacks: when a canary's analysis fails, it pushes the commit
// that makes its overlay render the promoted revision again (gitsync/revert), one canary at a
// time, and notes in the ledger what it did or why it did not.
type reverter struct {
	remote   gitsource.Remote
	opts     Options
	signer   git.Signer
	ledger   *ledger.Ledger
	sources  *gitsync.Loop
	canaries cache.Store
	log      logr.Logger
	queue    chan ledger.Transition

	mu     sync.Mutex
	phases map[string]string // last phase seen per canary
}

func newReverter(remote gitsource.Remote, opts Options, signer git.Signer, led *ledger.Ledger, sources *gitsync.Loop,
	canaries cache.Store, log logr.Logger) *reverter {
	return &reverter{remote: remote, opts: opts, signer: signer, ledger: led, sources: sources, canaries: canaries,
		log: log.WithName("revert"), queue: make(chan ledger.Transition, 100), phases: map[string]string{}}
}

// observe queues a revert for a transition into Failed made by a tick (the transitions the
// ledger recovers at start do not come here: a rollback recorded before a restart is not
// reverted after it).
func (r *reverter) observe(t ledger.Transition) {
	key := t.Namespace + "/" + t.Name
	r.mu.Lock()
	prev := r.phases[key]
	r.phases[key] = t.Phase
	r.mu.Unlock()
	if t.Phase != string(v1beta1.CanaryPhaseFailed) || prev == t.Phase {
		return
	}
	select {
	case r.queue <- t:
	default:
		r.log.Error(errors.New("revert queue full"), "rollback not reverted in Git", "canary", key)
	}
}

// run reverts queued failures until ctx ends.
func (r *reverter) run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case t := <-r.queue:
			r.revert(ctx, t)
		}
	}
}

// revert pushes the revert of one failure, when its canary opted in, and notes the outcome.
func (r *reverter) revert(ctx context.Context, t ledger.Transition) {
	key := t.Namespace + "/" + t.Name
	mode, err := r.mode(key)
	if err != nil || mode == RevertOff {
		if err != nil {
			r.note(t, "not reverted: "+err.Error(), ledger.KeyValue{Key: "Revert-Refused", Value: err.Error()})
		}
		return
	}
	ctx, cancel := context.WithTimeout(ctx, revertTimeout)
	defer cancel()
	res, err := r.push(ctx, t, mode)
	switch {
	case errors.Is(err, revert.ErrNothingToRevert):
		return
	case err != nil:
		r.log.Info("rollback not reverted in Git", "canary", key, "reason", err.Error())
		r.note(t, "not reverted: "+err.Error(), ledger.KeyValue{Key: "Revert-Refused", Value: err.Error()})
	case mode == RevertBranch:
		r.log.Info("revert pushed for a pull request", "canary", key, "branch", res.Branch, "commit", res.Commit)
		r.note(t, fmt.Sprintf("revert pushed to %s in %s for a pull request", res.Branch, gitsource.ShortSHA(res.Commit)),
			ledger.KeyValue{Key: "Revert-Commit", Value: res.Commit}, ledger.KeyValue{Key: "Revert-Branch", Value: res.Branch})
	default:
		r.log.Info("rollback reverted in Git", "canary", key, "branch", res.Branch, "commit", res.Commit)
		r.note(t, fmt.Sprintf("reverted %s to the promoted revision in %s", res.Branch, gitsource.ShortSHA(res.Commit)),
			ledger.KeyValue{Key: "Revert-Commit", Value: res.Commit}, ledger.KeyValue{Key: "Revert-Branch", Value: res.Branch})
	}
}

// push finds the failed and promoted commits and the overlay, and pushes the revert.
func (r *reverter) push(ctx context.Context, t ledger.Transition, mode string) (revert.Result, error) {
	key := t.Namespace + "/" + t.Name
	if r.opts.Ref.Branch == "" {
		return revert.Result{}, errors.New("the controller syncs a tag or a commit, not a branch")
	}
	overlay, ok := r.sources.Overlay(t.Namespace, t.Name)
	if !ok {
		return revert.Result{}, errors.New("the sync loop has not applied this canary's overlay yet")
	}
	obj, found, err := r.canaries.GetByKey(key)
	if err != nil || !found {
		return revert.Result{}, fmt.Errorf("canary %s not found", key)
	}
	target := obj.(*v1beta1.Canary).Spec.TargetRef.Name
	if err := r.ledger.Flush(ctx); err != nil { // the Failed commit is on the branch
		return revert.Result{}, err
	}
	snap, err := ledger.OpenRemote(ctx, r.remote, r.opts.Ledger.Branch, true)
	if err != nil {
		return revert.Result{}, err
	}
	rb, ok, err := snap.LastRollback(key)
	if err != nil {
		return revert.Result{}, err
	}
	if !ok {
		return revert.Result{}, errors.New("the status branch names no promoted revision")
	}
	if rb.Failed == "" {
		rb.Failed = t.SourceCommit
	}
	if rb.Promoted == rb.Failed {
		return revert.Result{}, revert.ErrNothingToRevert
	}
	dir := filepath.Join(r.opts.CacheDir, "revert", t.Namespace+"-"+t.Name)
	defer os.RemoveAll(dir)
	a := r.opts.Ledger.Author
	return revert.Push(ctx, r.remote, revert.Failure{Namespace: t.Namespace, Canary: t.Name, Target: target, Overlay: overlay,
		FailedCommit: rb.Failed, PromotedCommit: rb.Promoted, Reason: failureReason(t), LedgerCommit: rb.LedgerCommit},
		revert.PushOptions{Branch: r.opts.Ref.Branch, PullRequest: mode == RevertBranch, Author: revert.Author{Name: a.Name, Email: a.Email},
			Signer: r.signer, WorkDir: dir, Render: []render.Option{render.WithDefaultProvider(r.opts.MeshProvider), render.WithLimits(r.opts.RenderLimits)}})
}

// mode is the canary's revert mode: its annotation, else the controller's.
func (r *reverter) mode(key string) (string, error) {
	mode := r.opts.Revert
	obj, found, err := r.canaries.GetByKey(key)
	if err == nil && found {
		if v, ok := obj.(*v1beta1.Canary).Annotations[RevertAnnotation]; ok {
			switch strings.ToLower(v) {
			case "true", RevertCommit:
				return RevertCommit, nil
			case RevertBranch:
				return RevertBranch, nil
			case "false", RevertOff:
				return RevertOff, nil
			default:
				return RevertOff, fmt.Errorf("annotation %s: %q is not commit, branch or off", RevertAnnotation, v)
			}
		}
	}
	if mode == "" {
		mode = RevertOff
	}
	return mode, nil
}

// note records the outcome in the ledger.
func (r *reverter) note(t ledger.Transition, text string, trailers ...ledger.KeyValue) {
	if err := r.ledger.Note(ledger.Note{Namespace: t.Namespace, Name: t.Name, Text: text, Trailers: trailers}); err != nil {
		r.log.Error(err, "revert outcome not recorded", "canary", t.Namespace+"/"+t.Name)
	}
}

// failureReason is the rollback's event, such as "Rolling back podinfo.test failed checks
// threshold reached 5", else the last event.
func failureReason(t ledger.Transition) string {
	for i := len(t.Events) - 1; i >= 0; i-- {
		if strings.HasPrefix(t.Events[i].Message, "Rolling back") {
			return t.Events[i].Message
		}
	}
	if n := len(t.Events); n > 0 {
		return t.Events[n-1].Message
	}
	return "analysis failed"
}
