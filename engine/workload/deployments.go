package workload

import (
	"fmt"

	"github.com/go-logr/logr"
	"github.com/google/uuid"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	autoscalinglisters "k8s.io/client-go/listers/autoscaling/v2"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/utils/clock"

	"github.com/gitcanary/gitcanary/api/client"
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

// Listers are the shared informers' caches Deployments reads: it never reads from the API
// server. All are required.
type Listers struct {
	Deployments appslisters.DeploymentLister
	HPAs        autoscalinglisters.HorizontalPodAutoscalerLister
	ConfigMaps  corelisters.ConfigMapLister
	Secrets     corelisters.SecretLister
}

// caches are the listers with what Deployments wrote that they may not hold yet.
type caches struct {
	deployments *client.Cached[*appsv1.Deployment]
	hpas        *client.Cached[*autoscalingv2.HorizontalPodAutoscaler]
	configMaps  *client.Cached[*corev1.ConfigMap]
	secrets     *client.Cached[*corev1.Secret]
}

// Deployments runs Deployment targets: it implements engine.Workloads and engine.Scaler.
type Deployments struct {
	kube   kubernetes.Interface
	cache  caches
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

// New returns a Deployments adapter that reads through the listers and writes through kube.
func New(kube kubernetes.Interface, l Listers, opts Options) (*Deployments, error) {
	if l.Deployments == nil || l.HPAs == nil || l.ConfigMaps == nil || l.Secrets == nil {
		return nil, fmt.Errorf("new Deployments adapter: %w", ErrMissingLister)
	}
	d := &Deployments{
		kube: kube,
		cache: caches{
			deployments: client.NewCached(appsv1.Resource("deployments"), func(ns, name string) (*appsv1.Deployment, error) {
				return l.Deployments.Deployments(ns).Get(name)
			}),
			hpas: client.NewCached(autoscalingv2.Resource("horizontalpodautoscalers"), func(ns, name string) (*autoscalingv2.HorizontalPodAutoscaler, error) {
				return l.HPAs.HorizontalPodAutoscalers(ns).Get(name)
			}),
			configMaps: client.NewCached(corev1.Resource("configmaps"), func(ns, name string) (*corev1.ConfigMap, error) {
				return l.ConfigMaps.ConfigMaps(ns).Get(name)
			}),
			secrets: client.NewCached(corev1.Resource("secrets"), func(ns, name string) (*corev1.Secret, error) {
				return l.Secrets.Secrets(ns).Get(name)
			}),
		},
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
	return d, nil
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

// getDeployment reads a Deployment from the cache with Flagger's error wording. The object is
// the informer's: never modify it.
func (d *Deployments) getDeployment(namespace, name string) (*appsv1.Deployment, error) {
	dep, err := d.cache.deployments.Get(namespace, name)
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
