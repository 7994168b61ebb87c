package enginetest

import (
	"context"
	"slices"
	"sync"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// Event is an event recorded by Recorder.
type Event struct {
	Type, Message string
	// Phase is the canary's phase as event webhooks would see it.
	Phase v1beta1.CanaryPhase
}

// Recorder is a fake engine.Recorder that keeps the events.
type Recorder struct {
	journal *Journal
	mu      sync.Mutex
	events  []Event
}

var _ engine.Recorder = (*Recorder)(nil)

// NewRecorder returns a Recorder that records into j.
func NewRecorder(j *Journal) *Recorder { return &Recorder{journal: j} }

// Event implements engine.Recorder.
func (f *Recorder) Event(_ context.Context, c *v1beta1.Canary, eventType, message string) {
	f.journal.add("Recorder", "Event", "%s %q phase=%s", eventType, message, c.Status.Phase)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, Event{Type: eventType, Message: message, Phase: c.Status.Phase})
}

// Events returns the events recorded so far.
func (f *Recorder) Events() []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

// Messages returns the messages of the events recorded so far.
func (f *Recorder) Messages() []string {
	var out []string
	for _, e := range f.Events() {
		out = append(out, e.Message)
	}
	return out
}

// Notifier is a fake engine.Notifier that keeps the notifications.
type Notifier struct {
	failures
	journal *Journal
	mu      sync.Mutex
	sent    []engine.Notification
}

var _ engine.Notifier = (*Notifier)(nil)

// NewNotifier returns a Notifier that records into j.
func NewNotifier(j *Journal) *Notifier { return &Notifier{journal: j} }

// Notify implements engine.Notifier. A notification is kept even when Fail("Notify") makes it
// return an error.
func (f *Notifier) Notify(_ context.Context, _ *v1beta1.Canary, n engine.Notification) error {
	meta := ""
	if n.WithMetadata {
		meta = "metadata"
	}
	f.journal.add("Notifier", "Notify", "%s", join(string(n.Severity), quote(n.Message), meta))
	f.mu.Lock()
	f.sent = append(f.sent, n)
	f.mu.Unlock()
	return f.err("Notify")
}

// Sent returns the notifications sent so far.
func (f *Notifier) Sent() []engine.Notification {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sent)
}

// Telemetry is a fake engine.Telemetry that keeps the tick reports.
type Telemetry struct {
	journal *Journal
	mu      sync.Mutex
	reports []engine.TickReport
}

var _ engine.Telemetry = (*Telemetry)(nil)

// NewTelemetry returns a Telemetry that records into j.
func NewTelemetry(j *Journal) *Telemetry { return &Telemetry{journal: j} }

// Record implements engine.Telemetry.
func (f *Telemetry) Record(c *v1beta1.Canary, r engine.TickReport) {
	f.journal.add("Telemetry", "Record", "%s phase=%s", c.EventName(), r.Phase)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reports = append(f.reports, r)
}

// Reports returns the reports recorded so far.
func (f *Telemetry) Reports() []engine.TickReport {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reports)
}
