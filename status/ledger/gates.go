package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gitcanary/gitcanary/gitsource"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/go-logr/logr"
	"k8s.io/utils/clock"
)

// GatesOptions configure a Gates reader. Zero values take the defaults given per field.
type GatesOptions struct {
	// Branch is the status branch; default DefaultBranch.
	Branch string
	// Depth is how many commits of history are fetched to find the commit that wrote each gate
	// file (its decider); default 100. The history is fetched only when a gate file's content
	// is new. A gate file older than that still counts, with an unknown decider.
	Depth int
	// AllowedSigners verifies the SSH signatures of the commits that write gate files; nil
	// verifies none (deciders are then the commits' authors only).
	AllowedSigners *AllowedSigners
	// Interval between fetches in Run; default 10s.
	Interval time.Duration
	// Clock drives Run and dates the expiry checks of OpenPGP keys; nil is the real clock.
	Clock clock.Clock
	// Log receives invalid gate files (once per content) and failed fetches.
	Log logr.Logger
}

// Gates reads the decisions committed to the status branch (GateFile): Refresh fetches the
// branch and keeps what its head holds; Lookup answers from that, without I/O. What it keeps is
// a copy of Git, never the state of record: a restarted controller reads the same decisions
// again, and one consumed by the ledger is gone from the branch.
type Gates struct {
	client *gitsource.Client
	opts   GatesOptions
	log    logr.Logger
	wake   chan struct{}

	refreshMu sync.Mutex // serialises Refresh; guards fetched
	fetched   fetchState

	mu    sync.RWMutex // guards gates, head
	gates map[string]Gate
	head  string
}

// fetchState is what Refresh keeps between fetches: the deciders found, the invalid gate files
// logged and, while the branch keeps moving, the fetched heads.
type fetchState struct {
	reader  gateReader
	invalid map[string]bool // error texts logged already
	// recent holds the heads fetched since the branch last stood still, so that the next
	// fetch brings only the objects of the new commits; it is dropped when a refresh finds
	// the head unchanged, and renewed every resetEvery heads to bound its memory.
	recent *git.Repository
	heads  int
}

// NewGates returns a reader of the gates on remote's status branch. It does no I/O.
func NewGates(remote gitsource.Remote, opts GatesOptions) (*Gates, error) {
	if opts.Branch == "" {
		opts.Branch = DefaultBranch
	}
	if opts.Depth <= 0 {
		opts.Depth = 100
	}
	if opts.Interval <= 0 {
		opts.Interval = 10 * time.Second
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if remote.Log.GetSink() == nil {
		remote.Log = opts.Log
	}
	c, err := gitsource.NewClient(remote)
	if err != nil {
		return nil, err
	}
	return &Gates{client: c, opts: opts, log: opts.Log.WithValues("repository", c.String(), "branch", opts.Branch),
		wake: make(chan struct{}, 1), gates: map[string]Gate{}, fetched: fetchState{invalid: map[string]bool{},
			reader: gateReader{depth: opts.Depth, allowed: opts.AllowedSigners, deciders: map[string]Decider{}, clock: opts.Clock}}}, nil
}

// Lookup returns the decision of one kind committed for a canary, as of the last Refresh.
func (g *Gates) Lookup(namespace, name string, kind GateKind) (Gate, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	gate, ok := g.gates[GatePath(namespace, name, kind)]
	return gate, ok
}

// All returns every decision as of the last Refresh, in no particular order.
func (g *Gates) All() []Gate {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]Gate, 0, len(g.gates))
	for _, gate := range g.gates {
		out = append(out, gate)
	}
	return out
}

// Head is the status branch commit the decisions were read from; empty before the first Refresh
// and while the branch does not exist.
func (g *Gates) Head() string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.head
}

// Trigger asks Run to fetch now (a push notification of the status branch calls it).
func (g *Gates) Trigger() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// Run refreshes at start, every Options.Interval and on Trigger, until ctx ends. Failures are
// logged; the decisions last read stay.
func (g *Gates) Run(ctx context.Context) error {
	for {
		if err := g.Refresh(ctx); err != nil && ctx.Err() == nil {
			g.log.Error(err, "reading the gates of the status branch failed; the last decisions read stay")
		}
		t := g.opts.Clock.NewTimer(g.opts.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-g.wake:
		case <-t.C():
		}
		t.Stop()
	}
}

// Refresh reads the gates of the status branch's head. It first lists the branch (one small
// request): when the head is the one read last time there is nothing to do. Otherwise it
// fetches the head alone (depth 1), and the branch's last Depth commits, into a throwaway
// repository, only when a gate file's content is new, to find the commit that wrote it. While
// the branch keeps moving the heads fetched are kept so that each fetch brings only what the
// new commits changed; once a refresh finds the branch still, nothing of it is kept but the
// gates read and their deciders, so a busy ledger rewriting a thousand canary files a commit
// costs no memory while idle. A branch that does not exist holds no gates. Invalid gate files
// are skipped and logged once per content.
func (g *Gates) Refresh(ctx context.Context) error {
	g.refreshMu.Lock()
	defer g.refreshMu.Unlock()
	branch := plumbing.NewBranchReferenceName(g.opts.Branch)
	listed, err := g.client.Resolve(ctx, branch)
	if err != nil && !errors.Is(err, gitsource.ErrRefNotFound) {
		return err
	}
	if listed.String() == g.Head() || (listed.IsZero() && g.Head() == "") {
		g.fetched.recent, g.fetched.heads = nil, 0 // the branch stands still
		return nil
	}
	gates := map[string]Gate{}
	var head plumbing.Hash
	if !listed.IsZero() {
		if head, err = g.read(ctx, gates); err != nil {
			return err
		}
	}
	g.mu.Lock()
	g.gates, g.head = gates, ""
	if !head.IsZero() {
		g.head = head.String()
	}
	g.mu.Unlock()
	return nil
}

// read fetches the branch's head into gates and returns the head (zero when the branch is gone).
// A gate file whose decider is unknown makes it fetch the history and read again.
func (g *Gates) read(ctx context.Context, gates map[string]Gate) (plumbing.Hash, error) {
	reader := &g.fetched.reader
	for _, depth := range []int{1, g.opts.Depth} {
		repo, err := g.repository(depth)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		head, err := g.fetch(ctx, repo, depth)
		if err != nil || head == nil {
			return plumbing.ZeroHash, err
		}
		found, errs, missing := reader.read(head, depth == g.opts.Depth)
		if missing > 0 {
			continue // deciders to find: fetch the history
		}
		for _, gate := range found {
			gates[gate.Path()] = gate
		}
		g.logInvalid(errs)
		return head.Hash, nil
	}
	return plumbing.ZeroHash, nil
}

// repository returns the in-memory repository a fetch of depth goes into: the recent heads'
// for the head alone, a new one for the history.
func (g *Gates) repository(depth int) (*git.Repository, error) {
	f := &g.fetched
	if depth == 1 && f.recent != nil && f.heads%resetEvery != 0 {
		f.heads++
		return f.recent, nil
	}
	repo, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		return nil, fmt.Errorf("init gates repository: %w", err)
	}
	if depth == 1 {
		f.recent, f.heads = repo, 1
	}
	return repo, nil
}

// fetch brings the branch's last depth commits into repo and returns its head, nil when the
// branch does not exist.
func (g *Gates) fetch(ctx context.Context, repo *git.Repository, depth int) (*object.Commit, error) {
	remote := plumbing.NewRemoteReferenceName("origin", g.opts.Branch)
	spec := config.RefSpec("+" + plumbing.NewBranchReferenceName(g.opts.Branch).String() + ":" + remote.String())
	err := g.client.Fetch(ctx, repo, depth, spec)
	if errors.Is(err, gitsource.ErrRefNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ref, err := repo.Reference(remote, true)
	if err != nil {
		return nil, fmt.Errorf("read fetched %s: %w", remote, err)
	}
	head, err := repo.CommitObject(ref.Hash())
	if err != nil {
		return nil, fmt.Errorf("read status branch head %s: %w", ref.Hash(), err)
	}
	return head, nil
}

func (g *Gates) logInvalid(errs []error) {
	seen := map[string]bool{}
	for _, err := range errs {
		seen[err.Error()] = true
		if !g.fetched.invalid[err.Error()] {
			g.log.Error(err, "invalid gate file ignored")
		}
	}
	g.fetched.invalid = seen
}
