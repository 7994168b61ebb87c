package notify

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// fields returns the alert's fields: Cluster first when set, then the canary's metadata when
// the notification asks for it.
func (d *Dispatcher) fields(c *v1beta1.Canary, n engine.Notification) []Field {
	var fs []Field
	if d.opts.ClusterName != "" {
		fs = append(fs, Field{Name: "Cluster", Value: d.opts.ClusterName})
	}
	if n.WithMetadata {
		fs = append(fs, Metadata(c)...)
	}
	return fs
}

// Metadata returns Flagger's metadata fields of a canary: Target, Failed checks threshold,
// Progress deadline and, when the analysis says how traffic moves, Traffic routing.
func Metadata(c *v1beta1.Canary) []Field {
	fs := []Field{
		{Name: "Target", Value: fmt.Sprintf("%s/%s", c.Spec.TargetRef.Kind, c.TargetEventName())},
		{Name: "Failed checks threshold", Value: strconv.Itoa(c.AnalysisThreshold())},
		{Name: "Progress deadline", Value: fmt.Sprintf("%ds", int64(c.ProgressDeadline().Seconds()))},
	}
	if routing := trafficRouting(c.Spec.Analysis); routing != "" {
		fs = append(fs, Field{Name: "Traffic routing", Value: routing})
	}
	return fs
}

// trafficRouting words the analysis' traffic shifting as Flagger does; max is the maxWeight
// field as written (0 when unset).
func trafficRouting(a *v1beta1.CanaryAnalysis) string {
	switch {
	case a == nil:
		return ""
	case a.StepWeight > 0:
		return fmt.Sprintf("Weight step: %d max: %d", a.StepWeight, a.MaxWeight)
	case len(a.StepWeights) > 0:
		steps := make([]string, len(a.StepWeights))
		for i, w := range a.StepWeights {
			steps[i] = strconv.Itoa(w)
		}
		return fmt.Sprintf("Weight steps: %s max: %d", strings.Join(steps, ","), a.MaxWeight)
	case len(a.Match) > 0:
		return "A/B Testing"
	case a.Iterations > 0:
		return "Blue/Green"
	default:
		return ""
	}
}
