package workload

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	"github.com/google/uuid"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// DefaultSelectorLabels are the selector labels Flagger looks for, in order
// (-selector-labels default).
var DefaultSelectorLabels = []string{"app", "name", "app.kubernetes.io/name"}

// Kinds handled by this package.
const (
	deploymentKind = "Deployment"
	hpaKind        = "HorizontalPodAutoscaler"
)

// Options configures Deployments. The zero value gives Flagger's defaults.
type Options struct {
	// SelectorLabels are the pod selector labels looked up in the target's
	// spec.selector.matchLabels, in order; empty means DefaultSelectorLabels.
	SelectorLabels []string
	// IncludeLabelPrefix lists the label (and annotation) key prefixes copied to the primary
	// objects; "*" copies all. Empty copies none (Flagger's -include-label-prefix).
	IncludeLabelPrefix []string
	// DisableConfigTracking turns ConfigMap and Secret tracking off
	// (Flagger's -enable-config-tracking=false): no checksums and no -primary copies.
	DisableConfigTracking bool
	// Clock is read for the progress deadline; nil means the real clock.
	Clock clock.PassiveClock
	// Logger receives Flagger's info lines ("Deployment <name>.<ns> created", …); the zero
	// value discards them.
	Logger logr.Logger
	// NewID returns the flagger-id pod annotation put on every primary rollout; nil means a
	// random UUIDv4.
	NewID func() string
}

// Deployments runs Deployment targets: it implements engine.Workloads and engine.Scaler.
type Deployments struct {
	kube   kubernetes.Interface
	labels []string
	prefix []string
	track  bool
	clock  clock.PassiveClock
	log    logr.Logger
	newID  func() string
}

var (
	_ engine.Workloads = (*Deployments)(nil)
	_ engine.Scaler    = (*Deployments)(nil)
)

// New returns a Deployments adapter that talks to the API server through kube.
func New(kube kubernetes.Interface, opts Options) *Deployments {
	d := &Deployments{
		kube:   kube,
		labels: opts.SelectorLabels,
		prefix: opts.IncludeLabelPrefix,
		track:  !opts.DisableConfigTracking,
		clock:  opts.Clock,
		log:    opts.Logger,
		newID:  opts.NewID,
	}
	if len(d.labels) == 0 {
		d.labels = DefaultSelectorLabels
	}
	if d.clock == nil {
		d.clock = clock.RealClock{}
	}
	if d.log.GetSink() == nil {
		d.log = logr.Discard()
	}
	if d.newID == nil {
		d.newID = uuid.NewString
	}
	return d
}

// check rejects the canaries this package cannot run.
func check(c *v1beta1.Canary) error {
	if k := c.Spec.TargetRef.Kind; k != "" && k != deploymentKind {
		return fmt.Errorf("canary %s targetRef kind %q: %w (only Deployment targets are supported)", c.EventName(), k, ErrUnsupported)
	}
	if r := c.Spec.AutoscalerRef; r != nil {
		if r.Kind != hpaKind {
			return fmt.Errorf("canary %s autoscalerRef kind %q: %w (only HorizontalPodAutoscaler is supported, KEDA ScaledObjects are not)", c.EventName(), r.Kind, ErrUnsupported)
		}
		if v := r.HPAAPIVersion(); v != v1beta1.AutoscalingV2 {
			return fmt.Errorf("canary %s autoscalerRef apiVersion %q: %w (only %s is supported)", c.EventName(), r.APIVersion, ErrUnsupported, v1beta1.AutoscalingV2)
		}
	}
	return nil
}

// logFor returns the logger with the canary's fixed keys.
func (d *Deployments) logFor(c *v1beta1.Canary) logr.Logger {
	return d.log.WithValues("canary", c.ID())
}

// getDeployment reads a Deployment with Flagger's error wording.
func (d *Deployments) getDeployment(ctx context.Context, namespace, name string) (*appsv1.Deployment, error) {
	dep, err := d.kube.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("deployment %s.%s get query error: %w", name, namespace, err)
	}
	return dep, nil
}

// selectorLabel returns the first selector label present in the Deployment's
// spec.selector.matchLabels, and its value.
func (d *Deployments) selectorLabel(dep *appsv1.Deployment) (label, value string, err error) {
	if dep.Spec.Selector != nil {
		for _, l := range d.labels {
			if v, ok := dep.Spec.Selector.MatchLabels[l]; ok {
				return l, v, nil
			}
		}
	}
	return "", "", &selectorError{name: dep.Name, namespace: dep.Namespace, labels: d.labels}
}

// controllerRef is the owner reference of every generated object: controller and
// blockOwnerDeletion, to the Canary.
func controllerRef(c *v1beta1.Canary) metav1.OwnerReference {
	return *metav1.NewControllerRef(c, v1beta1.SchemeGroupVersion.WithKind(v1beta1.CanaryKind))
}
