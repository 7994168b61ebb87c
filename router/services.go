package router

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// Targets tells which pods a canary's Services select.
type Targets interface {
	// Selector returns the target's selector label and its value, and the extra container ports
	// to expose by name when spec.service.portDiscovery is set.
	Selector(ctx context.Context, c *v1beta1.Canary) (label, value string, ports map[string]int32, err error)
}

// ServicesOptions configures Services. The zero value is valid.
type ServicesOptions struct {
	// Logger receives "Service <name>.<ns> created|updated"; the zero value discards them.
	Logger logr.Logger
}

// Services owns the apex, -primary and -canary ClusterIP Services of a canary. It reads them
// from the Service informer's cache and writes only what changed.
type Services struct {
	kube     kubernetes.Interface
	services *client.Cached[*corev1.Service]
	targets  Targets
	log      logr.Logger
}

// kubectlLastApplied is the annotation kubectl apply keeps the applied object in.
const kubectlLastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// NewServices returns the Service router: it reads Services through lister, writes them
// through kube, and asks targets which pods to select.
func NewServices(kube kubernetes.Interface, lister corelisters.ServiceLister, targets Targets, opts ServicesOptions) *Services {
	log := opts.Logger
	if log.GetSink() == nil {
		log = logr.Discard()
	}
	services := client.NewCached(corev1.Resource("services"), func(namespace, name string) (*corev1.Service, error) {
		return lister.Services(namespace).Get(name)
	})
	return &Services{kube: kube, services: services, targets: targets, log: log}
}

// Reconcile creates or updates the <svc>-canary Service (selecting the target's pods), and the
// <svc>-primary and apex <svc> Services (selecting the primary's pods).
func (k *Services) Reconcile(ctx context.Context, c *v1beta1.Canary) error {
	label, value, ports, err := k.targets.Selector(ctx, c)
	if err != nil {
		return err
	}
	apex, primary, canary := c.ServiceNames()
	svc := c.Spec.Service
	for _, s := range []struct {
		name, pods string
		meta       *v1beta1.CustomMetadata
	}{
		{canary, value, svc.Canary},
		{primary, value + v1beta1.PrimarySuffix, svc.Primary},
		{apex, value + v1beta1.PrimarySuffix, svc.Apex},
	} {
		want := desiredService(c, s.name, label, s.pods, s.meta, ports)
		if err := k.reconcile(ctx, c, want); err != nil {
			return err
		}
	}
	return nil
}

// Finalize hands the apex Service back to the target when the canary did not create it
// (revertOnDeletion, reference §2.10 step 5): its selector is restored from kubectl's
// last-applied configuration, or pointed at the target's pods. A Service that a Canary
// controls is left to garbage collection; a missing one needs nothing.
func (k *Services) Finalize(ctx context.Context, c *v1beta1.Canary) error {
	apex, _, _ := c.ServiceNames()
	svc, err := k.services.Get(c.Namespace, apex)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("service %s.%s get query error: %w", apex, c.Namespace, err)
	}
	if ref := metav1.GetControllerOf(svc); ref != nil && ref.Kind == v1beta1.CanaryKind {
		return nil
	}
	if applied, ok := svc.Annotations[kubectlLastApplied]; ok {
		var stored corev1.Service
		if err := json.Unmarshal([]byte(applied), &stored); err != nil {
			return fmt.Errorf("service %s.%s failed to unmarshal annotation %s: %w", apex, c.Namespace, kubectlLastApplied, err)
		}
		return k.restoreSelector(ctx, c, apex, stored.Spec.Selector)
	}
	label, value, ports, err := k.targets.Selector(ctx, c)
	if err != nil {
		return err
	}
	return k.reconcile(ctx, c, desiredService(c, apex, label, value, nil, ports))
}

// restoreSelector gives the apex Service the selector kubectl applied.
func (k *Services) restoreSelector(ctx context.Context, c *v1beta1.Canary, apex string, selector map[string]string) error {
	wrote, err := k.services.Write(ctx, c.Namespace, apex, client.Write[*corev1.Service]{
		Change: func(live *corev1.Service) (*corev1.Service, bool) {
			if maps.Equal(live.Spec.Selector, selector) {
				return nil, false
			}
			restored := live.DeepCopy()
			restored.Spec.Selector = selector
			return restored, true
		},
		Update: func(ctx context.Context, svc *corev1.Service) (*corev1.Service, error) {
			updated, err := k.kube.CoreV1().Services(c.Namespace).Update(ctx, svc, metav1.UpdateOptions{})
			if err != nil {
				return nil, fmt.Errorf("service %s.%s update error: %w", apex, c.Namespace, err)
			}
			return updated, nil
		},
	})
	if err != nil {
		return err
	}
	if wrote {
		k.logFor(c).Info(fmt.Sprintf("Service %s.%s selector restored", apex, c.Namespace))
	}
	return nil
}

func (k *Services) logFor(c *v1beta1.Canary) logr.Logger {
	return k.log.WithValues("canary", c.ID())
}
