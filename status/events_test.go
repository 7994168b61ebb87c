package status

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/api/v1beta1/canarytest"
	"github.com/go-logr/logr/funcr"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
)

// hookCall is one event forwarded to the hooks.
type hookCall struct{ canary, eventType, message string }

type fakeHooks struct {
	mu    sync.Mutex
	calls []hookCall
	err   error
}

func (h *fakeHooks) Event(_ context.Context, c *v1beta1.Canary, eventType, message string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, hookCall{c.EventName(), eventType, message})
	return h.err
}

func TestEvent(t *testing.T) {
	tests := []struct {
		name      string
		eventType string
		message   string
		hookErr   error
	}{
		{name: "normal", eventType: corev1.EventTypeNormal, message: "Advance podinfo.test canary weight 5"},
		{name: "warning is logged at info", eventType: corev1.EventTypeWarning, message: "Halt podinfo.test advancement success rate 69.17% < 99%"},
		{name: "hook failure is ignored", eventType: corev1.EventTypeNormal, message: "Starting canary analysis for podinfo.test", hookErr: errors.New("receiver down")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := record.NewFakeRecorder(10)
			hooks := &fakeHooks{err: tt.hookErr}
			var logged []string
			log := funcr.New(func(prefix, args string) { logged = append(logged, args) }, funcr.Options{Verbosity: 0})
			e := NewEvents(rec, EventsOptions{Hooks: hooks, Log: log})

			e.Event(t.Context(), newCanary(), tt.eventType, tt.message)

			require.Equal(t, fmt.Sprintf("%s Synced %s", tt.eventType, tt.message), <-rec.Events)
			require.Equal(t, []hookCall{{"podinfo.test", tt.eventType, tt.message}}, hooks.calls)
			require.Len(t, logged, 1)
			require.Contains(t, logged[0], fmt.Sprintf("%q", tt.message))
			require.Contains(t, logged[0], `"level"=0`, "logged at info level")
			require.Contains(t, logged[0], `"canary"="test/podinfo"`)
		})
	}
}

func TestEventWithoutHooks(t *testing.T) {
	rec := record.NewFakeRecorder(1)
	NewEvents(rec, EventsOptions{}).Event(t.Context(), newCanary(), corev1.EventTypeNormal, "Initialization done! podinfo.test")
	require.Equal(t, "Normal Synced Initialization done! podinfo.test", <-rec.Events)
}

// TestEventRecorderWritesEvents records through a real broadcaster into a fake clientset.
func TestEventRecorderWritesEvents(t *testing.T) {
	kube := fake.NewClientset()
	rec, stop := NewEventRecorder(kube, "")
	t.Cleanup(stop)
	e := NewEvents(rec, EventsOptions{})
	c := newCanary()
	c.TypeMeta = metav1.TypeMeta{} // as decoded by a typed client

	// More messages than client-go's defaults would let through unmerged (10) or unfiltered (25).
	var want []string
	for w := 5; w <= 150; w += 5 {
		msg := fmt.Sprintf("Advance podinfo.test canary weight %d", w)
		want = append(want, msg)
		e.Event(t.Context(), c, corev1.EventTypeNormal, msg)
	}
	e.Event(t.Context(), c, corev1.EventTypeWarning, "Rolling back podinfo.test failed checks threshold reached 5")
	want = append(want, "Rolling back podinfo.test failed checks threshold reached 5")

	var events []corev1.Event
	require.Eventually(t, func() bool {
		list, err := kube.CoreV1().Events("test").List(t.Context(), metav1.ListOptions{})
		require.NoError(t, err)
		events = list.Items
		return len(events) == len(want)
	}, 10*time.Second, 20*time.Millisecond, "not every event was written")

	var got []string
	for _, ev := range events {
		require.Equal(t, ReasonSynced, ev.Reason)
		require.Equal(t, "flagger", ev.Source.Component, "Flagger's source, which its users filter on")
		require.Equal(t, corev1.ObjectReference{
			Kind: "Canary", Namespace: "test", Name: "podinfo", UID: canarytest.UID, APIVersion: "flagger.app/v1beta1",
		}, ev.InvolvedObject)
		got = append(got, ev.Message)
		if ev.Message == want[len(want)-1] {
			require.Equal(t, corev1.EventTypeWarning, ev.Type)
		}
	}
	require.ElementsMatch(t, want, got, "no event is dropped or merged")
}
