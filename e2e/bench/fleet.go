package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gitcanary/gitcanary/e2e/walkthrough"
)

// fleet describes the overlays a benchmark pushes: N copies of the podinfo example, each in its
// own namespace with its Namespace, Deployment, HPA, two MetricTemplates and a Canary.
type fleet struct {
	// n overlays, apps/<prefix>-0001 … in namespaces of the same names.
	n      int
	prefix string
	// interval is the canary's analysis interval; maxWeight and stepWeight its steps.
	interval              time.Duration
	maxWeight, stepWeight int
	// prometheus is the MetricTemplates' provider address.
	prometheus string
	// deployment and hpa are manifests/examples/podinfo's files.
	deployment, hpa string
}

// newFleet reads the podinfo example from the repository at root.
func newFleet(root string, n int, prefix string, interval time.Duration, prometheus string) (*fleet, error) {
	f := &fleet{n: n, prefix: prefix, interval: interval, maxWeight: 50, stepWeight: 10, prometheus: prometheus}
	dir := filepath.Join(root, "manifests", "examples", "podinfo")
	for name, into := range map[string]*string{"deployment.yaml": &f.deployment, "hpa.yaml": &f.hpa} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read the podinfo example: %w", err)
		}
		*into = string(data)
	}
	// The fake node's pods are ready at once; one replica each keeps a thousand canaries within
	// a few thousand pods.
	f.deployment = strings.Replace(f.deployment, "  minReadySeconds: 5\n", "", 1)
	f.hpa = strings.Replace(strings.Replace(f.hpa, "minReplicas: 2", "minReplicas: 1", 1), "maxReplicas: 4", "maxReplicas: 2", 1)
	return f, nil
}

// namespace is the i-th overlay's namespace (and folder), from 1.
func (f *fleet) namespace(i int) string { return fmt.Sprintf("%s-%04d", f.prefix, i) }

// overlays returns every overlay's files with podinfo's image at tag.
func (f *fleet) overlays(tag string) walkthrough.Overlay {
	out := walkthrough.Overlay{}
	for i := 1; i <= f.n; i++ {
		ns := f.namespace(i)
		dir := "apps/" + ns + "/"
		out[dir+"kustomization.yaml"] = []byte(fmt.Sprintf(kustomization, ns))
		out[dir+"namespace.yaml"] = []byte(fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", ns))
		out[dir+"deployment.yaml"] = []byte(walkthrough.SetImage(tag)(f.deployment))
		out[dir+"hpa.yaml"] = []byte(f.hpa)
		out[dir+"metric-templates.yaml"] = []byte(fmt.Sprintf(metricTemplates, f.prometheus, f.prometheus))
		out[dir+"canary.yaml"] = []byte(fmt.Sprintf(canary, f.interval, f.maxWeight, f.stepWeight, f.interval, f.interval))
	}
	return out
}

// images returns the change that gives every overlay's Deployment podinfo's image at tag.
func (f *fleet) images(tag string) walkthrough.Overlay {
	out := walkthrough.Overlay{}
	for i := 1; i <= f.n; i++ {
		out["apps/"+f.namespace(i)+"/deployment.yaml"] = []byte(walkthrough.SetImage(tag)(f.deployment))
	}
	return out
}

const kustomization = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: %s
resources:
  - namespace.yaml
  - deployment.yaml
  - hpa.yaml
  - metric-templates.yaml
  - canary.yaml
`

// metricTemplates are the Crossover tutorial's error rate and latency over Envoy's series of
// the canary; without traffic they read 0 ("or on() vector(0)"), so every analysis passes with
// real queries to the real Prometheus.
const metricTemplates = `apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata:
  name: error-rate
spec:
  provider:
    address: %s
    type: prometheus
  query: |
    100 * sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",envoy_cluster_name="{{ target }}-canary",envoy_response_code=~"5.*"}[{{ interval }}]))
    / sum(rate(envoy_cluster_upstream_rq{kubernetes_namespace="{{ namespace }}",envoy_cluster_name="{{ target }}-canary"}[{{ interval }}]))
    or on() vector(0)
---
apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata:
  name: latency
spec:
  provider:
    address: %s
    type: prometheus
  query: |
    histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{kubernetes_namespace="{{ namespace }}",envoy_cluster_name="{{ target }}-canary"}[{{ interval }}])) by (le))
    or on() vector(0)
`

const canary = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
spec:
  provider: smi:crossover
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: podinfo
  progressDeadlineSeconds: 600
  autoscalerRef:
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    name: podinfo
  service:
    port: 9898
  analysis:
    interval: %s
    threshold: 5
    maxWeight: %d
    stepWeight: %d
    metrics:
    - name: error-rate
      templateRef:
        name: error-rate
      thresholdRange:
        max: 1
      interval: %s
    - name: latency
      templateRef:
        name: latency
      thresholdRange:
        max: 500
      interval: %s
`
