package router

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// Annotations put on every generated Service so that Flux leaves it alone.
const (
	fluxReconcileKey      = "kustomize.toolkit.fluxcd.io/reconcile"
	helmDriftDetectionKey = "helm.toolkit.fluxcd.io/driftDetection"
	fluxDisabled          = "disabled"
)

// defaultPortName is the name of the main Service port when spec.service.portName is empty.
const defaultPortName = "http"

// desiredService is the Service of reference §5 named name, selecting label=pods.
func desiredService(c *v1beta1.Canary, name, label, pods string, meta *v1beta1.CustomMetadata, ports map[string]int32) *corev1.Service {
	labels, annotations := map[string]string{}, map[string]string{}
	if meta != nil {
		maps.Copy(labels, meta.Labels)
		maps.Copy(annotations, meta.Annotations)
	}
	labels[label] = name
	annotations[fluxReconcileKey] = fluxDisabled
	annotations[helmDriftDetectionKey] = fluxDisabled

	svc := c.Spec.Service
	spec := corev1.ServiceSpec{
		Type:                corev1.ServiceTypeClusterIP,
		Selector:            map[string]string{label: pods},
		Ports:               servicePorts(svc, ports),
		TrafficDistribution: svc.TrafficDistribution,
	}
	if svc.Headless {
		spec.ClusterIP = corev1.ClusterIPNone
	}
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.Namespace, Labels: labels, Annotations: annotations},
		Spec:       spec,
	}
}

// servicePorts returns the main port and the discovered ports, sorted by port then name.
func servicePorts(svc v1beta1.CanaryService, discovered map[string]int32) []corev1.ServicePort {
	name := svc.PortName
	if name == "" {
		name = defaultPortName
	}
	target := svc.TargetPort
	if target.String() == "0" {
		target = intstr.FromInt32(svc.Port)
	}
	ports := []corev1.ServicePort{{
		Name: name, Protocol: corev1.ProtocolTCP, Port: svc.Port, TargetPort: target, AppProtocol: svc.AppProtocol,
	}}
	for n, p := range discovered {
		ports = append(ports, corev1.ServicePort{Name: n, Protocol: corev1.ProtocolTCP, Port: p, TargetPort: intstr.FromInt32(p)})
	}
	sortPorts(ports)
	return ports
}

func sortPorts(ports []corev1.ServicePort) {
	slices.SortFunc(ports, func(a, b corev1.ServicePort) int {
		return cmp.Or(cmp.Compare(a.Port, b.Port), cmp.Compare(a.Name, b.Name))
	})
}

// reconcile creates want, or updates the live Service: its ports (keeping node ports), selector
// and traffic distribution always, its labels and annotations only when this canary controls it
// (keeping the unmanagedMetadata keys). A Service someone else created is taken over without
// touching its metadata. Nothing is written when the cached Service is as wanted.
func (k *Services) reconcile(ctx context.Context, c *v1beta1.Canary, want *corev1.Service) error {
	api := k.kube.CoreV1().Services(c.Namespace)
	_, err := k.services.Write(ctx, c.Namespace, want.Name, client.Write[*corev1.Service]{
		Create: func(ctx context.Context) (*corev1.Service, error) {
			svc := want.DeepCopy()
			svc.OwnerReferences = []metav1.OwnerReference{controllerRef(c)}
			created, err := api.Create(ctx, svc, metav1.CreateOptions{})
			if err != nil {
				return nil, fmt.Errorf("service %s.%s create error: %w", want.Name, c.Namespace, err)
			}
			k.logFor(c).Info(fmt.Sprintf("Service %s.%s created", want.Name, c.Namespace))
			return created, nil
		},
		Change: func(live *corev1.Service) (*corev1.Service, bool) { return merge(c, live, want) },
		Update: func(ctx context.Context, svc *corev1.Service) (*corev1.Service, error) {
			updated, err := api.Update(ctx, svc, metav1.UpdateOptions{})
			if err != nil {
				return nil, fmt.Errorf("service %s.%s update error: %w", want.Name, c.Namespace, err)
			}
			k.logFor(c).Info(fmt.Sprintf("Service %s.%s updated", want.Name, c.Namespace))
			return updated, nil
		},
	})
	return err
}

// merge returns the live Service brought in line with want, and whether anything changed.
func merge(c *v1beta1.Canary, live, want *corev1.Service) (*corev1.Service, bool) {
	out := live.DeepCopy()
	ports := slices.Clone(want.Spec.Ports)
	for i := range ports {
		for _, p := range live.Spec.Ports {
			if p.Name == ports[i].Name && p.NodePort > 0 {
				ports[i].NodePort = p.NodePort
			}
		}
	}
	livePorts := slices.Clone(live.Spec.Ports)
	sortPorts(livePorts)
	changed := false
	if !equality.Semantic.DeepEqual(livePorts, ports) || !maps.Equal(live.Spec.Selector, want.Spec.Selector) {
		out.Spec.Ports, out.Spec.Selector = ports, want.Spec.Selector
		changed = true
	}
	if !ptr.Equal(live.Spec.TrafficDistribution, want.Spec.TrafficDistribution) {
		out.Spec.TrafficDistribution = want.Spec.TrafficDistribution
		changed = true
	}
	if !controlledBy(live, c) {
		return out, changed
	}
	var unmanaged v1beta1.UnmanagedMetadata
	if u := c.Spec.Service.UnmanagedMetadata; u != nil {
		unmanaged = *u
	}
	if labels := keep(want.Labels, live.Labels, unmanaged.Labels); !maps.Equal(labels, live.Labels) {
		out.Labels = labels
		changed = true
	}
	if annotations := keep(want.Annotations, live.Annotations, unmanaged.Annotations); !maps.Equal(annotations, live.Annotations) {
		out.Annotations = annotations
		changed = true
	}
	return out, changed
}

// keep returns want plus the live values of the unmanaged keys.
func keep(want, live map[string]string, unmanaged []string) map[string]string {
	out := maps.Clone(want)
	for _, k := range unmanaged {
		if v, ok := live[k]; ok {
			out[k] = v
		}
	}
	return out
}

// controlledBy reports whether c is the controller of obj.
func controlledBy(obj metav1.Object, c *v1beta1.Canary) bool {
	ref := metav1.GetControllerOf(obj)
	return ref != nil && ref.Kind == v1beta1.CanaryKind && ref.Name == c.Name
}

// controllerRef is the owner reference of every generated object: controller and
// blockOwnerDeletion, to the Canary.
func controllerRef(c *v1beta1.Canary) metav1.OwnerReference {
	return *metav1.NewControllerRef(c, v1beta1.SchemeGroupVersion.WithKind(v1beta1.CanaryKind))
}
