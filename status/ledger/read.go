package ledger

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gitcanary/gitcanary/gitsource"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/memory"
)

// Snapshot is the ledger as the head of the status branch holds it, for reading.
type Snapshot struct {
	repo *git.Repository
	head *object.Commit
}

// OpenLocal reads the status branch of a repository on disk (bare or with a work tree): the
// local branch, or else origin's remote-tracking branch.
func OpenLocal(path, branch string) (*Snapshot, error) {
	repo, err := git.PlainOpen(path)
	if err != nil {
		repo, err = git.PlainOpenWithOptions(path, &git.PlainOpenOptions{DetectDotGit: true})
	}
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", path, err)
	}
	for _, name := range []plumbing.ReferenceName{plumbing.NewBranchReferenceName(branch), plumbing.NewRemoteReferenceName("origin", branch)} {
		if ref, err := repo.Reference(name, true); err == nil {
			return snapshotAt(repo, ref.Hash())
		}
	}
	return nil, fmt.Errorf("read %s in %s: %w", branch, path, ErrBranchNotFound)
}

// OpenRemote fetches the status branch of remote into memory: with history, every commit (for
// History), otherwise only the head.
func OpenRemote(ctx context.Context, remote gitsource.Remote, branch string, history bool) (*Snapshot, error) {
	c, err := gitsource.NewClient(remote)
	if err != nil {
		return nil, err
	}
	repo, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		return nil, err
	}
	ref := plumbing.NewBranchReferenceName(branch)
	depth := 1
	if history {
		depth = 0
	}
	err = c.Fetch(ctx, repo, depth, config.RefSpec("+"+ref.String()+":"+ref.String()))
	if errors.Is(err, gitsource.ErrRefNotFound) {
		return nil, fmt.Errorf("read %s of %s: %w", branch, c, ErrBranchNotFound)
	}
	if err != nil {
		return nil, err
	}
	r, err := repo.Reference(ref, true)
	if err != nil {
		return nil, fmt.Errorf("read %s of %s: %w", branch, c, ErrBranchNotFound)
	}
	return snapshotAt(repo, r.Hash())
}

func snapshotAt(repo *git.Repository, h plumbing.Hash) (*Snapshot, error) {
	c, err := repo.CommitObject(h)
	if err != nil {
		return nil, fmt.Errorf("read status commit %s: %w", h, err)
	}
	return &Snapshot{repo: repo, head: c}, nil
}

// Commit is the head commit of the status branch.
func (s *Snapshot) Commit() string { return s.head.Hash.String() }

// Statuses reads every status/<namespace>/<name>.yaml, sorted by namespace and name.
func (s *Snapshot) Statuses() ([]Status, error) {
	entries, err := statusEntries(s.repo.Storer, s.head.TreeHash)
	if err != nil {
		return nil, fmt.Errorf("list status files: %w", err)
	}
	out := make([]Status, 0, len(entries))
	for _, e := range entries {
		b, err := readBlob(s.repo.Storer, e.blob)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", statusPath(e.namespace, e.name), err)
		}
		st, err := parseStatus(b)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", statusPath(e.namespace, e.name), err)
		}
		st.Namespace, st.Name = e.namespace, e.name
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID() < out[j].ID() })
	return out, nil
}

// Rows are the table rows of Statuses.
func (s *Snapshot) Rows() ([]Row, error) {
	sts, err := s.Statuses()
	if err != nil {
		return nil, err
	}
	rows := make([]Row, len(sts))
	for i := range sts {
		rows[i] = rowOf(&sts[i])
	}
	return rows, nil
}

// Entry is one commit of the status branch that recorded a canary.
type Entry struct {
	// Commit is the ledger commit.
	Commit string `json:"commit" yaml:"commit"`
	// Time is its commit time.
	Time time.Time `json:"time" yaml:"time"`
	// Phase is the canary's Phase trailer in that commit.
	Phase string `json:"phase" yaml:"phase"`
	// SourceCommit is the source commit the trailer names, or "none".
	SourceCommit string `json:"sourceCommit" yaml:"sourceCommit"`
	// Summary is the canary's line of the commit message.
	Summary string `json:"summary" yaml:"summary"`
	// FailedCheck, CheckQuery and MetricsServer are the commit's trailers describing the failed
	// check of the canary's last analysis step, if any.
	FailedCheck   string `json:"failedCheck,omitempty" yaml:"failedCheck,omitempty"`
	CheckQuery    string `json:"checkQuery,omitempty" yaml:"checkQuery,omitempty"`
	MetricsServer string `json:"metricsServer,omitempty" yaml:"metricsServer,omitempty"`
	// Sequences are the numbers of the canary's transitions the commit records (status.journal).
	Sequences []int64 `json:"sequences,omitempty" yaml:"sequences,omitempty"`
}

// History lists the commits whose Canary trailer names key ("<namespace>/<name>"), newest
// first. Commits beyond a shallow boundary are not visited.
func (s *Snapshot) History(key string) ([]Entry, error) {
	var out []Entry
	err := object.NewCommitPreorderIter(s.head, nil, nil).ForEach(func(c *object.Commit) error {
		for _, t := range ParseTrailers(c.Message) {
			if t.Canary == key {
				out = append(out, Entry{Commit: c.Hash.String(), Time: c.Committer.When, Phase: t.Phase,
					SourceCommit: t.SourceCommit, Summary: summaryLine(c.Message, key),
					FailedCheck: t.FailedCheck, CheckQuery: t.CheckQuery, MetricsServer: t.MetricsServer, Sequences: t.Sequences})
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, plumbing.ErrObjectNotFound) && !errors.Is(err, storer.ErrStop) {
		return nil, fmt.Errorf("walk status history: %w", err)
	}
	return out, nil
}

// summaryLine is the message line that starts with "<key>: ", or the subject.
func summaryLine(message, key string) string {
	lines := strings.Split(message, "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, key+": ") {
			return l
		}
	}
	return lines[0]
}
