package workload

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// Observe reads the target and the primary from the cache: the target's revision and tracked
// configs, the readiness of both with Flagger's waiting messages, and whether the primary
// exists. It fails when the target is missing, its selector has none of the selector labels,
// or a mandatory tracked config is missing. Configs is nil when config tracking is disabled.
func (d *Deployments) Observe(_ context.Context, c *v1beta1.Canary) (engine.Workload, error) {
	if err := check(c); err != nil {
		return engine.Workload{}, err
	}
	target, err := d.getDeployment(c.Namespace, c.Spec.TargetRef.Name)
	if err != nil {
		return engine.Workload{}, err
	}
	if _, _, err := d.selectorLabel(target); err != nil {
		return engine.Workload{}, err
	}
	w := engine.Workload{
		Kind:     deploymentKind,
		Revision: engine.PodTemplateHash(&target.Spec.Template),
		Images:   engine.ContainerImages(&target.Spec.Template),
	}
	if d.track {
		cs, err := d.trackedConfigs(c, &target.Spec.Template.Spec)
		if err != nil {
			return engine.Workload{}, err
		}
		w.Configs = cs.checksums()
	}
	now := d.clock.Now()
	w.Target = readiness(target, c.CanaryReadyThreshold(), c.ProgressDeadline(), now)

	primary, err := d.cache.deployments.Get(c.Namespace, c.PrimaryName())
	switch {
	case apierrors.IsNotFound(err):
		w.Primary = engine.Readiness{Retriable: true}
	case err != nil:
		return engine.Workload{}, fmt.Errorf("deployment %s.%s get query error: %w", c.PrimaryName(), c.Namespace, err)
	default:
		w.PrimaryExists = true
		w.Primary = readiness(primary, c.PrimaryReadyThreshold(), c.ProgressDeadline(), now)
	}
	return w, nil
}

// Selector returns the target's selector label and its value, the pods the generated Services
// select, and, when spec.service.portDiscovery is set, the extra container ports to expose by
// name. It is the discovery the router's Services need (Flagger's GetMetadata).
func (d *Deployments) Selector(_ context.Context, c *v1beta1.Canary) (label, value string, ports map[string]int32, err error) {
	if err := check(c); err != nil {
		return "", "", nil, err
	}
	target, err := d.getDeployment(c.Namespace, c.Spec.TargetRef.Name)
	if err != nil {
		return "", "", nil, err
	}
	label, value, err = d.selectorLabel(target)
	if err != nil {
		return "", "", nil, err
	}
	if c.Spec.Service.PortDiscovery {
		ports = discoverPorts(c, target.Spec.Template.Spec.Containers)
	}
	return label, value, ports, nil
}

// sidecars are the proxy containers whose ports are never discovered.
var sidecars = map[string]bool{"istio-proxy": true, "envoy": true}

// discoverPorts returns every container port except the sidecars' and the Service's main port
// (matched against targetPort by number or name, or against port when targetPort is unset),
// named after the container port or tcp-<container>-<index>. Duplicate names collapse.
func discoverPorts(c *v1beta1.Canary, containers []corev1.Container) map[string]int32 {
	svc := c.Spec.Service
	ports := map[string]int32{}
	for _, ctr := range containers {
		if sidecars[ctr.Name] {
			continue
		}
		for i, p := range ctr.Ports {
			if isMainPort(svc, p) {
				continue
			}
			name := p.Name
			if name == "" {
				name = fmt.Sprintf("tcp-%s-%d", ctr.Name, i)
			}
			ports[name] = p.ContainerPort
		}
	}
	return ports
}

func isMainPort(svc v1beta1.CanaryService, p corev1.ContainerPort) bool {
	tp := svc.TargetPort
	switch {
	case tp.String() == "0":
		return p.ContainerPort == svc.Port
	case tp.Type == intstr.Int:
		return p.ContainerPort == tp.IntVal
	default:
		return p.Name == tp.StrVal
	}
}
