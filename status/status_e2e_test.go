//go:build e2e

package status

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

func TestMain(m *testing.M) { env.Main(m, env.Options{}) }

// Given a Canary in a real cluster, when the Store writes its status (also with a stale copy
// after another writer changed it) and its finalizer, then the API server, kubectl's printer
// columns and kubectl wait see them, and removing the finalizer lets the Canary go.
func TestStoreAgainstAPIServer(t *testing.T) {
	e := env.Get(t)
	ctx := t.Context()
	applyFlaggerCRDs(t, e)
	ns := e.Namespace(t)
	fc, err := client.New(e.RESTConfig())
	require.NoError(t, err)
	created, err := fc.Canaries(ns).Create(ctx, newCanary(func(c *v1beta1.Canary) { c.Namespace = ns; c.UID = "" }), metav1.CreateOptions{})
	require.NoError(t, err)
	store := NewStore(fc, startInformer(t, fc, ns))
	e.WaitFor(t, 30*time.Second, "the informer to see the Canary", func(ctx context.Context) error {
		_, err := store.Get(ctx, ns, "podinfo")
		return err
	})

	// When: a first status write, a concurrent metadata change, then a write from the stale copy.
	status := progressing()
	status.LastTransitionTime = metav1.NewTime(time.Now().Truncate(time.Second))
	require.NoError(t, store.WriteStatus(ctx, created, status))
	_, err = fc.Canaries(ns).Patch(ctx, created.Name, types.MergePatchType, []byte(`{"metadata":{"labels":{"team":"payments"}}}`), metav1.PatchOptions{})
	require.NoError(t, err)
	status.CanaryWeight = 20
	status.Conditions[0].Status = corev1.ConditionTrue
	require.NoError(t, store.WriteStatus(ctx, created, status))
	require.NoError(t, store.SetFinalizer(ctx, created, true))

	// Then
	got, err := store.Get(ctx, ns, "podinfo")
	require.NoError(t, err)
	require.Equal(t, status.Phase, got.Status.Phase)
	require.Equal(t, 20, got.Status.CanaryWeight)
	require.Equal(t, status.TrackedConfigs, got.Status.TrackedConfigs)
	require.True(t, status.LastTransitionTime.Equal(&got.Status.LastTransitionTime))
	require.Equal(t, "payments", got.Labels["team"], "the concurrent writer's change survives")
	require.Equal(t, []string{v1beta1.Finalizer}, got.Finalizers)
	require.Equal(t, created.Spec, got.Spec, "status writes never touch the spec")

	out, err := e.Kubectl(ctx, "-n", ns, "get", "canaries")
	require.NoError(t, err)
	t.Logf("kubectl get canaries:\n%s", out)
	require.Regexp(t, `(?m)^NAME\s+STATUS\s+WEIGHT\s+LASTTRANSITIONTIME\s*$`, strings.SplitN(out, "\n", 2)[0])
	require.Regexp(t, `(?m)^podinfo\s+Progressing\s+20\s+`, out)
	_, err = e.Kubectl(ctx, "-n", ns, "wait", "canary/podinfo", "--for=condition=promoted", "--timeout=10s")
	require.NoError(t, err, "kubectl wait --for=condition=promoted, the documented CI pattern")

	// The finalizer holds a deletion until it is removed.
	require.NoError(t, fc.Canaries(ns).Delete(ctx, "podinfo", metav1.DeleteOptions{}))
	var held *v1beta1.Canary
	e.WaitFor(t, 30*time.Second, "the informer to see the deletion", func(ctx context.Context) error {
		if held, err = store.Get(ctx, ns, "podinfo"); err == nil && held.DeletionTimestamp == nil {
			return fmt.Errorf("no deletion timestamp yet")
		}
		return err
	})
	require.NoError(t, store.SetFinalizer(ctx, held, false))
	e.WaitFor(t, 30*time.Second, "Canary "+ns+"/podinfo deleted", func(ctx context.Context) error {
		if _, err := store.Get(ctx, ns, "podinfo"); err == nil {
			return fmt.Errorf("still there")
		}
		return nil
	})
}

// Given a Canary in a real cluster, when Events records a run's worth of events, then every
// one is a Kubernetes Event with reason Synced on the Canary, in kubectl describe too.
func TestEventsAgainstAPIServer(t *testing.T) {
	e := env.Get(t)
	ctx := t.Context()
	applyFlaggerCRDs(t, e)
	ns := e.Namespace(t)
	fc, err := client.New(e.RESTConfig())
	require.NoError(t, err)
	c, err := fc.Canaries(ns).Create(ctx, newCanary(func(c *v1beta1.Canary) { c.Namespace = ns; c.UID = "" }), metav1.CreateOptions{})
	require.NoError(t, err)
	rec, stop := NewEventRecorder(e.Client(), "")
	t.Cleanup(stop)
	events := NewEvents(rec, EventsOptions{})

	key := "podinfo." + ns
	want := map[string]string{
		"New revision detected! Scaling up " + key: corev1.EventTypeNormal,
		"Starting canary analysis for " + key:      corev1.EventTypeNormal,
	}
	for w := 5; w <= 50; w += 5 {
		want[fmt.Sprintf("Advance %s canary weight %d", key, w)] = corev1.EventTypeNormal
	}
	want["Halt "+key+" advancement success rate 69.17% < 99%"] = corev1.EventTypeWarning
	want["Rolling back "+key+" failed checks threshold reached 5"] = corev1.EventTypeWarning
	for msg, typ := range want {
		events.Event(ctx, c, typ, msg)
	}

	selector := fields.Set{"involvedObject.kind": "Canary", "involvedObject.name": "podinfo"}.AsSelector().String()
	e.WaitFor(t, 30*time.Second, "every event of "+key+" in the API server", func(ctx context.Context) error {
		list, err := e.Client().CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: selector})
		if err != nil {
			return err
		}
		got := map[string]string{}
		for _, ev := range list.Items {
			if ev.Reason != ReasonSynced || ev.InvolvedObject.UID != c.UID || ev.Source.Component != DefaultComponent {
				return fmt.Errorf("unexpected event %+v", ev)
			}
			got[ev.Message] = ev.Type
		}
		if len(got) != len(want) {
			return fmt.Errorf("%d of %d events", len(got), len(want))
		}
		for msg, typ := range want {
			if got[msg] != typ {
				return fmt.Errorf("event %q: type %q, want %q", msg, got[msg], typ)
			}
		}
		return nil
	})

	out, err := e.Kubectl(ctx, "-n", ns, "describe", "canary", "podinfo")
	require.NoError(t, err)
	require.Contains(t, out, "Synced")
	require.Contains(t, out, "Rolling back "+key+" failed checks threshold reached 5")
}

// startInformer runs a Canary informer of ns until the test ends and returns its synced store.
func startInformer(t *testing.T, fc *client.Client, ns string) cache.Store {
	t.Helper()
	inf := cache.NewSharedIndexInformer(fc.Canaries(ns).ListWatch(), &v1beta1.Canary{}, 0, cache.Indexers{})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go inf.Run(ctx.Done())
	require.True(t, cache.WaitForCacheSync(ctx.Done(), inf.HasSynced))
	return inf.GetStore()
}

// applyFlaggerCRDs installs the flagger.app CRDs of manifests/crds.
func applyFlaggerCRDs(t *testing.T, e *env.Env) {
	t.Helper()
	files, err := filepath.Glob("../manifests/crds/flagger.app_*.yaml")
	require.NoError(t, err)
	require.Len(t, files, 3)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, e.ApplyCRD(t.Context(), data), "apply %s", f)
	}
}
