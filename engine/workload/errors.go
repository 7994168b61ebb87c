package workload

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnsupported is returned for canaries this package cannot run: a target that is not a
// Deployment, or an autoscaler that is not an autoscaling/v2 HorizontalPodAutoscaler.
var ErrUnsupported = errors.New("unsupported by the Deployment workload adapter")

// ErrMissingLister is returned by New when one of the Listers is nil.
var ErrMissingLister = errors.New("missing lister")

// ErrNoSelectorLabel is returned when the target's spec.selector.matchLabels has none of the
// selector labels. The error text is Flagger's:
// "deployment <name>.<ns> spec.selector.matchLabels must contain one of [app name app.kubernetes.io/name]".
var ErrNoSelectorLabel = errors.New("no selector label")

// selectorError is ErrNoSelectorLabel with Flagger's wording.
type selectorError struct {
	name, namespace string
	labels          []string
}

func (e *selectorError) Error() string {
	return fmt.Sprintf("deployment %s.%s spec.selector.matchLabels must contain one of [%s]",
		e.name, e.namespace, strings.Join(e.labels, " "))
}

func (e *selectorError) Unwrap() error { return ErrNoSelectorLabel }
