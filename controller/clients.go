package controller

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/status"
)

// clients are the API clients of one controller, and its event recorder.
type clients struct {
	kube    kubernetes.Interface
	dyn     dynamic.Interface
	flagger *client.Client
	// gateway writes Gateway API HTTPRoutes (read through informers when the cluster serves them).
	gateway gwclient.Interface
	// syncKube and syncDyn are the sync loop's: their User-Agent ends in " (sync)", so the API
	// server's audit log and a proxy can tell the applies from the analysis.
	syncKube kubernetes.Interface
	syncDyn  dynamic.Interface
	// events records Kubernetes Events; stopEvents flushes and stops its broadcaster.
	events     record.EventRecorder
	stopEvents func()
	// namespace is the controller's own namespace, where bare Secret names are looked up.
	namespace string
}

// newClients builds the clients of restCfg.
func newClients(restCfg *rest.Config, opts Options) (*clients, error) {
	kube, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return nil, fmt.Errorf("build Kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(restCfg)
	if err != nil {
		return nil, fmt.Errorf("build dynamic client: %w", err)
	}
	flagger, err := client.New(restCfg)
	if err != nil {
		return nil, err
	}
	gateway, err := gwclient.NewForConfig(restCfg)
	if err != nil {
		return nil, fmt.Errorf("build Gateway API client: %w", err)
	}
	syncCfg := rest.CopyConfig(restCfg)
	syncCfg.UserAgent = userAgent(restCfg) + " (sync)"
	syncKube, err := kubernetes.NewForConfig(syncCfg)
	if err != nil {
		return nil, fmt.Errorf("build the sync loop's Kubernetes client: %w", err)
	}
	syncDyn, err := dynamic.NewForConfig(syncCfg)
	if err != nil {
		return nil, fmt.Errorf("build the sync loop's dynamic client: %w", err)
	}
	events, stop := status.NewEventRecorder(kube, opts.Notifications.EventSourceComponent)
	return &clients{kube: kube, dyn: dyn, flagger: flagger, gateway: gateway, syncKube: syncKube, syncDyn: syncDyn,
		events: events, stopEvents: stop, namespace: opts.ControllerNamespace}, nil
}

// userAgent is the User-Agent of restCfg's clients.
func userAgent(restCfg *rest.Config) string {
	if restCfg.UserAgent != "" {
		return restCfg.UserAgent
	}
	return rest.DefaultKubernetesUserAgent()
}

// secretData reads a Secret named "name" (in the controller's namespace) or "namespace/name".
// The controller reads such Secrets once, when it starts.
func (c *clients) secretData(ctx context.Context, ref string) (map[string][]byte, error) {
	ns, name := c.namespace, ref
	if before, after, ok := strings.Cut(ref, "/"); ok {
		ns, name = before, after
	}
	s, err := c.kube.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("read Secret %s/%s: %w", ns, name, err)
	}
	return s.Data, nil
}
