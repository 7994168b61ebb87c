package gitsource

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gitcanary/gitcanary/e2e/gitserver"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// benchCanaries is the size of the benchmark repository: one folder per canary with a Canary and
// a kustomization (2,000 files).
const benchCanaries = 1000

func canaryFiles(n int, tag string) map[string][]byte {
	files := map[string][]byte{}
	for i := range n {
		dir := fmt.Sprintf("apps/app-%04d", i)
		files[dir+"/kustomization.yaml"] = []byte("resources:\n  - canary.yaml\n")
		files[dir+"/canary.yaml"] = []byte(fmt.Sprintf(`apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: app-%04d
  namespace: test
spec:
  provider: smi:crossover
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: app-%04d}
  service: {port: 9898}
  analysis: {interval: 15s, threshold: 5, maxWeight: 50, stepWeight: 5}
  # %s
`, i, i, tag))
	}
	return files
}

func benchFixture(b *testing.B) *fixture {
	b.Helper()
	pemBytes, signer := newIdentity(b)
	srv, err := gitserver.Start(gitserver.Options{Username: testUser, Password: testPassword, SSH: true,
		AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}})
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, srv.Close()) })
	require.NoError(b, srv.CreateRepo("app", "main"))
	_, err = srv.CommitFiles(testContext(b), "app", "main", gitserver.Change{Files: canaryFiles(benchCanaries, "v0")})
	require.NoError(b, err)
	return &fixture{srv: srv, identityPEM: pemBytes, signer: signer}
}

// BenchmarkFetchUnchanged is a poll that finds the branch where it was: one reference
// advertisement, no pack, no checkout.
func BenchmarkFetchUnchanged(b *testing.B) {
	fx := benchFixture(b)
	for _, tr := range []struct {
		name   string
		remote Remote
	}{{"http", fx.httpRemote()}, {"ssh", fx.sshRemote()}} {
		b.Run(tr.name, func(b *testing.B) {
			f := newTestFetcher(b, tr.remote, Ref{Branch: "main"})
			_, err := f.Fetch(testContext(b))
			require.NoError(b, err)
			b.ResetTimer()
			for range b.N {
				if _, err := f.Fetch(testContext(b)); !errors.Is(err, ErrNoChange) {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFetchChanged is a poll after a commit that changed one canary: a shallow fetch of the
// new commit and a checkout of all 2,000 files. The commit itself is not timed.
func BenchmarkFetchChanged(b *testing.B) {
	fx := benchFixture(b)
	for _, tr := range []struct {
		name   string
		remote Remote
	}{{"http", fx.httpRemote()}, {"ssh", fx.sshRemote()}} {
		b.Run(tr.name, func(b *testing.B) {
			f := newTestFetcher(b, tr.remote, Ref{Branch: "main"})
			_, err := f.Fetch(testContext(b))
			require.NoError(b, err)
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				_, err := fx.srv.CommitFiles(testContext(b), "app", "main", gitserver.Change{Files: map[string][]byte{
					fmt.Sprintf("apps/app-%04d/canary.yaml", i%benchCanaries): []byte(fmt.Sprintf("# change %s %d\n", tr.name, i)),
				}})
				require.NoError(b, err)
				b.StartTimer()
				if _, err := f.Fetch(testContext(b)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
