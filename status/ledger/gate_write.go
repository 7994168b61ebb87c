package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gitcanary/gitcanary/gitsource"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
)

// Decision is a gate file a user commits (`gitcanary approve|promote|abort`).
type Decision struct {
	// Namespace of the Canary.
	Namespace string
	// Name of the Canary.
	Name string
	// Kind of decision.
	Kind GateKind
	// Revision is the source commit decided on; empty means the canary's current one, read from
	// its status file (sourceCommit) at the head the decision is committed on.
	Revision string
	// Note is kept in the gate file and the ledger.
	Note string
}

// DecisionOptions say how a decision is committed.
type DecisionOptions struct {
	// Branch is the status branch; default DefaultBranch.
	Branch string
	// Author is the decider: author and committer of the commit.
	Author Signature
	// Signer signs the commit (NewSigner); nil leaves it unsigned.
	Signer git.Signer
	// Attempts bounds the rebuilds when other writers move the branch; default 10.
	Attempts int
	// Now gives the commit time; nil is time.Now.
	Now func() time.Time
}

// CommitDecision commits a decision's gate file to the status branch and pushes it, never by
// force: when another writer (the ledger, another user) moved the branch, it fetches the new
// head and commits on top again. It returns the commit and the gate file written.
func CommitDecision(ctx context.Context, remote gitsource.Remote, d Decision, opts DecisionOptions) (string, GateFile, error) {
	if opts.Branch == "" {
		opts.Branch = DefaultBranch
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 10
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := (Transition{Namespace: d.Namespace, Name: d.Name, Phase: "-"}).validate(); err != nil {
		return "", GateFile{}, err
	}
	if _, err := ParseGateKind(string(d.Kind)); err != nil {
		return "", GateFile{}, err
	}
	c, err := gitsource.NewClient(remote)
	if err != nil {
		return "", GateFile{}, err
	}
	repo, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		return "", GateFile{}, err
	}
	branch := plumbing.NewBranchReferenceName(opts.Branch)
	tracking := plumbing.NewRemoteReferenceName("origin", opts.Branch)
	for attempt := 1; ; attempt++ {
		err := c.Fetch(ctx, repo, 1, config.RefSpec("+"+branch.String()+":"+tracking.String()))
		if err != nil && !errors.Is(err, gitsource.ErrRefNotFound) {
			return "", GateFile{}, err
		}
		var head plumbing.Hash
		if ref, err := repo.Reference(tracking, true); err == nil {
			head = ref.Hash()
		}
		commit, gf, err := buildDecision(repo, head, d, opts)
		if err != nil {
			return "", GateFile{}, err
		}
		err = c.Push(ctx, repo, localRef, branch, head)
		if err == nil {
			return commit.String(), gf, nil
		}
		if !errors.Is(err, gitsource.ErrPushRejected) || attempt >= opts.Attempts {
			return "", GateFile{}, err
		}
	}
}

// buildDecision writes the gate file on top of head and stores the commit under localRef.
func buildDecision(repo *git.Repository, head plumbing.Hash, d Decision, opts DecisionOptions) (plumbing.Hash, GateFile, error) {
	s := repo.Storer
	var baseTree plumbing.Hash
	var parents []plumbing.Hash
	if !head.IsZero() {
		c, err := object.GetCommit(s, head)
		if err != nil {
			return plumbing.ZeroHash, GateFile{}, fmt.Errorf("read status branch head %s: %w", head, err)
		}
		baseTree, parents = c.TreeHash, []plumbing.Hash{head}
	}
	gf := GateFile{Revision: d.Revision, Note: d.Note}
	if gf.Revision == "" {
		rev, err := currentRevision(repo, baseTree, d.Namespace, d.Name)
		if err != nil {
			return plumbing.ZeroHash, gf, err
		}
		gf.Revision = rev
	}
	content, err := MarshalGateFile(gf)
	if err != nil {
		return plumbing.ZeroHash, gf, err
	}
	blob, err := gitsource.StoreBlob(s, content)
	if err != nil {
		return plumbing.ZeroHash, gf, err
	}
	root, err := gitsource.EditTree(s, baseTree, map[string]plumbing.Hash{GatePath(d.Namespace, d.Name, d.Kind): blob})
	if err != nil {
		return plumbing.ZeroHash, gf, fmt.Errorf("write gate tree: %w", err)
	}
	sig := object.Signature{Name: opts.Author.Name, Email: opts.Author.Email, When: opts.Now()}
	msg := fmt.Sprintf("%s/%s: %s %s\n", d.Namespace, d.Name, d.Kind, gitsource.ShortSHA(gf.Revision))
	if d.Note != "" {
		msg += "\n" + d.Note + "\n"
	}
	commit := &object.Commit{Author: sig, Committer: sig, Message: msg, TreeHash: root, ParentHashes: parents}
	if err := gitsource.SignCommit(opts.Signer, commit); err != nil {
		return plumbing.ZeroHash, gf, fmt.Errorf("sign decision commit: %w", err)
	}
	h, err := gitsource.StoreObject(s, commit)
	if err != nil {
		return plumbing.ZeroHash, gf, fmt.Errorf("write gate commit: %w", err)
	}
	return h, gf, s.SetReference(plumbing.NewHashReference(localRef, h))
}

// currentRevision is the sourceCommit of a canary's status file in tree.
func currentRevision(repo *git.Repository, tree plumbing.Hash, namespace, name string) (string, error) {
	p := statusPath(namespace, name)
	if tree.IsZero() {
		return "", fmt.Errorf("no revision given and the status branch does not exist: pass the source commit")
	}
	t, err := object.GetTree(repo.Storer, tree)
	if err != nil {
		return "", fmt.Errorf("read status tree: %w", err)
	}
	f, err := t.File(p)
	if err != nil {
		return "", fmt.Errorf("no revision given and %s is not on the status branch: pass the source commit", p)
	}
	content, err := f.Contents()
	if err != nil {
		return "", fmt.Errorf("read %s: %w", p, err)
	}
	st, err := parseStatus([]byte(content))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", p, err)
	}
	if st.SourceCommit == "" {
		return "", fmt.Errorf("no revision given and %s names no sourceCommit: pass the source commit", p)
	}
	return st.SourceCommit, nil
}
