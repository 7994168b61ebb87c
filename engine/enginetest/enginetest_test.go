package enginetest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/engine/enginetest"
)

func canary() *v1beta1.Canary {
	return &v1beta1.Canary{ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Namespace: "test"}}
}

func TestJournalKeepsTheOrderAcrossFakes(t *testing.T) {
	w := enginetest.NewWorld()
	ctx, c := context.Background(), canary()
	require.NoError(t, w.Workloads.EnsurePrimary(ctx, c))
	require.NoError(t, w.Router.Reconcile(ctx, c))
	require.NoError(t, w.Router.SetRoutes(ctx, c, engine.Routes{Primary: 95, Canary: 5}))
	w.Recorder.Event(ctx, c, "Normal", "Advance podinfo.test canary weight 5")
	mark := w.Journal.Len()
	require.NoError(t, w.Scaler.ScaleToZero(ctx, c))
	require.Equal(t, []string{
		"Workloads.EnsurePrimary podinfo.test",
		"Router.Reconcile podinfo.test",
		"Router.SetRoutes 95/5",
		`Recorder.Event Normal "Advance podinfo.test canary weight 5" phase=`,
		"Scaler.ScaleToZero podinfo.test",
	}, enginetest.Lines(w.Journal.Calls()))
	require.Equal(t, []string{"Scaler.ScaleToZero podinfo.test"}, enginetest.Lines(w.Journal.Since(mark)))
	require.Equal(t, []string{"Router.SetRoutes 95/5"}, enginetest.Lines(w.Journal.Calls(), "Router")[1:])
	w.Journal.Reset()
	require.Zero(t, w.Journal.Len())
}

func TestRouterNeedsReconcileFirst(t *testing.T) {
	w := enginetest.NewWorld()
	ctx, c := context.Background(), canary()
	_, err := w.Router.Routes(ctx, c)
	require.ErrorContains(t, err, "TrafficSplit podinfo.test get query error")
	require.Error(t, w.Router.SetRoutes(ctx, c, engine.Routes{Primary: 90, Canary: 10}))
	require.NoError(t, w.Router.Reconcile(ctx, c))
	r, err := w.Router.Routes(ctx, c)
	require.NoError(t, err)
	require.Equal(t, engine.Routes{Primary: 100}, r)
	w.Router.Fail("SetRoutes", errors.New("conflict"))
	require.EqualError(t, w.Router.SetRoutes(ctx, c, engine.Routes{Primary: 90, Canary: 10}), "conflict")
	w.Router.Fail("SetRoutes", nil)
	require.NoError(t, w.Router.SetRoutes(ctx, c, engine.Routes{Primary: 100, Mirror: true}))
	r, err = w.Router.Routes(ctx, c)
	require.NoError(t, err)
	require.Equal(t, engine.Routes{Primary: 100, Mirror: true}, r)
	require.True(t, w.Router.Mirrored())
	lines := enginetest.Lines(w.Journal.Calls(), "Router")
	require.Equal(t, "Router.SetRoutes 100/0 mirror", lines[len(lines)-2])
}

func TestMetricsAnswerTheirQueue(t *testing.T) {
	w := enginetest.NewWorld()
	ctx, c := context.Background(), canary()
	m := v1beta1.CanaryMetric{Name: "error-rate"}
	_, err := w.Metrics.Query(ctx, c, m)
	var me *engine.MetricError
	require.ErrorAs(t, err, &me)
	require.Equal(t, engine.MetricNoData, me.Failure)
	w.Metrics.Set("error-rate", 1, 2)
	var got []float64
	for range 3 {
		s, err := w.Metrics.Query(ctx, c, m)
		require.NoError(t, err)
		got = append(got, s.Value)
	}
	require.Equal(t, []float64{1, 2, 2}, got)
	w.Metrics.SetError("error-rate", errors.New("down"))
	_, err = w.Metrics.Query(ctx, c, m)
	require.EqualError(t, err, "down")
}

func TestCanariesDeleteWhenTheLastFinalizerGoes(t *testing.T) {
	w := enginetest.NewWorld()
	ctx, c := context.Background(), canary()
	_, err := w.Canaries.Get(ctx, "test", "podinfo")
	require.True(t, apierrors.IsNotFound(err))
	w.Canaries.Put(c)
	require.NoError(t, w.Canaries.SetFinalizer(ctx, c, true))
	require.Equal(t, []string{v1beta1.Finalizer}, w.Canaries.Stored("test", "podinfo").Finalizers)
	require.NoError(t, w.Canaries.WriteStatus(ctx, c, v1beta1.CanaryStatus{Phase: v1beta1.CanaryPhaseTerminated}))
	require.Equal(t, 1, w.Canaries.StatusWrites())
	require.True(t, w.Canaries.Update("test", "podinfo", func(c *v1beta1.Canary) {
		now := metav1.Now()
		c.DeletionTimestamp = &now
	}))
	require.NoError(t, w.Canaries.SetFinalizer(ctx, c, false))
	require.Nil(t, w.Canaries.Stored("test", "podinfo"))
}

func TestHooksAnswer2xxUnlessSet(t *testing.T) {
	w := enginetest.NewWorld()
	ctx, c := context.Background(), canary()
	h := v1beta1.CanaryWebhook{Name: "load-test"}
	require.NoError(t, w.Hooks.Call(ctx, c, h, v1beta1.CanaryPhaseProgressing))
	w.Hooks.Set("load-test", errors.New("Forbidden"))
	require.EqualError(t, w.Hooks.Call(ctx, c, h, v1beta1.CanaryPhaseProgressing), "Forbidden")
	require.Equal(t, []string{
		"Hooks.Call rollout load-test phase=Progressing",
		"Hooks.Call rollout load-test phase=Progressing",
	}, enginetest.Lines(w.Journal.Calls()))
}
