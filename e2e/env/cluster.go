package env

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

// maxPods is the fake node's pod capacity: enough for a thousand canaries during their analyses
// (primary and canary pods of each).
const maxPods = 10000

// NodeName is the name of the environment's fake node, run by kwok.
const NodeName = "kwok-node-0"

// trafficSplitCRD serves split.smi-spec.io TrafficSplit v1alpha1, v1alpha2 and v1alpha3, as
// the mesh (Crossover or linkerd-smi) would install it.
//
//go:embed trafficsplit-crd.yaml
var trafficSplitCRD []byte

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// installCRDs installs the TrafficSplit CRD and Gateway API (installGatewayAPI).
func (e *Env) installCRDs(ctx context.Context) error {
	if err := e.ApplyCRD(ctx, trafficSplitCRD); err != nil {
		return err
	}
	return e.installGatewayAPI(ctx)
}

// ApplyCRD creates (or updates) the CustomResourceDefinition in the YAML data and waits
// until it is Established, so its resources can be used at once.
func (e *Env) ApplyCRD(ctx context.Context, data []byte) error {
	dyn, err := dynamic.NewForConfig(e.rest)
	if err != nil {
		return fmt.Errorf("create dynamic client: %w", err)
	}
	name, err := applyCRD(ctx, dyn, data)
	if err != nil {
		return err
	}
	return waitFor(ctx, "CRD "+name+" established", e.procs, 50*time.Millisecond, crdEstablished(dyn, name))
}

// applyCRD creates or updates a CRD from YAML with the dynamic client.
func applyCRD(ctx context.Context, dyn dynamic.Interface, data []byte) (string, error) {
	var obj unstructured.Unstructured
	if err := yaml.Unmarshal(data, &obj.Object); err != nil {
		return "", fmt.Errorf("decode CRD: %w", err)
	}
	name := obj.GetName()
	client := dyn.Resource(crdGVR)
	_, err := client.Create(ctx, &obj, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		cur, gerr := client.Get(ctx, name, metav1.GetOptions{})
		if gerr != nil {
			return "", fmt.Errorf("get CRD %s: %w", name, gerr)
		}
		obj.SetResourceVersion(cur.GetResourceVersion())
		_, err = client.Update(ctx, &obj, metav1.UpdateOptions{})
	}
	if err != nil {
		return "", fmt.Errorf("apply CRD %s: %w", name, err)
	}
	return name, nil
}

// crdEstablished checks the Established condition of CRD name.
func crdEstablished(dyn dynamic.Interface, name string) func(context.Context) error {
	return func(ctx context.Context) error {
		u, err := dyn.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("get CRD %s: %w", name, err)
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				return nil
			}
		}
		return fmt.Errorf("CRD %s not established yet", name)
	}
}

// createNode registers the fake node: no taints, capacity for maxPods pods of podinfo's
// requests (100m CPU, 64Mi); kwok makes it Ready.
func (e *Env) createNode(ctx context.Context) error {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewQuantity(maxPods/10, resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(maxPods*64<<20, resource.BinarySI),
		corev1.ResourcePods:   *resource.NewQuantity(maxPods, resource.DecimalSI),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: NodeName,
			Annotations: map[string]string{
				"node.alpha.kubernetes.io/ttl": "0",
				"kwok.x-k8s.io/node":           "fake",
			},
			Labels: map[string]string{
				"kubernetes.io/hostname": NodeName,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
				"type":                   "kwok",
			},
		},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
	if _, err := e.kube.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create node %s: %w", NodeName, err)
	}
	return nil
}

// nodeReady checks that the fake node is Ready and carries no scheduling taint (the
// not-ready taint added at registration is removed by the node lifecycle controller).
func (e *Env) nodeReady(ctx context.Context) error {
	n, err := e.kube.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get node %s: %w", NodeName, err)
	}
	ready := false
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			ready = true
		}
	}
	if !ready {
		return fmt.Errorf("node %s is not Ready", NodeName)
	}
	for _, t := range n.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute {
			return fmt.Errorf("node %s has taint %s", NodeName, t.ToString())
		}
	}
	return nil
}

// serviceAccountReady checks that the default service account of namespace exists, which
// pods need before they can be created.
func (e *Env) serviceAccountReady(namespace string) func(context.Context) error {
	return func(ctx context.Context) error {
		if _, err := e.kube.CoreV1().ServiceAccounts(namespace).Get(ctx, "default", metav1.GetOptions{}); err != nil {
			return fmt.Errorf("get service account %s/default: %w", namespace, err)
		}
		return nil
	}
}
