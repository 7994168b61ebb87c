package controller

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

var queueNow = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

// cachedCanary is a Canary in namespace/name with phase and resource version "1".
func cachedCanary(key string, phase v1beta1.CanaryPhase) *v1beta1.Canary {
	ns, name, _ := cache.SplitMetaNamespaceKey(key)
	return &v1beta1.Canary{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, ResourceVersion: "1"},
		Status: v1beta1.CanaryStatus{Phase: phase}}
}

// waitingSince is a canary in the queue since the given minutes before queueNow.
func waitingSince(key string, minutes int) *v1beta1.Canary {
	c := cachedCanary(key, v1beta1.CanaryPhaseWaiting)
	c.Status.Queue = &v1beta1.CanaryQueueStatus{Since: metav1.NewTime(queueNow.Add(-time.Duration(minutes) * time.Minute))}
	return c
}

func newTestAdmission(t *testing.T, limit, perNamespace int, cached ...*v1beta1.Canary) (*admission, cache.Store) {
	t.Helper()
	store := cache.NewStore(cache.MetaNamespaceKeyFunc)
	for _, c := range cached {
		require.NoError(t, store.Add(c))
	}
	a, err := newAdmission(store, limit, perNamespace, prometheus.NewRegistry())
	require.NoError(t, err)
	return a, store
}

func TestAdmissionCaps(t *testing.T) {
	tests := []struct {
		name                string
		limit, perNamespace int
		cached              []*v1beta1.Canary
		asking              *v1beta1.Canary
		want                engine.AdmissionResult
	}{{
		name:   "a free slot admits",
		limit:  2,
		cached: []*v1beta1.Canary{cachedCanary("a/one", v1beta1.CanaryPhaseProgressing), cachedCanary("a/idle", v1beta1.CanaryPhaseSucceeded)},
		asking: cachedCanary("b/new", v1beta1.CanaryPhaseSucceeded),
		want:   engine.Admitted,
	}, {
		name:  "every phase of an analysis holds a slot",
		limit: 4,
		cached: []*v1beta1.Canary{cachedCanary("a/1", v1beta1.CanaryPhaseProgressing), cachedCanary("a/2", v1beta1.CanaryPhaseWaitingPromotion),
			cachedCanary("a/3", v1beta1.CanaryPhasePromoting), cachedCanary("a/4", v1beta1.CanaryPhaseFinalising)},
		asking: cachedCanary("b/new", v1beta1.CanaryPhaseSucceeded),
		want:   engine.AdmissionResult{Position: 1, Running: 4, Limit: 4},
	}, {
		name:   "a newcomer queues behind the waiting canaries",
		limit:  1,
		cached: []*v1beta1.Canary{cachedCanary("a/one", v1beta1.CanaryPhaseProgressing), waitingSince("a/early", 2), waitingSince("c/later", 1)},
		asking: cachedCanary("b/new", v1beta1.CanaryPhaseSucceeded),
		want:   engine.AdmissionResult{Position: 3, Running: 1, Limit: 1},
	}, {
		name:   "a free slot goes to the first in the queue, not to a later one",
		limit:  2,
		cached: []*v1beta1.Canary{cachedCanary("a/one", v1beta1.CanaryPhaseProgressing), waitingSince("a/early", 2)},
		asking: waitingSince("b/later", 1),
		want:   engine.AdmissionResult{Position: 2, Running: 1, Limit: 2},
	}, {
		name:   "the first in the queue gets the free slot",
		limit:  2,
		cached: []*v1beta1.Canary{cachedCanary("a/one", v1beta1.CanaryPhaseProgressing), waitingSince("b/later", 1)},
		asking: waitingSince("a/early", 2),
		want:   engine.Admitted,
	}, {
		name:   "equal times are served by namespace/name",
		limit:  1,
		cached: []*v1beta1.Canary{waitingSince("a/x", 1)},
		asking: waitingSince("a/w", 1),
		want:   engine.Admitted,
	}, {
		name:         "a full namespace holds its canary and names itself",
		perNamespace: 1,
		cached:       []*v1beta1.Canary{cachedCanary("x/one", v1beta1.CanaryPhaseProgressing), cachedCanary("y/one", v1beta1.CanaryPhaseProgressing)},
		asking:       cachedCanary("x/two", v1beta1.CanaryPhaseSucceeded),
		want:         engine.AdmissionResult{Position: 1, Running: 1, Limit: 1, Namespace: "x"},
	}, {
		name:         "a canary held by its namespace does not hold another namespace's",
		limit:        3,
		perNamespace: 1,
		cached:       []*v1beta1.Canary{cachedCanary("x/one", v1beta1.CanaryPhaseProgressing), waitingSince("x/two", 5)},
		asking:       waitingSince("y/one", 1),
		want:         engine.Admitted,
	}, {
		name:         "the global cap is named when the namespace has room",
		limit:        1,
		perNamespace: 2,
		cached:       []*v1beta1.Canary{cachedCanary("x/one", v1beta1.CanaryPhaseProgressing)},
		asking:       cachedCanary("y/one", v1beta1.CanaryPhaseInitialized),
		want:         engine.AdmissionResult{Position: 1, Running: 1, Limit: 1},
	}, {
		name:  "suspended and deleted canaries leave the queue",
		limit: 1,
		cached: []*v1beta1.Canary{
			func() *v1beta1.Canary { c := waitingSince("a/suspended", 5); c.Spec.Suspend = true; return c }(),
			func() *v1beta1.Canary {
				c := waitingSince("a/deleted", 5)
				c.DeletionTimestamp = &metav1.Time{Time: queueNow}
				return c
			}(),
		},
		asking: cachedCanary("b/new", v1beta1.CanaryPhaseSucceeded),
		want:   engine.Admitted,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := newTestAdmission(t, tt.limit, tt.perNamespace, tt.cached...)
			require.Equal(t, tt.want, a.Admit(tt.asking, queueNow))
		})
	}
}

// Two canaries admitted before the cache shows either status do not share one slot; the
// reservation ends when the cache shows the new status, or after reservationTTL.
func TestAdmissionReservesUntilTheCacheCatchesUp(t *testing.T) {
	first, second := cachedCanary("a/first", v1beta1.CanaryPhaseSucceeded), cachedCanary("a/second", v1beta1.CanaryPhaseSucceeded)
	a, store := newTestAdmission(t, 1, 0, first, second)
	require.True(t, a.Admit(first, queueNow).Admitted)
	require.Equal(t, engine.AdmissionResult{Position: 1, Running: 1, Limit: 1}, a.Admit(second, queueNow), "the slot is reserved")

	// The first's status write failed: the reservation expires.
	require.True(t, a.Admit(second, queueNow.Add(reservationTTL+time.Second)).Admitted)

	// The second's status reaches the cache, in a phase that holds the slot.
	running := second.DeepCopy()
	running.ResourceVersion, running.Status.Phase = "2", v1beta1.CanaryPhaseProgressing
	require.NoError(t, store.Update(running))
	require.False(t, a.Admit(first, queueNow.Add(reservationTTL+2*time.Second)).Admitted)

	// It ends its analysis: the slot is free.
	done := running.DeepCopy()
	done.ResourceVersion, done.Status.Phase = "3", v1beta1.CanaryPhaseSucceeded
	require.NoError(t, store.Update(done))
	require.True(t, a.Admit(first, queueNow.Add(reservationTTL+3*time.Second)).Admitted)
	require.Len(t, a.reserved, 1, "only the last admission is reserved")
}

// next names the queued canaries that free slots are for, in queue order, and sets the gauges.
func TestAdmissionNext(t *testing.T) {
	a, store := newTestAdmission(t, 2, 0, cachedCanary("a/one", v1beta1.CanaryPhaseProgressing), cachedCanary("a/two", v1beta1.CanaryPhasePromoting),
		waitingSince("b/second", 1), waitingSince("c/first", 2), waitingSince("d/third", 0))
	require.Empty(t, a.next(queueNow))
	require.Equal(t, 3.0, testutil.ToFloat64(a.queueLength))
	require.Equal(t, 2.0, testutil.ToFloat64(a.running))

	require.NoError(t, store.Delete(cachedCanary("a/two", "")))
	require.Equal(t, []string{"c/first"}, a.next(queueNow))
	require.NoError(t, store.Delete(cachedCanary("a/one", "")))
	require.Equal(t, []string{"c/first", "b/second"}, a.next(queueNow))
	require.Equal(t, 0.0, testutil.ToFloat64(a.running))
}

func TestSlotChanged(t *testing.T) {
	idle, running := cachedCanary("a/x", v1beta1.CanaryPhaseSucceeded), cachedCanary("a/x", v1beta1.CanaryPhaseProgressing)
	require.True(t, slotChanged(running, idle))
	require.True(t, slotChanged(idle, running))
	require.True(t, slotChanged(waitingSince("a/x", 1), running))
	require.False(t, slotChanged(running, running.DeepCopy()))
	require.False(t, slotChanged(idle, cachedCanary("a/x", v1beta1.CanaryPhaseFailed)))
}

func TestAutoWorkers(t *testing.T) {
	for n, want := range map[int]int{0: 2, 49: 2, 50: 3, 100: 4, 1000: 22, 1500: 32, 100000: 32} {
		require.Equal(t, want, autoWorkers(n), "%d canaries", n)
	}
}
