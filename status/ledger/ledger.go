package ledger

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gitcanary/gitcanary/gitsource"
	git "github.com/go-git/go-git/v5"
	"github.com/go-logr/logr"
	"k8s.io/utils/clock"
)

// DefaultBranch is the status branch when Options.Branch is empty.
const DefaultBranch = "gitcanary/status"

// Signature names the author and committer of ledger commits.
type Signature struct {
	// Name of the author.
	Name string
	// Email of the author.
	Email string
}

// Options configure a Ledger. Zero values take the defaults given per field.
type Options struct {
	// Branch is the status branch; default DefaultBranch.
	Branch string
	// SourceBranch is the branch gitcanary syncs from. Writing the ledger to it is refused
	// unless AllowSourceBranch is set (the ledger's commits would then land among the
	// manifests; they still cause no apply, since no overlay contains status/ or STATUS.md).
	SourceBranch string
	// AllowSourceBranch allows Branch == SourceBranch.
	AllowSourceBranch bool
	// Window is how long the ledger waits after a transition for more to join the same commit;
	// default 2s.
	Window time.Duration
	// MaxQueue bounds the transitions waiting to be committed (while Git is unreachable, for
	// instance); default 10000. When it is full Record refuses new transitions with
	// ErrQueueFull and counts them, per canary, in the canary's file (unrecordedTransitions)
	// and in the next commit message: the gap is visible, never silent.
	MaxQueue int
	// MaxBatch bounds the transitions in one commit; default 500.
	MaxBatch int
	// EventHistory is how many events each canary file keeps; default 10. A commit never holds
	// more of one canary's events than this, so every event reaches the history of the branch.
	EventHistory int
	// Author of the commits; default gitcanary <gitcanary@localhost>.
	Author Signature
	// Signer signs commits (OpenPGP, or SSH as Git's gpg.format=ssh); nil leaves them unsigned.
	// See NewSigner, NewOpenPGPSigner and NewSSHSigner.
	Signer git.Signer
	// Clock gives commit times and drives the window and the backoff; nil is the real clock.
	Clock clock.Clock
	// RetryBase and RetryMax bound the backoff between attempts when the push is rejected or
	// Git is unreachable; defaults 50ms and 30s.
	RetryBase time.Duration
	// RetryMax caps the backoff.
	RetryMax time.Duration
	// PushAttempts bounds the rebuild-and-push attempts of one flush when other writers keep
	// moving the branch; default 50. The batch stays queued when they run out.
	PushAttempts int
	// Log receives one line per commit and per failed flush; the zero value discards.
	Log logr.Logger
}

func (o *Options) defaults() {
	if o.Branch == "" {
		o.Branch = DefaultBranch
	}
	if o.Window <= 0 {
		o.Window = 2 * time.Second
	}
	if o.MaxQueue <= 0 {
		o.MaxQueue = 10000
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 500
	}
	if o.EventHistory <= 0 {
		o.EventHistory = 10
	}
	if o.Author.Name == "" {
		o.Author = Signature{Name: "gitcanary", Email: "gitcanary@localhost"}
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.RetryBase <= 0 {
		o.RetryBase = 50 * time.Millisecond
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 30 * time.Second
	}
	if o.PushAttempts <= 0 {
		o.PushAttempts = 50
	}
}

// Ledger turns Canary status transitions into commits on a status branch: one file per canary
// and a STATUS.md table, batched, pushed without force, queued while Git is unreachable. Record
// may be called from any goroutine; Run flushes in the background.
type Ledger struct {
	client *gitsource.Client
	opts   Options
	log    logr.Logger
	wake   chan struct{}

	mu      sync.Mutex // guards pending
	pending pending

	committed committed // the last transition the branch records, per canary

	flushMu sync.Mutex // serialises flushes; guards branch
	branch  branchState
	// releaseAfter is how long Run waits with nothing queued before it releases the in-memory
	// copy of the branch (releaseIdleAfter; shorter in tests).
	releaseAfter time.Duration
}

// releaseIdleAfter is how long the ledger keeps its copy of the status branch (the head's tree
// and the objects of its recent commits: 12 MiB at 1,000 canaries) once nothing is queued. A
// release costs one depth-1 fetch of the head at the next transition, so a fleet that is busy
// keeps its copy and an idle one holds none.
const releaseIdleAfter = time.Minute

// pending is what waits for the next flush.
type pending struct {
	queue   []Transition
	drops   map[string]int
	dropped int
	extra   extras // decisions to consume and notes to record
}

// branchState is what the ledger keeps of the status branch between flushes.
type branchState struct {
	repo        *git.Repository
	commits     int
	rows        map[string]Row     // STATUS.md rows by status blob hash
	overlayRows map[string]Overlay // overlay files by blob hash
	built       []*canaryChange    // what the last build recorded, learnt as committed once pushed
}

// drop forgets the copy of the branch and the caches read from it; the next flush fetches the
// head afresh (depth 1).
func (b *branchState) drop() { b.repo, b.rows, b.overlayRows = nil, nil, nil }

// New checks the options and returns a ledger writing to remote. It does no I/O.
func New(remote gitsource.Remote, opts Options) (*Ledger, error) {
	opts.defaults()
	if opts.Branch == opts.SourceBranch && !opts.AllowSourceBranch {
		return nil, fmt.Errorf("%w: branch %q (set AllowSourceBranch to permit it)", ErrSourceBranch, opts.Branch)
	}
	if remote.Log.GetSink() == nil {
		remote.Log = opts.Log
	}
	c, err := gitsource.NewClient(remote)
	if err != nil {
		return nil, err
	}
	return &Ledger{client: c, opts: opts, releaseAfter: releaseIdleAfter, log: opts.Log.WithValues("repository", c.String(), "branch", opts.Branch),
		wake: make(chan struct{}, 1), pending: pending{drops: map[string]int{}}}, nil
}

// Record queues a transition for the next commit. It never blocks on Git. It returns
// ErrInvalidTransition for a transition without namespace, name or phase, and ErrQueueFull when
// Options.MaxQueue transitions wait already (see Options.MaxQueue for what happens then).
func (l *Ledger) Record(t Transition) error {
	if err := t.validate(); err != nil {
		return err
	}
	if t.Time.IsZero() {
		t.Time = l.opts.Clock.Now()
	}
	t.Events = append([]Event(nil), t.Events...)
	t.Metrics = append([]MetricResult(nil), t.Metrics...)
	t.Webhooks = append([]WebhookResult(nil), t.Webhooks...)
	l.mu.Lock()
	if len(l.pending.queue) >= l.opts.MaxQueue {
		l.pending.drops[t.key()]++
		l.pending.dropped++
		l.mu.Unlock()
		l.log.Error(ErrQueueFull, "transition not recorded", "canary", t.key(), "phase", t.Phase)
		return fmt.Errorf("record %s %s: %w (%d waiting)", t.key(), t.Phase, ErrQueueFull, l.opts.MaxQueue)
	}
	l.pending.queue = append(l.pending.queue, t)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	return nil
}

// Committed returns the sequence number of the last transition of the Canary namespace/name
// (with that UID) that the status branch records, as far as this ledger has seen the branch;
// 0 when it does not know.
func (l *Ledger) Committed(namespace, name, uid string) int64 {
	return l.committed.get(namespace+"/"+name, uid)
}

// ConsumeGate queues the removal of a decision the controller acted on: the next commit deletes
// its gate file, provided the file still holds the same content (a newer decision written
// meanwhile is kept), and records the decision and its decider in its message. Like Record, it
// never blocks on Git.
func (l *Ledger) ConsumeGate(g Gate) {
	l.mu.Lock()
	l.pending.extra.uses = append(l.pending.extra.uses, g)
	l.mu.Unlock()
	l.poke()
}

// Note queues a note for the next commit: something the controller did for a canary besides
// changing its status, such as pushing a revert to the source branch, or refusing to. Its text
// joins the canary's summary line and its trailers the canary's trailer block; the canary's
// status file is not changed. Like Record, it never blocks on Git.
func (l *Ledger) Note(n Note) error {
	if err := (Transition{Namespace: n.Namespace, Name: n.Name, Phase: "-"}).validate(); err != nil {
		return err
	}
	l.mu.Lock()
	l.pending.extra.notes = append(l.pending.extra.notes, n)
	l.mu.Unlock()
	l.poke()
	return nil
}

// poke wakes Run.
func (l *Ledger) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Pending is the number of transitions waiting to be committed.
func (l *Ledger) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pending.queue)
}

// Dropped is the number of transitions Record refused because the queue was full.
func (l *Ledger) Dropped() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pending.dropped
}

// Run commits queued transitions until ctx ends: it waits Options.Window after a transition so
// that others join the commit, then flushes; when Git is unreachable or the push keeps being
// rejected it backs off (up to Options.RetryMax) and tries again, keeping every transition
// queued. It returns nil when ctx ends; call Flush with a fresh context to push what is left.
func (l *Ledger) Run(ctx context.Context) error {
	failures, backlog := 0, false
	for {
		if l.idle() && !l.waitForWork(ctx) {
			return nil
		}
		// Wait for company only when the queue was empty; a backlog is flushed at once.
		if failures == 0 && !backlog && !l.sleep(ctx, l.opts.Window) {
			return nil
		}
		err := l.flushOnce(ctx)
		backlog = l.Pending() > 0
		if err != nil {
			failures++
			delay := l.backoff(failures)
			l.log.Error(err, "ledger flush failed; transitions stay queued", "pending", l.Pending(), "retryIn", delay)
			if !l.sleep(ctx, delay) {
				return nil
			}
			continue
		}
		failures = 0
	}
}

// waitForWork waits until something is queued; when nothing is within releaseAfter it releases
// the copy of the branch and waits on. false means ctx ended.
func (l *Ledger) waitForWork(ctx context.Context) bool {
	t := l.opts.Clock.NewTimer(l.releaseAfter)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-l.wake:
			return true
		case <-t.C():
			l.release()
		}
	}
}

// release drops the in-memory copy of the branch, as after resetEvery commits.
func (l *Ledger) release() {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	if l.branch.repo != nil {
		l.branch.drop()
		l.log.V(1).Info("released the copy of the status branch while idle")
	}
}

// Flush commits and pushes everything queued now, in as many commits as MaxBatch and
// EventHistory require, and returns the first error (the transitions then stay queued).
func (l *Ledger) Flush(ctx context.Context) error {
	for !l.idle() {
		if err := l.flushOnce(ctx); err != nil {
			return err
		}
	}
	return nil
}

// idle reports whether nothing waits to be committed: no transition, refused count or decision.
func (l *Ledger) idle() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pending.queue) == 0 && len(l.pending.drops) == 0 && l.pending.extra.empty()
}

// sleep waits d on the ledger's clock; false means ctx ended.
func (l *Ledger) sleep(ctx context.Context, d time.Duration) bool {
	t := l.opts.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}
