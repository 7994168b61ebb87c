package apply

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// Readiness is how ready applied objects are, by the kstatus rules (sigs.k8s.io/cli-utils): a
// Deployment whose rollout finished, a Job that completed, a resource whose Ready condition is
// True are ready; one that reports a failure (a Deployment past its progress deadline) failed.
type Readiness struct {
	// Ready is true when every object is ready (kstatus Current).
	Ready bool
	// Failed is true when an object failed: waiting longer will not help.
	Failed bool
	// Message names the first object that is not ready and says why, such as
	// "Deployment test/backend: Deployment available. Replicas: 0/1".
	Message string
}

// ReadinessOf computes the readiness of one live object; nil means the object is gone.
func ReadinessOf(ref ObjectRef, live *unstructured.Unstructured) (Readiness, error) {
	if live == nil {
		return Readiness{Message: ref.String() + ": not found"}, nil
	}
	res, err := status.Compute(live)
	if err != nil {
		return Readiness{}, fmt.Errorf("compute the status of %s: %w", ref, err)
	}
	switch res.Status {
	case status.CurrentStatus:
		return Readiness{Ready: true}, nil
	case status.FailedStatus:
		return Readiness{Failed: true, Message: ref.String() + ": " + res.Message}, nil
	default:
		return Readiness{Message: fmt.Sprintf("%s: %s %s", ref, res.Status, res.Message)}, nil
	}
}

// Readiness reads the objects from the API server and returns the readiness of the first that
// is not ready, or Ready.
func (a *Applier) Readiness(ctx context.Context, objects []ObjectRef) (Readiness, error) {
	for _, ref := range objects {
		live, err := a.get(ctx, ref)
		if err != nil {
			return Readiness{}, err
		}
		r, err := ReadinessOf(ref, live)
		if err != nil || !r.Ready {
			return r, err
		}
	}
	return Readiness{Ready: true}, nil
}

// get reads a live object; nil when it is gone.
func (a *Applier) get(ctx context.Context, ref ObjectRef) (*unstructured.Unstructured, error) {
	m, err := a.mapper.RESTMapping(ref.GroupVersionKind().GroupKind(), ref.Version)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	live, err := a.dyn.Resource(m.Resource).Namespace(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	return live, nil
}
