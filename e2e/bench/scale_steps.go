package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/gitcanary/gitcanary/status/ledger"
)

// sampleEvery is how often resources are sampled during a measurement.
const sampleEvery = 10 * time.Second

// sampleFor samples the metrics now, every sampleEvery, and at the end of d; when ctx ends
// it returns what it has with ctx's error.
func (s *scaleRun) sampleFor(ctx context.Context, d time.Duration) ([]sample, error) {
	return s.sampleUntil(ctx, d, nil)
}

// sampleUntil samples the metrics now and every sampleEvery until done reports true, after
// each sample (that sample is the last), or d has passed: the end of the measurement when
// done is nil, an error otherwise. When ctx ends it returns what it has with ctx's error.
func (s *scaleRun) sampleUntil(ctx context.Context, d time.Duration, done func() (bool, error)) ([]sample, error) {
	var out []sample
	end := time.Now().Add(d)
	for {
		sm, err := s.scrape.sample(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, sm)
		if done != nil {
			if ok, err := done(); ok || err != nil {
				return out, err
			}
		}
		left := time.Until(end)
		if left <= 0 {
			if done != nil {
				return out, fmt.Errorf("not done within %v", d)
			}
			return out, nil
		}
		if err := s.alive(); err != nil {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(min(sampleEvery, left)):
		}
	}
}

// measureBaseline measures the controller with no canary.
func (s *scaleRun) measureBaseline(ctx context.Context) error {
	samples, err := s.sampleFor(ctx, s.opts.baseline)
	if err != nil {
		return err
	}
	s.r.baselineRSS = median(samples, func(x sample) float64 { return x.rss })
	s.r.baselineHeap = median(samples, func(x sample) float64 { return x.heap })
	s.r.baseline = between(samples[0], samples[len(samples)-1])
	return nil
}

// pushFleet pushes every overlay in one commit and waits until every Canary is Initialized.
func (s *scaleRun) pushFleet(ctx context.Context) error {
	sha, err := walkthrough.Push(ctx, s.git, fmt.Sprintf("%d podinfo overlays", s.opts.n), s.fleet.overlays("6.0.0"))
	if err != nil {
		return err
	}
	pushed := time.Now()
	s.progress("pushed %d overlays as %s", s.opts.n, sha[:7])
	last, err := s.watch.waitFor(ctx, v1beta1.CanaryPhaseInitialized, s.opts.n, s.opts.timeout, s.progressLine, s.alive)
	if err != nil {
		return err
	}
	s.r.initialized = last.Sub(pushed)
	log, err := readControllerLog(s.ctrl.LogPath)
	if err != nil {
		return err
	}
	n, applied := log.lastApplied(sha)
	if n < s.opts.n {
		return fmt.Errorf("the log shows %d of %d overlays applied at %s", n, s.opts.n, sha[:7])
	}
	s.r.applied = applied.Sub(pushed)
	return nil
}

func (s *scaleRun) progressLine(line string) { s.progress("%s", line) }

// measureDriftCorrection waits for the controller's next drift correction pass over the whole
// fleet (every -reconcile-interval) and measures it: its duration from the controller's log,
// and what it cost the controller between the samples around it (up to sampleEvery of idle
// fleet on each side).
func (s *scaleRun) measureDriftCorrection(ctx context.Context) error {
	var pass driftPass
	samples, err := s.sampleUntil(ctx, s.opts.reconcile+s.opts.timeout, func() (bool, error) {
		passes, err := s.tail.driftPasses()
		for _, p := range passes {
			if p.overlays >= s.opts.n {
				pass = p
				return true, nil
			}
		}
		return false, err
	})
	if err != nil {
		return fmt.Errorf("wait for a drift correction pass: %w", err)
	}
	before := samples[0]
	for _, sm := range samples {
		if !sm.at.After(pass.started) {
			before = sm
		}
	}
	after := samples[len(samples)-1]
	s.r.drift = pass
	s.r.driftRequests = after.clientRequests - before.clientRequests
	s.r.driftCPU = after.cpu - before.cpu
	s.progress("drift correction of %d overlays took %s, %.0f API requests", pass.overlays,
		pass.finished.Sub(pass.started).Round(time.Millisecond), s.r.driftRequests)
	return nil
}

// measureIdle lets the fleet settle for one interval, then measures it idle; it notes a drift
// correction pass that ran in the window (their cost is measured apart).
func (s *scaleRun) measureIdle(ctx context.Context) error {
	if _, err := s.sampleFor(ctx, s.opts.interval); err != nil {
		return err
	}
	samples, err := s.sampleFor(ctx, s.opts.idle)
	if err != nil {
		return err
	}
	s.profile(ctx, "heap-idle.pb.gz", "/debug/pprof/heap")
	s.r.idleRSS = median(samples, func(x sample) float64 { return x.rss })
	s.r.idleHeap = median(samples, func(x sample) float64 { return x.heap })
	s.r.idle = between(samples[0], samples[len(samples)-1])
	passes, err := s.tail.driftPasses()
	if err != nil {
		return err
	}
	s.r.idleDrift = len(passes) > 0 || s.tail.open != nil
	return nil
}

// promote pushes a new image to every canary and waits until every one is Succeeded, sampling
// the controller meanwhile; then it reads the ticks' lag from the controller's log.
func (s *scaleRun) promote(ctx context.Context) error {
	s.watch.reset()
	sha, err := walkthrough.Push(ctx, s.git, fmt.Sprintf("podinfo 6.0.1 for %d canaries", s.opts.n), s.fleet.images("6.0.1"))
	if err != nil {
		return err
	}
	pushed := time.Now()
	s.r.promotePush = pushed
	s.progress("pushed a new image to %d canaries as %s", s.opts.n, sha[:7])
	go s.profile(ctx, "cpu-promote.pb.gz", "/debug/pprof/profile?seconds=30")
	sampleCtx, stop := context.WithCancel(ctx)
	samples := make(chan []sample, 1)
	go func() {
		out, _ := s.sampleFor(sampleCtx, s.opts.timeout)
		samples <- out
	}()
	last, err := s.watch.waitFor(ctx, v1beta1.CanaryPhaseSucceeded, s.opts.n, s.opts.timeout, s.progressLine, func() error {
		if failed, _ := s.watch.count(v1beta1.CanaryPhaseFailed); failed > 0 {
			return fmt.Errorf("%d canaries failed", failed)
		}
		return s.alive()
	})
	stop()
	during := <-samples
	if err != nil {
		return err
	}
	s.r.promoted = last.Sub(pushed)
	for _, sm := range during {
		s.r.promoteRSSMax = math.Max(s.r.promoteRSSMax, sm.rss)
		s.r.ledgerPendingMax = math.Max(s.r.ledgerPendingMax, sm.ledgerPending)
	}
	if len(during) > 1 {
		s.r.promoteWindow = between(during[0], during[len(during)-1])
	}
	log, err := readControllerLog(s.ctrl.LogPath)
	if err != nil {
		return err
	}
	s.r.tickLags = log.tickLags(pushed, s.opts.interval)
	return nil
}

// readLedger waits until the status branch shows every canary Succeeded, then counts the
// ledger's commits since the new image and how long each promotion took to be committed.
func (s *scaleRun) readLedger(ctx context.Context) error {
	repoPath := s.git.RepoPath(walkthrough.RepoName)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		done, err := ledgerSucceeded(repoPath, s.opts.n)
		if err != nil {
			return err
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the status branch does not show %d canaries Succeeded after 3 minutes", s.opts.n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	log, err := readControllerLog(s.ctrl.LogPath)
	if err != nil {
		return err
	}
	s.r.ledgerCommits, s.r.ledgerTransitions = log.commitsSince(s.r.promotePush)
	committed, err := succeededCommits(repoPath, s.r.promotePush)
	if err != nil {
		return err
	}
	for canary, at := range committed {
		if promoted, ok := log.eventAt(canary, "Promotion completed!", s.r.promotePush); ok {
			s.r.ledgerLags = append(s.r.ledgerLags, at.Sub(promoted).Seconds())
		}
	}
	return nil
}

// ledgerSucceeded reports whether the status branch's table shows n canaries Succeeded.
func ledgerSucceeded(repoPath string, n int) (bool, error) {
	snap, err := ledger.OpenLocal(repoPath, walkthrough.StatusBranch)
	if err != nil {
		return false, nil // not written yet
	}
	rows, err := snap.Rows()
	if err != nil {
		return false, err
	}
	got := 0
	for _, r := range rows {
		if r.Status == string(v1beta1.CanaryPhaseSucceeded) {
			got++
		}
	}
	return got >= n, nil
}

// succeededCommits returns, per canary, the time of the first ledger commit after since whose
// trailers record it Succeeded (commit times have a resolution of one second).
func succeededCommits(repoPath string, since time.Time) (map[string]time.Time, error) {
	repo, err := git.PlainOpen(repoPath)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", repoPath, err)
	}
	ref, err := repo.Reference(plumbing.NewBranchReferenceName(walkthrough.StatusBranch), true)
	if err != nil {
		return nil, fmt.Errorf("status branch: %w", err)
	}
	head, err := repo.CommitObject(ref.Hash())
	if err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	err = object.NewCommitPreorderIter(head, nil, nil).ForEach(func(c *object.Commit) error {
		if c.Committer.When.Before(since.Truncate(time.Second)) {
			return storer.ErrStop
		}
		for _, t := range ledger.ParseTrailers(c.Message) {
			if t.Phase == string(v1beta1.CanaryPhaseSucceeded) {
				out[t.Canary] = c.Committer.When // newest first: the last write is the first commit
			}
		}
		return nil
	})
	return out, err
}

// profile saves a profile of the controller into -profiles, when set; a failure is reported
// and the run goes on.
func (s *scaleRun) profile(ctx context.Context, file, path string) {
	if s.opts.profiles == "" {
		return
	}
	data, err := s.scrape.get(ctx, s.ctrl.MetricsURL+path)
	if err == nil {
		err = os.MkdirAll(s.opts.profiles, 0o755)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(s.opts.profiles, file), data, 0o644)
	}
	if err != nil {
		s.progress("profile %s: %v", file, err)
		return
	}
	s.progress("saved %s", filepath.Join(s.opts.profiles, file))
}

// measureBackground stops the controller and measures the API server's requests without it.
func (s *scaleRun) measureBackground(ctx context.Context) error {
	s.ctrl.Stop()
	s.stopped = true
	s.scrape.controllerURL = ""
	samples, err := s.sampleFor(ctx, s.opts.idle)
	if err != nil {
		return err
	}
	s.r.background = between(samples[0], samples[len(samples)-1])
	return nil
}
