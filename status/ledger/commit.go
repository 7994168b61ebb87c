package ledger

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gitcanary/gitcanary/gitsource"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/memory"
)

// localRef is where the ledger keeps the commit it is about to push.
const localRef = plumbing.ReferenceName("refs/gitcanary/ledger")

// resetEvery bounds the in-memory repository: it is dropped after that many commits and the next
// flush fetches the branch head afresh (depth 1).
const resetEvery = 50

// flushOnce commits and pushes the next batch, then drops it from the queue.
func (l *Ledger) flushOnce(ctx context.Context) error {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	batch, drops, ex := l.nextBatch()
	if len(batch) == 0 && len(drops) == 0 && ex.empty() {
		return nil
	}
	commit, canaries, err := l.commitAndPush(ctx, batch, drops, ex)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.pending.queue = append([]Transition(nil), l.pending.queue[len(batch):]...)
	l.pending.extra.uses = append([]Gate(nil), l.pending.extra.uses[len(ex.uses):]...)
	l.pending.extra.notes = append([]Note(nil), l.pending.extra.notes[len(ex.notes):]...)
	l.pending.extra.overlays = append([]Overlay(nil), l.pending.extra.overlays[len(ex.overlays):]...)
	for k, n := range drops {
		if l.pending.drops[k] -= n; l.pending.drops[k] <= 0 {
			delete(l.pending.drops, k)
		}
	}
	l.mu.Unlock()
	l.log.Info("status committed", "commit", commit.String(), "canaries", canaries, "transitions", len(batch))
	return nil
}

// nextBatch takes transitions from the head of the queue, in order, until MaxBatch, or until one
// canary would have more events in the commit than its file keeps; and every decision to
// consume and note to record.
func (l *Ledger) nextBatch() ([]Transition, map[string]int, extras) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cost := map[string]int{}
	n := 0
	for _, t := range l.pending.queue {
		k := t.key()
		if n == l.opts.MaxBatch || (cost[k] > 0 && cost[k]+t.cost() > l.opts.EventHistory) {
			break
		}
		cost[k] += t.cost()
		n++
	}
	drops := make(map[string]int, len(l.pending.drops))
	for k, v := range l.pending.drops {
		drops[k] = v
	}
	ex := extras{uses: append([]Gate(nil), l.pending.extra.uses...), notes: append([]Note(nil), l.pending.extra.notes...),
		overlays: append([]Overlay(nil), l.pending.extra.overlays...)}
	return append([]Transition(nil), l.pending.queue[:n]...), drops, ex
}

// commitAndPush builds the commit on the current head of the branch and pushes it; when another
// writer moved the branch meanwhile, it fetches the new head, rebuilds and tries again.
func (l *Ledger) commitAndPush(ctx context.Context, batch []Transition, drops map[string]int, ex extras) (plumbing.Hash, int, error) {
	branch := plumbing.NewBranchReferenceName(l.opts.Branch)
	for attempt := 1; ; attempt++ {
		head, err := l.fetchHead(ctx)
		if err != nil {
			return plumbing.ZeroHash, 0, err
		}
		commit, changes, err := l.build(head, batch, drops, ex)
		if err != nil {
			return plumbing.ZeroHash, 0, err
		}
		if commit.IsZero() {
			return head, 0, nil // the branch records the whole batch already
		}
		err = l.client.Push(ctx, l.branch.repo, localRef, branch, head)
		if err == nil {
			for _, c := range l.branch.built {
				l.committed.learn(c.key, c.status)
			}
			if l.branch.commits++; l.branch.commits%resetEvery == 0 {
				l.branch.drop()
			}
			return commit, changes, nil
		}
		if !errors.Is(err, gitsource.ErrPushRejected) || attempt >= l.opts.PushAttempts {
			return plumbing.ZeroHash, 0, err
		}
		l.log.V(1).Info("status branch moved, rebuilding on its new head", "attempt", attempt)
		if !l.sleep(ctx, l.rejectDelay(attempt)) {
			return plumbing.ZeroHash, 0, ctx.Err()
		}
	}
}

// fetchHead fetches the status branch (depth 1) and returns its head, or zero when the branch
// does not exist yet.
func (l *Ledger) fetchHead(ctx context.Context) (plumbing.Hash, error) {
	if l.branch.repo == nil {
		repo, err := git.Init(memory.NewStorage(), nil)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("init ledger repository: %w", err)
		}
		l.branch.repo = repo // the caches were dropped with the copy before
	}
	remote := plumbing.NewRemoteReferenceName("origin", l.opts.Branch)
	spec := config.RefSpec("+" + plumbing.NewBranchReferenceName(l.opts.Branch).String() + ":" + remote.String())
	err := l.client.Fetch(ctx, l.branch.repo, 1, spec)
	if errors.Is(err, gitsource.ErrRefNotFound) {
		_ = l.branch.repo.Storer.RemoveReference(remote)
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	ref, err := l.branch.repo.Reference(remote, true)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read fetched %s: %w", remote, err)
	}
	return ref.Hash(), nil
}

// rejectDelay is the jittered backoff between rebuilds after rejected pushes.
func (l *Ledger) rejectDelay(attempt int) time.Duration {
	d := min(l.opts.RetryBase<<min(attempt-1, 10), time.Second, l.opts.RetryMax)
	return d/2 + rand.N(d/2+1)
}

// backoff is the delay before the next flush after failures consecutive failed ones.
func (l *Ledger) backoff(failures int) time.Duration {
	d := min(l.opts.RetryBase<<min(failures, 16), l.opts.RetryMax)
	return d/2 + rand.N(d/2+1)
}
