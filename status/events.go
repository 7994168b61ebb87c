package status

import (
	"context"
	"strings"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
)

// ReasonSynced is the reason of every Canary event, as in Flagger.
const ReasonSynced = "Synced"

// DefaultComponent is the event source of NewEventRecorder when none is given: Flagger's, so
// the field selectors and alert rules of Flagger users (source=flagger) keep matching.
const DefaultComponent = "flagger"

// EventHooks forwards events to webhooks; *webhook.Client implements it and logs its own
// failures.
type EventHooks interface {
	Event(ctx context.Context, c *v1beta1.Canary, eventType, message string) error
}

// EventsOptions configures Events.
type EventsOptions struct {
	// Hooks receives every event; none when nil.
	Hooks EventHooks
	// Log receives one line per event; discarded when zero.
	Log logr.Logger
}

// Events records what happened to canaries as Kubernetes Events, log lines and event webhooks.
type Events struct {
	recorder record.EventRecorder
	opts     EventsOptions
}

var _ engine.Recorder = (*Events)(nil)

// NewEvents returns Events writing through the recorder (see NewEventRecorder).
func NewEvents(recorder record.EventRecorder, opts EventsOptions) *Events {
	if opts.Log.GetSink() == nil {
		opts.Log = logr.Discard()
	}
	return &Events{recorder: recorder, opts: opts}
}

// Event logs the message with the key canary=<name>.<namespace> (at info level also for
// Warning events, as Flagger), records a Kubernetes Event of the type (Normal or Warning) with
// reason Synced on the Canary, and forwards it to the event webhooks, whose failures are
// logged by them and otherwise ignored.
func (e *Events) Event(ctx context.Context, c *v1beta1.Canary, eventType, message string) {
	e.opts.Log.Info(message, "canary", c.ID())
	e.recorder.Event(c, eventType, ReasonSynced, message)
	if e.opts.Hooks != nil {
		_ = e.opts.Hooks.Event(ctx, c, eventType, message)
	}
}

// NewEventRecorder starts an event broadcaster writing to the API server and returns a
// recorder for Canaries with the given source component (DefaultComponent when empty), and
// the function that stops the broadcaster.
//
// Unlike client-go's defaults, which Flagger uses, distinct messages are never merged into
// "(combined from similar events): …" and the per-object spam filter lets through a burst of
// 100 events and one a second after it, so every analysis step of a canary stays visible in
// kubectl describe. Identical messages are still counted on one Event.
func NewEventRecorder(kube kubernetes.Interface, component string) (record.EventRecorder, func()) {
	if component == "" {
		component = DefaultComponent
	}
	b := record.NewBroadcaster(record.WithCorrelatorOptions(record.CorrelatorOptions{
		BurstSize: 100,
		QPS:       1,
		KeyFunc:   byMessage,
	}))
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kube.CoreV1().Events("")})
	return b.NewRecorder(client.Scheme, corev1.EventSource{Component: component}), b.Shutdown
}

// byMessage groups events for aggregation by their full identity including the message, so
// the aggregator never rewrites one message into another.
func byMessage(event *corev1.Event) (string, string) {
	key, msg := record.EventAggregatorByReasonFunc(event)
	return strings.Join([]string{key, msg}, "\x00"), msg
}
