//go:build e2e

package env_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"

	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/e2e/meshsim"
)

// podinfoDeployment is the seed's podinfo Deployment (kustomize/podinfo), with env vars
// choosing the simulated behaviour.
func podinfoDeployment(name, tag string, replicas *int32, envs ...corev1.EnvVar) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas:                replicas,
			MinReadySeconds:         0,
			ProgressDeadlineSeconds: ptr[int32](60),
			Selector:                &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  "podinfod",
					Image: "ghcr.io/stefanprodan/podinfo:" + tag,
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 9898}},
					Env:   envs,
				}}},
			},
		},
	}
}

func podinfoService(name, app string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": app},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 9898, TargetPort: intstr.FromString("http")}},
		},
	}
}

// canarySetup is what Flagger generates for podinfo: the primary Deployment, the canary
// (target) Deployment and the Services podinfo, podinfo-primary and podinfo-canary.
type canarySetup struct {
	primaryEnv, canaryEnv []corev1.EnvVar
}

// deploy creates the objects in ns and waits until both Deployments are Available.
func (c canarySetup) deploy(t *testing.T, e *env.Env, ns string) {
	t.Helper()
	ctx := context.Background()
	k := e.Client()
	for _, d := range []*appsv1.Deployment{
		podinfoDeployment("podinfo-primary", "6.0.0", ptr[int32](1), c.primaryEnv...),
		podinfoDeployment("podinfo", "6.0.1", ptr[int32](1), c.canaryEnv...),
	} {
		_, err := k.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	for _, s := range []*corev1.Service{
		podinfoService("podinfo", "podinfo-primary"),
		podinfoService("podinfo-primary", "podinfo-primary"),
		podinfoService("podinfo-canary", "podinfo"),
	} {
		_, err := k.CoreV1().Services(ns).Create(ctx, s, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	for _, name := range []string{"podinfo-primary", "podinfo"} {
		e.WaitFor(t, time.Minute, "deployment "+ns+"/"+name+" available", deploymentAvailable(e, ns, name))
	}
}

func deploymentAvailable(e *env.Env, ns, name string) func(context.Context) error {
	return func(ctx context.Context) error {
		d, err := e.Client().AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue && d.Status.AvailableReplicas > 0 {
				return nil
			}
		}
		return fmt.Errorf("deployment %s/%s not available: %+v", ns, name, d.Status)
	}
}

// setSplit creates or updates the TrafficSplit podinfo at version with the canary weight w,
// writing weights as Flagger does: strings for v1alpha1, integers otherwise.
func setSplit(t *testing.T, e *env.Env, ns, version string, w int64) {
	t.Helper()
	dyn, err := dynamic.NewForConfig(e.RESTConfig())
	require.NoError(t, err)
	weight := func(n int64) any {
		if version == "v1alpha1" {
			return fmt.Sprint(n)
		}
		return n
	}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": meshsim.SplitGroup + "/" + version,
		"kind":       "TrafficSplit",
		"metadata":   map[string]any{"name": "podinfo", "namespace": ns},
		"spec": map[string]any{
			"service": "podinfo",
			"backends": []any{
				map[string]any{"service": "podinfo-canary", "weight": weight(w)},
				map[string]any{"service": "podinfo-primary", "weight": weight(100 - w)},
			},
		},
	}}
	client := dyn.Resource(schema.GroupVersionResource{Group: meshsim.SplitGroup, Version: version, Resource: "trafficsplits"}).Namespace(ns)
	ctx := context.Background()
	cur, err := client.Get(ctx, "podinfo", metav1.GetOptions{})
	if err == nil {
		obj.SetResourceVersion(cur.GetResourceVersion())
		_, err = client.Update(ctx, obj, metav1.UpdateOptions{})
	} else {
		_, err = client.Create(ctx, obj, metav1.CreateOptions{})
	}
	require.NoError(t, err)
	e.WaitFor(t, 30*time.Second, "mesh simulator sees the new split", func(context.Context) error {
		sp, ok := e.Mesh.SplitFor(ns, "podinfo")
		if !ok || len(sp.Backends) != 2 || sp.Backends[0].Weight != w {
			return fmt.Errorf("split %s/podinfo: %+v (found %v)", ns, sp, ok)
		}
		return nil
	})
}

// get sends GET url with Host header host through the cluster DNS proxy and returns the
// status and body.
func get(ctx context.Context, c *http.Client, url, host string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if host != "" {
		req.Host = host
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

func ptr[T any](v T) *T { return &v }
