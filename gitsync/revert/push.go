package revert

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/render"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
	corev1 "k8s.io/api/core/v1"
)

// BranchPrefix starts the branches pushed for a pull request: gitcanary/revert/<namespace>-<name>.
const BranchPrefix = "gitcanary/revert/"

// Failure says which revision of a canary failed and which one it was rolled back to.
type Failure struct {
	// Namespace of the Canary.
	Namespace string
	// Canary is the Canary's name.
	Canary string
	// Target is the name of its target Deployment.
	Target string
	// Overlay is the overlay that renders them (slash path in the repository).
	Overlay string
	// FailedCommit is the source commit of the revision whose analysis failed.
	FailedCommit string
	// PromotedCommit is the source commit of the revision promoted last.
	PromotedCommit string
	// Reason is why the analysis failed, such as "request-success-rate 86.5 < min 99".
	Reason string
	// LedgerCommit is the status branch commit that recorded the rollback, when known.
	LedgerCommit string
}

// Author names the author and committer of a revert commit.
type Author struct {
	// Name of the author.
	Name string
	// Email of the author.
	Email string
}

// PushOptions say where and how a revert is committed.
type PushOptions struct {
	// Branch is the source branch. Required.
	Branch string
	// PullRequest pushes a new branch BranchPrefix+"<namespace>-<name>" off the source branch's
	// head instead of the source branch itself (for repositories that take changes by pull
	// request only).
	PullRequest bool
	// Author of the commit.
	Author Author
	// Signer signs the commit; nil leaves it unsigned.
	Signer git.Signer
	// WorkDir is a scratch directory for checkouts and renders. Required.
	WorkDir string
	// Attempts bounds the rebuilds when other writers move the source branch; default 10.
	Attempts int
	// Now gives the commit time; nil is time.Now.
	Now func() time.Time
	// Render are the options of every render of the overlay (the sync loop's default
	// provider and limits), so the revert renders it exactly as the sync loop does.
	Render []render.Option
}

// Result is a revert pushed.
type Result struct {
	// Commit is the revert commit.
	Commit string
	// Branch is the branch it was pushed to.
	Branch string
	// Base is the source branch commit it was built on.
	Base string
	// Edit is what it changed.
	Edit Edit
}

// Push commits the edit that makes the overlay render the promoted revision again on top of the
// source branch's head and pushes it, never by force. It refuses with ErrNewerWork when the
// overlay renders differently at the head than at the failed commit (newer work is never
// reverted), and with ErrCannotRevert when the promoted revision cannot be written back (see
// Plan and Verify). When another writer moved the branch, it checks and builds again on the new
// head.
func Push(ctx context.Context, remote gitsource.Remote, f Failure, opts PushOptions) (Result, error) {
	if opts.Branch == "" || opts.WorkDir == "" || f.FailedCommit == "" || f.PromotedCommit == "" {
		return Result{}, fmt.Errorf("revert %s/%s: branch, work directory, failed and promoted commits are required", f.Namespace, f.Canary)
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 10
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	promotedDir, err := checkout(ctx, remote, gitsource.Ref{Commit: f.PromotedCommit}, filepath.Join(opts.WorkDir, "promoted"))
	if err != nil {
		return Result{}, err
	}
	promoted, err := RenderedTemplate(promotedDir, f.Overlay, f.Namespace, f.Target, opts.Render...)
	if err != nil {
		return Result{}, fmt.Errorf("at the promoted commit %s: %w", gitsource.ShortSHA(f.PromotedCommit), err)
	}
	failedDir, err := checkout(ctx, remote, gitsource.Ref{Commit: f.FailedCommit}, filepath.Join(opts.WorkDir, "failed"))
	if err != nil {
		return Result{}, err
	}
	failedDigest, err := digest(failedDir, f.Overlay, opts.Render)
	if err != nil {
		return Result{}, fmt.Errorf("at the failed commit %s: %w", gitsource.ShortSHA(f.FailedCommit), err)
	}
	head, err := gitsource.NewFetcher(remote, gitsource.Ref{Branch: opts.Branch}, gitsource.FetcherOptions{CacheDir: filepath.Join(opts.WorkDir, "head")})
	if err != nil {
		return Result{}, err
	}
	defer head.Close()
	for attempt := 1; ; attempt++ {
		res, err := attemptPush(ctx, remote, head, f, opts, failedDigest, promoted, promotedDir)
		if err == nil || !errors.Is(err, gitsource.ErrPushRejected) || opts.PullRequest || attempt >= opts.Attempts {
			return res, err
		}
	}
}

// attemptPush checks the head, plans, verifies, commits and pushes once.
func attemptPush(ctx context.Context, remote gitsource.Remote, head *gitsource.Fetcher, f Failure, opts PushOptions,
	failedDigest string, promoted *corev1.PodTemplateSpec, promotedDir string) (Result, error) {
	co, err := head.Fetch(ctx)
	if err != nil && !errors.Is(err, gitsource.ErrNoChange) {
		return Result{}, err
	}
	headDigest, err := digest(co.Dir, f.Overlay, opts.Render)
	if err != nil {
		return Result{}, fmt.Errorf("at the head %s of %s: %w", gitsource.ShortSHA(co.Commit), opts.Branch, err)
	}
	if headDigest != failedDigest {
		return Result{}, fmt.Errorf("%w: %s at %s renders differently than at the failed commit %s", ErrNewerWork,
			f.Overlay, gitsource.ShortSHA(co.Commit), gitsource.ShortSHA(f.FailedCommit))
	}
	failed, err := RenderedTemplate(co.Dir, f.Overlay, f.Namespace, f.Target, opts.Render...)
	if err != nil {
		return Result{}, err
	}
	files, err := readYAMLFiles(co.Dir)
	if err != nil {
		return Result{}, err
	}
	promotedFiles, err := readYAMLFiles(promotedDir)
	if err != nil {
		return Result{}, err
	}
	edit, err := Plan(Request{Target: f.Target, Overlay: f.Overlay, Failed: failed, Promoted: promoted, Files: files, PromotedFiles: promotedFiles})
	if err != nil {
		return Result{}, err
	}
	check := filepath.Join(opts.WorkDir, "verify")
	if err := copyTree(co.Dir, check); err != nil {
		return Result{}, err
	}
	if err := edit.WriteTo(check); err != nil {
		return Result{}, err
	}
	if err := Verify(check, f.Overlay, f.Namespace, f.Target, promoted, opts.Render...); err != nil {
		return Result{}, err
	}
	return commitAndPush(ctx, remote, co.Commit, f, opts, edit)
}

// digest is the rendered digest of overlay at root.
func digest(root, overlay string, opts []render.Option) (string, error) {
	b, err := render.Build(root, overlay, opts...)
	if err != nil {
		return "", fmt.Errorf("render %s: %w", overlay, err)
	}
	return b.Digest(), nil
}

// checkout fetches one commit and writes its tree under dir.
func checkout(ctx context.Context, remote gitsource.Remote, ref gitsource.Ref, dir string) (string, error) {
	fe, err := gitsource.NewFetcher(remote, ref, gitsource.FetcherOptions{CacheDir: dir})
	if err != nil {
		return "", err
	}
	defer fe.Close()
	co, err := fe.Fetch(ctx)
	if err != nil {
		return "", err
	}
	return co.Dir, nil
}

// commitAndPush builds the revert commit on base and pushes it.
func commitAndPush(ctx context.Context, remote gitsource.Remote, base string, f Failure, opts PushOptions, edit Edit) (Result, error) {
	c, err := gitsource.NewClient(remote)
	if err != nil {
		return Result{}, err
	}
	repo, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		return Result{}, err
	}
	src := plumbing.NewBranchReferenceName(opts.Branch)
	tracking := plumbing.NewRemoteReferenceName("origin", opts.Branch)
	if err := c.Fetch(ctx, repo, 1, config.RefSpec("+"+src.String()+":"+tracking.String())); err != nil {
		return Result{}, err
	}
	ref, err := repo.Reference(tracking, true)
	if err != nil {
		return Result{}, fmt.Errorf("read fetched %s: %w", tracking, err)
	}
	if ref.Hash().String() != base {
		return Result{}, fmt.Errorf("%s moved from %s to %s: %w", opts.Branch, gitsource.ShortSHA(base), gitsource.ShortSHA(ref.Hash().String()), gitsource.ErrPushRejected)
	}
	h, err := buildCommit(repo, ref.Hash(), f, opts, edit)
	if err != nil {
		return Result{}, err
	}
	dst, expect := src, ref.Hash()
	if opts.PullRequest {
		dst, expect = plumbing.NewBranchReferenceName(BranchPrefix+f.Namespace+"-"+f.Canary), plumbing.ZeroHash
	}
	local := plumbing.ReferenceName("refs/gitcanary/revert")
	if err := repo.Storer.SetReference(plumbing.NewHashReference(local, h)); err != nil {
		return Result{}, err
	}
	if err := c.Push(ctx, repo, local, dst, expect); err != nil {
		if opts.PullRequest && errors.Is(err, gitsource.ErrPushRejected) {
			return Result{}, fmt.Errorf("%w: branch %s exists already and is not behind %s (merge or delete it)", ErrCannotRevert, dst.Short(), opts.Branch)
		}
		return Result{}, err
	}
	return Result{Commit: h.String(), Branch: dst.Short(), Base: base, Edit: edit}, nil
}

// buildCommit stores the revert commit on top of parent.
func buildCommit(repo *git.Repository, parent plumbing.Hash, f Failure, opts PushOptions, edit Edit) (plumbing.Hash, error) {
	s := repo.Storer
	pc, err := object.GetCommit(s, parent)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read %s: %w", parent, err)
	}
	blobs := map[string]plumbing.Hash{}
	for p, b := range edit.Files {
		if blobs[p], err = gitsource.StoreBlob(s, b); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	tree, err := gitsource.EditTree(s, pc.TreeHash, blobs)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write revert tree: %w", err)
	}
	sig := object.Signature{Name: opts.Author.Name, Email: opts.Author.Email, When: opts.Now()}
	commit := &object.Commit{Author: sig, Committer: sig, Message: message(f, edit), TreeHash: tree, ParentHashes: []plumbing.Hash{parent}}
	if err := gitsource.SignCommit(opts.Signer, commit); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("sign revert commit: %w", err)
	}
	return gitsource.StoreObject(s, commit)
}
