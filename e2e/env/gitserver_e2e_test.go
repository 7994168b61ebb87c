//go:build e2e

package env_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/e2e/gitserver"
)

// Given the in-process Git server with basic auth, a pushed overlay change is served to a
// go-git clone over smart HTTP, and an unauthenticated clone is refused.
func TestGitServerAcceptsPushAndServesClone(t *testing.T) {
	srv, err := gitserver.Start(gitserver.Options{Username: "gitcanary", Password: "s3cret"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	require.NoError(t, srv.CreateRepo("fleet", "main"))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	kustomization := []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deployment.yaml]\n")
	head, err := srv.CommitFiles(ctx, "fleet", "main", gitserver.Change{
		Files:   map[string][]byte{"overlays/podinfo/kustomization.yaml": kustomization},
		Message: "podinfo: add overlay",
	})
	require.NoError(t, err)

	repo, err := git.CloneContext(ctx, memory.NewStorage(), nil, &git.CloneOptions{
		URL:           srv.HTTPURL("fleet"),
		Auth:          &githttp.BasicAuth{Username: "gitcanary", Password: "s3cret"},
		ReferenceName: plumbing.NewBranchReferenceName("main"),
	})
	require.NoError(t, err)
	ref, err := repo.Head()
	require.NoError(t, err)
	require.Equal(t, head, ref.Hash().String())
	commit, err := repo.CommitObject(ref.Hash())
	require.NoError(t, err)
	f, err := commit.File("overlays/podinfo/kustomization.yaml")
	require.NoError(t, err)
	r, err := f.Reader()
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, kustomization, got)

	_, err = git.CloneContext(ctx, memory.NewStorage(), nil, &git.CloneOptions{URL: srv.HTTPURL("fleet")})
	require.Error(t, err, "a clone without credentials is refused")
}
