//go:build e2e

package scenarios

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/gitcanary/gitcanary/status/ledger"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestShards: two controllers, each with its own -shard and -overlays, split one namespace's
// canaries by the label sharding.fluxcd.io/key that their overlays give them. Each elects its
// shard's leader, applies and promotes its own canaries and never touches the other's, and
// both write the one status branch. A Canary that a shard applies with another shard's label
// is announced.
func TestShards(t *testing.T) {
	election := []string{"-enable-leader-election", "-leader-election-lease-duration", "4s",
		"-leader-election-renew-deadline", "3s", "-leader-election-retry-period", "500ms"}

	// Given podinfo in shard1 and backend in shard2, and stray (shard3, which no replica runs)
	// in shard1's overlays
	s := given(t)
	fleet := s.fleet(features{}, "podinfo", "backend", "stray")
	inShard(fleet, "podinfo", "shard1")
	inShard(fleet, "backend", "shard2")
	inShard(fleet, "stray", "shard3")
	s.push("three canaries in shards", fleet)
	one := s.startController(append([]string{"-shard", "shard1", "-overlays", "apps/podinfo,apps/stray"}, election...)...)
	two := s.startController(append([]string{"-shard", "sharding.fluxcd.io/key=shard2", "-overlays", "apps/backend"}, election...)...)

	// Then each shard elects its own leader and initializes its own canary
	s.waitPhases(2*time.Minute, map[string]v1beta1.CanaryPhase{"podinfo": v1beta1.CanaryPhaseInitialized, "backend": v1beta1.CanaryPhaseInitialized})
	for _, lease := range []string{"gitcanary-leader-election-shard1", "gitcanary-leader-election-shard2"} {
		_, err := s.kube.CoordinationV1().Leases(s.ns).Get(s.ctx, lease, metav1.GetOptions{})
		require.NoError(t, err, "Lease %s", lease)
	}
	// And the canary out of every shard is announced by the shard that applied it, and run by none
	s.eventually(time.Minute, "the ShardMismatch event on stray", func() (bool, string) {
		list, err := s.kube.CoreV1().Events(s.ns).List(s.ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=stray,reason=ShardMismatch"})
		if err != nil {
			return false, err.Error()
		}
		return len(list.Items) > 0, "no event"
	})
	require.Empty(t, s.phases("stray")["stray"].Status.Phase, "no shard runs stray")

	// When one push gives both a new version
	s.push("new versions in both shards", setImages(fleet, "6.0.1"))

	// Then both are promoted, each by its own shard only
	s.waitPhases(3*time.Minute, map[string]v1beta1.CanaryPhase{"podinfo": v1beta1.CanaryPhaseSucceeded, "backend": v1beta1.CanaryPhaseSucceeded})
	requireOnlyCanaries(t, one, s.ns+"/podinfo", s.ns+"/stray") // stray: the mismatch only
	requireOnlyCanaries(t, two, s.ns+"/backend")
	require.NotContains(t, two.Log(), `"overlay":"apps/podinfo"`, "shard2 does not apply shard1's overlays")
	require.NotContains(t, one.Log(), `"overlay":"apps/backend"`, "shard1 does not apply shard2's overlays")

	// And the status branch, written by both at once, records every transition of both canaries
	// once and in order
	for _, name := range []string{"podinfo", "backend"} {
		c := s.phases(name)[name]
		require.NotNil(t, c.Status.Journal, name)
		last := c.Status.Journal.Sequence
		var got []int64
		s.eventually(time.Minute, name+"'s transitions on the status branch", func() (bool, string) {
			snap, err := ledger.OpenLocal(s.git.RepoPath(walkthrough.RepoName), walkthrough.StatusBranch)
			if err != nil {
				return false, err.Error()
			}
			history, err := snap.History(s.ns + "/" + name)
			if err != nil {
				return false, err.Error()
			}
			got = nil
			for i := len(history) - 1; i >= 0; i-- { // oldest first
				got = append(got, history[i].Sequences...)
			}
			return len(got) > 0 && got[len(got)-1] == last, fmt.Sprint(got)
		})
		want := make([]int64, last)
		for i := range want {
			want[i] = int64(i + 1)
		}
		require.Equal(t, want, got, "%s: every transition from 1 to %d, in order, none twice", name, last)
	}
}

// inShard labels every object of the overlay apps/<name> with the shard key, as a user does
// with kustomize's labels.
func inShard(o walkthrough.Overlay, name, key string) {
	path := "apps/" + name + "/kustomization.yaml"
	o[path] = append(o[path], []byte("labels:\n- pairs:\n    sharding.fluxcd.io/key: "+key+"\n")...)
}

// requireOnlyCanaries checks that the controller's log names exactly the canaries want.
func requireOnlyCanaries(t *testing.T, c *walkthrough.Controller, want ...string) {
	t.Helper()
	seen := map[string]bool{}
	for _, line := range strings.Split(c.Log(), "\n") {
		if i := strings.Index(line, `"canary":"`); i >= 0 {
			key := line[i+len(`"canary":"`):]
			seen[key[:strings.IndexByte(key, '"')]] = true
		}
	}
	wantSet := map[string]bool{}
	for _, w := range want {
		wantSet[w] = true
	}
	require.Equal(t, wantSet, seen, "the canaries in %s", c.LogPath)
}
