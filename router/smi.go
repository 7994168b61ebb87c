package router

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// SMIOptions configures SMI. The zero value is valid.
type SMIOptions struct {
	// Logger receives "TrafficSplit <name>.<ns> created|updated"; the zero value discards them.
	Logger logr.Logger
}

// SMI routes with the TrafficSplit <svc> of one split.smi-spec.io version (reference §6.2). It
// reads TrafficSplits from the informer of its version (Splits) and writes through the dynamic
// client, only what changed.
type SMI struct {
	dyn     dynamic.Interface
	splits  Splits
	version string
	mesh    string
	log     logr.Logger
}

// NewSMI returns the router for the TrafficSplit version of a parsed provider, reading through
// splits and writing through dyn. It fails for a version it cannot write.
func NewSMI(dyn dynamic.Interface, splits Splits, p v1beta1.Provider, opts SMIOptions) (*SMI, error) {
	if _, ok := weightEncoders[p.SMIVersion]; !ok {
		return nil, fmt.Errorf("provider %q: %w %q", p.Raw, ErrUnsupportedVersion, p.SMIVersion)
	}
	log := opts.Logger
	if log.GetSink() == nil {
		log = logr.Discard()
	}
	return &SMI{dyn: dyn, splits: splits, version: p.SMIVersion, mesh: p.Mesh, log: log}, nil
}

// Version returns the TrafficSplit API version the router writes.
func (s *SMI) Version() string { return s.version }

func (s *SMI) resource(namespace string) dynamic.ResourceInterface {
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
	cached, err := s.splits.Cache(ctx, s.version)
	if err != nil {
		return err
	}
	name, _, _ := c.ServiceNames()
	want := s.desired(c, v1beta1.TotalWeight, 0)
	_, err = cached.Write(ctx, c.Namespace, name, client.Write[*unstructured.Unstructured]{
		Create: func(ctx context.Context) (*unstructured.Unstructured, error) { return s.create(ctx, c, name, want) },
		Change: func(live *unstructured.Unstructured) (*unstructured.Unstructured, bool) {
			spec, _ := live.Object["spec"].(map[string]any)
			if sameButWeights(spec, want) {
				return nil, false
			}
			updated := live.DeepCopy()
			updated.Object["spec"] = runtime.DeepCopyJSON(want)
			return updated, true
		},
		Update: func(ctx context.Context, u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
			updated, err := s.resource(c.Namespace).Update(ctx, u, metav1.UpdateOptions{})
			if err != nil {
				return nil, fmt.Errorf("TrafficSplit %s.%s update error: %w", name, c.Namespace, err)
			}
			s.logFor(c).Info(fmt.Sprintf("TrafficSplit %s.%s updated", name, c.Namespace))
			return updated, nil
		},
	})
	return err
}

func (s *SMI) create(ctx context.Context, c *v1beta1.Canary, name string, spec map[string]any) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": runtime.DeepCopyJSON(spec)}}
	u.SetAPIVersion(SplitGroup + "/" + s.version)
	u.SetKind(splitKind)
	u.SetName(name)
	u.SetNamespace(c.Namespace)
	u.SetOwnerReferences([]metav1.OwnerReference{controllerRef(c)})
	if a := s.annotations(c); len(a) > 0 {
		u.SetAnnotations(a)
	}
	created, err := s.resource(c.Namespace).Create(ctx, u, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("TrafficSplit %s.%s create error: %w", name, c.Namespace, err)
	}
	s.logFor(c).Info(fmt.Sprintf("TrafficSplit %s.%s created", name, c.Namespace))
	return created, nil
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

// SetRoutes writes the backends [canary=canary%, primary=primary%] into the TrafficSplit when
// it routes otherwise, guarded by the cached resourceVersion and retried on conflicts. The
// weights must be 0–100 and sum to 100.
func (s *SMI) SetRoutes(ctx context.Context, c *v1beta1.Canary, primary, canary int) error {
	name, _, _ := c.ServiceNames()
	if primary < 0 || canary < 0 || primary+canary != v1beta1.TotalWeight {
		return fmt.Errorf("set TrafficSplit %s.%s weights primary %d canary %d: %w", name, c.Namespace, primary, canary, ErrInvalidWeights)
	}
	cached, err := s.get(ctx, c, name)
	if err != nil {
		return err
	}
	backends := s.desired(c, primary, canary)["backends"]
	_, err = cached.Write(ctx, c.Namespace, name, client.Write[*unstructured.Unstructured]{
		Change: func(live *unstructured.Unstructured) (*unstructured.Unstructured, bool) {
			cur, _, _ := unstructured.NestedFieldNoCopy(live.Object, "spec", "backends")
			if equality.Semantic.DeepEqual(cur, backends) {
				return nil, false
			}
			updated := live.DeepCopy()
			if err := unstructured.SetNestedField(updated.Object, backends, "spec", "backends"); err != nil {
				return nil, false // backends is JSON-compatible: never
			}
			return updated, true
		},
		Update: func(ctx context.Context, u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
			updated, err := s.resource(c.Namespace).Update(ctx, u, metav1.UpdateOptions{})
			if err != nil {
				return nil, fmt.Errorf("TrafficSplit %s.%s update error: %w", name, c.Namespace, err)
			}
			return updated, nil
		},
	})
	return err
}

// Routes reads the weights of the primary and canary backends back from the TrafficSplit. It
// fails with ErrNoRoutes when both are 0.
func (s *SMI) Routes(ctx context.Context, c *v1beta1.Canary) (primary, canary int, err error) {
	name, primarySvc, canarySvc := c.ServiceNames()
	cached, err := s.get(ctx, c, name)
	if err != nil {
		return 0, 0, err
	}
	live, err := cached.Get(c.Namespace, name)
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

// get returns the cache of the router's version once it holds the TrafficSplit name, with
// Flagger's error wording otherwise.
func (s *SMI) get(ctx context.Context, c *v1beta1.Canary, name string) (*client.Cached[*unstructured.Unstructured], error) {
	cached, err := s.splits.Cache(ctx, s.version)
	if err != nil {
		return nil, fmt.Errorf("TrafficSplit %s.%s get query error: %w", name, c.Namespace, err)
	}
	if _, err := cached.Get(c.Namespace, name); err != nil {
		return nil, fmt.Errorf("TrafficSplit %s.%s get query error: %w", name, c.Namespace, err)
	}
	return cached, nil
}

// Finalize does nothing: garbage collection deletes the TrafficSplit with the Canary.
func (s *SMI) Finalize(context.Context, *v1beta1.Canary) error { return nil }

func (s *SMI) logFor(c *v1beta1.Canary) logr.Logger {
	return s.log.WithValues("canary", c.ID())
}
