//go:build e2e

package scenarios

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The repository is untrusted input (issue 10, docs/security.md): a commit that makes kustomize
// panic, empties an overlay, holds a YAML bomb or names a remote base must leave the controller
// running, every other overlay syncing, every analysis going, and must prune nothing.

// extraOverlay is a second overlay beside podinfo's: one ConfigMap, and the files given.
func (s *scenario) extraOverlay(kustomization string, files map[string]string) walkthrough.Overlay {
	o := walkthrough.Overlay{
		"apps/extra/kustomization.yaml": []byte("namespace: " + s.ns + "\n" + kustomization),
		"apps/extra/settings.yaml":      []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra-settings}\ndata: {colour: blue}\n"),
	}
	for name, content := range files {
		o["apps/extra/"+name] = []byte(content)
	}
	return o
}

// laughs is a "billion laughs" ConfigMap: about 387 million nodes once kustomize expands it.
func laughs() string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n")
	prev := `"lol"`
	for i := range 9 {
		fmt.Fprintf(&b, "  l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(prev+",", 9), ","))
		prev = fmt.Sprintf("*l%d", i)
	}
	return b.String()
}

// extraSettingsExist reports whether the extra overlay's ConfigMap is in the cluster.
func (s *scenario) extraSettingsExist() (bool, string) {
	_, err := s.kube.CoreV1().ConfigMaps(s.ns).Get(s.ctx, "extra-settings", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, "extra-settings is gone"
	}
	return err == nil, fmt.Sprint(err)
}

// TestHostileCommitsLeaveOthersRunning pushes, one after the other while podinfo's analysis
// runs, commits that break a second overlay in every way issue 10 found, then removes it.
func TestHostileCommitsLeaveOthersRunning(t *testing.T) {
	t.Parallel()
	// Given podinfo and a second overlay, synced, and an analysis of podinfo 6.0.1 under way
	s := given(t)
	s.interval = "4s"
	o := s.podinfoOverlay()
	o.Edit("canary.yaml", func(text string) string { return strings.Replace(text, "stepWeight: 5", "stepWeight: 2", 1) })
	for name, content := range s.extraOverlay("resources: [settings.yaml]\n", nil) {
		o[name] = content
	}
	s.push("podinfo and extra", o)
	s.startController()
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)
	s.eventually(time.Minute, "extra-settings applied", s.extraSettingsExist)
	s.push("podinfo 6.0.1", o.Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))
	s.waitWeight(2, 2*time.Minute)

	// When commits break the extra overlay, each waited for until the controller refused it
	hostile := []struct {
		name, kustomization string
		files               map[string]string
		refusal             string
	}{
		{name: "a comma in a name (kustomize panics)", kustomization: "resources: [settings.yaml, comma.yaml]\n",
			files: map[string]string{"comma.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"a,b\"}\n"}, refusal: "recovered panic"},
		{name: "an empty render", kustomization: "resources: []\n", refusal: "apps/extra: renders no objects"},
		{name: "a YAML bomb", kustomization: "resources: [settings.yaml, bomb.yaml]\n",
			files: map[string]string{"bomb.yaml": laughs()}, refusal: "apps/extra/bomb.yaml: its YAML documents, aliases expanded: over the limit"},
		{name: "a remote base", kustomization: "resources:\n  - settings.yaml\n  - github.com/example/repo//deploy?ref=v1\n",
			refusal: "remote reference \\\"github.com/example/repo//deploy?ref=v1\\\""},
		{name: "a PatchTransformer fetching a URL", kustomization: "resources: [settings.yaml]\ntransformers:\n  - |\n    apiVersion: builtin\n    kind: PatchTransformer\n    metadata: {name: p}\n    path: http://example.com/p.yaml\n",
			refusal: "PatchTransformer \\\"p\\\" path: remote reference"},
	}
	for _, h := range hostile {
		extra := s.extraOverlay(h.kustomization, h.files)
		for name := range o {
			if strings.HasPrefix(name, "apps/extra/") {
				if _, kept := extra[name]; !kept {
					extra[name] = nil // deleted in this commit
				}
			}
		}
		s.push(h.name, extra)
		s.eventually(time.Minute, "the controller to refuse "+h.name, func() (bool, string) {
			return strings.Contains(s.ctrl.Log(), h.refusal), "not refused yet"
		})
		// Then nothing of the extra overlay was pruned, and the controller runs on
		if ok, state := s.extraSettingsExist(); !ok {
			t.Fatalf("after %s: %s", h.name, state)
		}
		require.False(t, s.ctrl.Exited(), "after %s", h.name)
		for name, content := range extra {
			if content == nil {
				delete(o, name)
			} else {
				o[name] = content
			}
		}
	}
	s.thenMetricsShow(`gitcanary_sync_overlay_ready{overlay="apps/extra"} 0`, `gitcanary_sync_overlay_ready{overlay="apps/podinfo"} 1`)

	// When the extra overlay is deleted from Git
	gone := walkthrough.Overlay{}
	for name := range o {
		if strings.HasPrefix(name, "apps/extra/") {
			gone[name] = nil
		}
	}
	s.push("remove extra", gone)

	// Then it is orphaned, not pruned, and podinfo's analysis went on to the end
	s.thenMetricsShow(`gitcanary_overlay_orphaned{overlay="apps/extra"} 1`)
	ok, state := s.extraSettingsExist()
	require.True(t, ok, state)
	s.waitPhase(v1beta1.CanaryPhaseSucceeded, 4*time.Minute)
	requireInOrder(t, s.events(), []string{"New revision detected! Scaling up " + s.key(), "Advance " + s.key() + " canary weight 50",
		"Promotion completed! Scaling down " + s.key()})
	require.False(t, s.ctrl.Exited())
	require.NotContains(t, s.ctrl.Log(), "goroutine ", "no panic reached the log")
}
