package engine

import (
	"context"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// Journal connects the engine to the status ledger. With it, every tick that makes a
// transition numbers it and keeps it in the Canary's status (status.journal) until the ledger
// has committed it, so the transition and the status that makes it are written in one request
// and a crash between the two cannot lose or repeat one.
type Journal interface {
	// Committed returns the sequence number of c's last transition that the ledger committed,
	// or 0 when it does not know.
	Committed(c *v1beta1.Canary) int64
	// SourceCommit returns the Git commit that applied c, or "" when unknown.
	SourceCommit(c *v1beta1.Canary) string
}

// transitionFacts are what a transition records besides the status.
type transitionFacts struct {
	events []v1beta1.TransitionEvent
	// checked is true when the tick ran checks: their evidence is then next.analysis.checks.
	checked   bool
	images    string
	source    string
	committed int64
	now       time.Time
}

// isTransition tells whether next differs from prev in what the ledger records: phase, weight,
// failed checks, iterations or revision.
func isTransition(prev, next *v1beta1.CanaryStatus) bool {
	return next.Phase != "" && (prev.Phase != next.Phase || prev.CanaryWeight != next.CanaryWeight ||
		prev.FailedChecks != next.FailedChecks || prev.Iterations != next.Iterations ||
		prev.LastAppliedSpec != next.LastAppliedSpec)
}

// journal adds the transition from prev to next to next's journal, drops what the ledger has
// committed and returns the transition; nil when there is none. Besides the changes of
// isTransition, a Waiting canary whose source commit moved makes a transition, so that the
// status branch names the revision its gates wait for.
func journal(prev, next *v1beta1.CanaryStatus, f transitionFacts) *v1beta1.CanaryTransition {
	var j v1beta1.CanaryJournal
	if prev.Journal != nil {
		j = *prev.Journal.DeepCopy()
	}
	moved := next.Phase == v1beta1.CanaryPhaseWaiting && f.source != "" && f.source != j.SourceCommit
	if !isTransition(prev, next) && !moved {
		return nil
	}
	j.Sequence++
	if f.source != "" {
		j.SourceCommit = f.source
	}
	t := v1beta1.CanaryTransition{
		Sequence: j.Sequence, Time: metav1.NewTime(f.now.UTC().Truncate(time.Second)),
		Phase: next.Phase, CanaryWeight: next.CanaryWeight, FailedChecks: next.FailedChecks, Iterations: next.Iterations,
		Revision: next.LastAppliedSpec, Images: f.images, SourceCommit: f.source,
		Events: lastEvents(f.events, v1beta1.MaxTransitionEvents),
	}
	if f.checked && next.Analysis != nil {
		t.Checks = append([]v1beta1.CanaryCheck(nil), next.Analysis.Checks...)
	}
	pending := j.Pending[:0]
	for _, p := range j.Pending {
		if p.Sequence > f.committed {
			pending = append(pending, p)
		}
	}
	pending = append(pending, t)
	if n := len(pending); n > v1beta1.MaxPendingTransitions {
		pending = pending[n-v1beta1.MaxPendingTransitions:]
	}
	j.Pending = pending
	next.Journal = &j
	return &t
}

func lastEvents(events []v1beta1.TransitionEvent, n int) []v1beta1.TransitionEvent {
	if len(events) > n {
		events = events[len(events)-n:]
	}
	return append([]v1beta1.TransitionEvent(nil), events...)
}

// ContainerImages returns the images of a pod template's containers, comma-separated: what the
// ledger names as the revision being rolled out.
func ContainerImages(t *corev1.PodTemplateSpec) string {
	images := make([]string, 0, len(t.Spec.Containers))
	for _, c := range t.Spec.Containers {
		images = append(images, c.Image)
	}
	return strings.Join(images, ",")
}

// tickEvents is the Recorder of one tick: it passes events on and keeps them for the tick's
// transition.
type tickEvents struct {
	next   Recorder
	events []v1beta1.TransitionEvent
}

// Event implements Recorder.
func (t *tickEvents) Event(ctx context.Context, c *v1beta1.Canary, eventType, message string) {
	t.events = append(t.events, v1beta1.TransitionEvent{Type: eventType, Message: message})
	t.next.Event(ctx, c, eventType, message)
}
