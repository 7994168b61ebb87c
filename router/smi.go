package router

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// SMIOptions configures SMI. The zero value is valid.
type SMIOptions struct {
	// Logger receives "TrafficSplit <name>.<ns> created|updated"; the zero value discards them.
	Logger logr.Logger
}

// SMI routes with the TrafficSplit <svc> of one split.smi-spec.io version (reference §6.2).
type SMI struct {
	dyn     dynamic.Interface
	version string
	mesh    string
	log     logr.Logger
}

// NewSMI returns the router for the TrafficSplit version of a parsed provider. It fails for a
// version it cannot write.
func NewSMI(dyn dynamic.Interface, p v1beta1.Provider, opts SMIOptions) (*SMI, error) {
	if _, ok := weightEncoders[p.SMIVersion]; !ok {
		return nil, fmt.Errorf("provider %q: %w %q", p.Raw, ErrUnsupportedVersion, p.SMIVersion)
	}
	log := opts.Logger
	if log.GetSink() == nil {
		log = logr.Discard()
	}
	return &SMI{dyn: dyn, version: p.SMIVersion, mesh: p.Mesh, log: log}, nil
}

// Version returns the TrafficSplit API version the router writes.
func (s *SMI) Version() string { return s.version }

func (s *SMI) splits(namespace string) dynamic.ResourceInterface {
	return s.dyn.Resource(SplitResource(s.version)).Namespace(namespace)
}

// desired returns the spec of a TrafficSplit for c with the given weights.
func (s *SMI) desired(c *v1beta1.Canary, primary, canary int) map[string]any {
	apex, primarySvc, canarySvc := c.ServiceNames()
	service := apex
	if h := c.Spec.Service.Hosts; len(h) > 0 {
		service = h[0]
	}
	return specFor(s.version, service, canarySvc, primarySvc, primary, canary)
}

// Reconcile creates the TrafficSplit routing everything to the primary, or rewrites the spec
// of a live one whose service or backends drifted, which, as in Flagger, routes everything
// back to the primary. Weights alone are never rewritten here.
func (s *SMI) Reconcile(ctx context.Context, c *v1beta1.Canary) error {
	name, _, _ := c.ServiceNames()
	want := s.desired(c, v1beta1.TotalWeight, 0)
	live, err := s.splits(c.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return s.create(ctx, c, name, want)
	}
	if err != nil {
		return fmt.Errorf("TrafficSplit %s.%s get query error: %w", name, c.Namespace, err)
	}
	spec, _ := live.Object["spec"].(map[string]any)
	if sameButWeights(spec, want) {
		return nil
	}
	updated := live.DeepCopy()
	updated.Object["spec"] = want
	if _, err := s.splits(c.Namespace).Update(ctx, updated, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("TrafficSplit %s.%s update error: %w", name, c.Namespace, err)
	}
	s.logFor(c).Info(fmt.Sprintf("TrafficSplit %s.%s updated", name, c.Namespace))
	return nil
}

func (s *SMI) create(ctx context.Context, c *v1beta1.Canary, name string, spec map[string]any) error {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetAPIVersion(SplitGroup + "/" + s.version)
	u.SetKind(splitKind)
	u.SetName(name)
	u.SetNamespace(c.Namespace)
	u.SetOwnerReferences([]metav1.OwnerReference{controllerRef(c)})
	if a := s.annotations(c); len(a) > 0 {
		u.SetAnnotations(a)
	}
	if _, err := s.splits(c.Namespace).Create(ctx, u, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("TrafficSplit %s.%s create error: %w", name, c.Namespace, err)
	}
	s.logFor(c).Info(fmt.Sprintf("TrafficSplit %s.%s created", name, c.Namespace))
	return nil
}

// annotations are Flagger's TrafficSplit annotations: only the Istio gateways, for the istio
// mesh (reference §6.2).
func (s *SMI) annotations(c *v1beta1.Canary) map[string]string {
	gw := c.Spec.Service.Gateways
	if s.mesh != "istio" || len(gw) == 0 {
		return nil
	}
	b, err := json.Marshal(gw)
	if err != nil {
		return nil
	}
	return map[string]string{istioGatewaysKey: string(b)}
}

// SetRoutes writes the backends [canary=canary%, primary=primary%] into the live TrafficSplit,
// re-reading it when the update conflicts. The weights must be 0–100 and sum to 100.
func (s *SMI) SetRoutes(ctx context.Context, c *v1beta1.Canary, primary, canary int) error {
	name, _, _ := c.ServiceNames()
	if primary < 0 || canary < 0 || primary+canary != v1beta1.TotalWeight {
		return fmt.Errorf("set TrafficSplit %s.%s weights primary %d canary %d: %w", name, c.Namespace, primary, canary, ErrInvalidWeights)
	}
	backends := s.desired(c, primary, canary)["backends"]
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		live, err := s.splits(c.Namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("TrafficSplit %s.%s get query error: %w", name, c.Namespace, err)
		}
		if err := unstructured.SetNestedField(live.Object, backends, "spec", "backends"); err != nil {
			return fmt.Errorf("TrafficSplit %s.%s set backends: %w", name, c.Namespace, err)
		}
		if _, err := s.splits(c.Namespace).Update(ctx, live, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("TrafficSplit %s.%s update error: %w", name, c.Namespace, err)
		}
		return nil
	})
}

// Routes reads the weights of the primary and canary backends back from the TrafficSplit. It
// fails with ErrNoRoutes when both are 0.
func (s *SMI) Routes(ctx context.Context, c *v1beta1.Canary) (primary, canary int, err error) {
	name, primarySvc, canarySvc := c.ServiceNames()
	live, err := s.splits(c.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return 0, 0, fmt.Errorf("TrafficSplit %s.%s get query error: %w", name, c.Namespace, err)
	}
	spec, err := readSpec(live)
	if err != nil {
		return 0, 0, fmt.Errorf("TrafficSplit %s.%s read spec: %w", name, c.Namespace, err)
	}
	for _, b := range spec.Backends {
		switch b.Service {
		case primarySvc:
			primary = int(b.Weight)
		case canarySvc:
			canary = int(b.Weight)
		}
	}
	if primary == 0 && canary == 0 {
		return 0, 0, &noRoutesError{split: name, namespace: c.Namespace, primary: primarySvc, canary: canarySvc}
	}
	return primary, canary, nil
}

// Finalize does nothing: garbage collection deletes the TrafficSplit with the Canary.
func (s *SMI) Finalize(context.Context, *v1beta1.Canary) error { return nil }

func (s *SMI) logFor(c *v1beta1.Canary) logr.Logger {
	return s.log.WithValues("canary", c.ID())
}
