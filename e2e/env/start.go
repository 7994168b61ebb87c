package env

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/kubernetes"
)

// start brings the environment up in dependency order:
//
//  1. certificates, ports, the in-process listeners (mesh ingress and metrics, load tester,
//     cluster DNS proxy) so Prometheus's scrape target is known;
//  2. etcd, kube-apiserver and Prometheus at once;
//  3. after kube-apiserver's /readyz: the kubeconfig, the TrafficSplit CRD and the fake node,
//     then kube-controller-manager, kube-scheduler and kwok, and the mesh simulator's watches;
//  4. wait until every component is healthy and the node is Ready without taints.
//
// Every wait fails fast when one of the processes it depends on exits.
func (e *Env) start(ctx context.Context) error {
	pki, err := NewPKI(filepath.Join(e.Dir, "pki"))
	if err != nil {
		return err
	}
	e.PKI = pki
	p, err := newPorts()
	if err != nil {
		return err
	}
	e.APIServerURL = "https://" + hostPort(p.apiserver)
	e.rest = adminConfig(e.APIServerURL, pki)
	if e.kube, err = kubernetes.NewForConfig(e.rest); err != nil {
		return fmt.Errorf("create kube client: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	if err := e.listen(runCtx); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(e.Dir, "prometheus.yml"), []byte(prometheusConfig(trimScheme(e.MeshMetricsURL))), 0o600); err != nil {
		return fmt.Errorf("write prometheus config: %w", err)
	}

	etcd, err := e.startProcess("etcd", e.tools.etcd, etcdArgs(e.Dir, p))
	if err != nil {
		return err
	}
	apiserver, err := e.startProcess("kube-apiserver", e.tools.apiserver, apiserverArgs(pki, p))
	if err != nil {
		return err
	}
	prom, err := e.startProcess("prometheus", e.tools.prometheus, prometheusArgs(e.Dir, p))
	if err != nil {
		return err
	}
	e.PrometheusURL = "http://" + hostPort(p.prometheus)
	e.progress("started etcd, kube-apiserver and prometheus")
	if err := waitFor(ctx, "kube-apiserver /readyz", []*Process{etcd, apiserver}, 100*time.Millisecond, e.apiReady); err != nil {
		return err
	}
	e.progress("kube-apiserver ready")

	if err := writeKubeconfig(e.Kubeconfig, e.APIServerURL, pki); err != nil {
		return err
	}
	if err := e.installCRDs(ctx); err != nil {
		return err
	}
	if err := e.createNode(ctx); err != nil {
		return err
	}
	kcm, err := e.startProcess("kube-controller-manager", e.tools.controllerManager, controllerManagerArgs(e.Dir, e.Kubeconfig, pki, p))
	if err != nil {
		return err
	}
	sched, err := e.startProcess("kube-scheduler", e.tools.scheduler, schedulerArgs(e.Dir, e.Kubeconfig, p))
	if err != nil {
		return err
	}
	kwokArgv, err := kwokArgs(e.Kubeconfig, e.tools.kwokStages, p)
	if err != nil {
		return err
	}
	kwok, err := e.startProcess("kwok", e.tools.kwok, kwokArgv)
	if err != nil {
		return err
	}
	if err := e.startMesh(ctx, runCtx); err != nil {
		return err
	}

	all := []*Process{etcd, apiserver, kcm, sched, kwok, prom}
	checks := []struct {
		what  string
		check func(context.Context) error
	}{
		{"kube-controller-manager /healthz", httpsOK("https://" + hostPort(p.kcm) + "/healthz")},
		{"kube-scheduler /healthz", httpsOK("https://" + hostPort(p.scheduler) + "/healthz")},
		{"kwok /healthz", httpOK("http://" + hostPort(p.kwok) + "/healthz")},
		{"prometheus /-/ready", httpOK(e.PrometheusURL + "/-/ready")},
		{"node " + NodeName + " Ready", e.nodeReady},
		{"namespace default service account", e.serviceAccountReady("default")},
	}
	for _, c := range checks {
		if err := waitFor(ctx, c.what, all, 100*time.Millisecond, c.check); err != nil {
			return err
		}
	}
	return nil
}

// startProcess starts a component with the environment's minimal process environment.
func (e *Env) startProcess(name, bin string, args []string) (*Process, error) {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + e.Dir}
	p, err := startProcess(name, bin, args, env, e.Dir)
	if err != nil {
		return nil, err
	}
	e.procs = append(e.procs, p)
	e.logs.add(p.LogPath)
	return p, nil
}

// apiReady checks kube-apiserver's /readyz with the admin client.
func (e *Env) apiReady(ctx context.Context) error {
	body, err := e.kube.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil {
		return fmt.Errorf("get /readyz: %w: %s", err, body)
	}
	return nil
}

// insecure is for the health endpoints of kube-controller-manager and kube-scheduler, which
// serve self-signed certificates generated at start.
var insecure = &http.Client{Transport: &http.Transport{
	TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // loopback health checks only
	Proxy:           nil,
}}

func httpsOK(url string) func(context.Context) error { return getOK(insecure, url) }

func httpOK(url string) func(context.Context) error {
	return getOK(&http.Client{Transport: &http.Transport{Proxy: nil}}, url)
}

func getOK(c *http.Client, url string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("build request %s: %w", url, err)
		}
		resp, err := c.Do(req)
		if err != nil {
			return fmt.Errorf("get %s: %w", url, err)
		}
		defer func() { _ = resp.Body.Close() }()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("get %s: status %s: %s", url, strconv.Itoa(resp.StatusCode), body)
		}
		return nil
	}
}

func trimScheme(u string) string {
	for _, p := range []string{"http://", "https://"} {
		if len(u) > len(p) && u[:len(p)] == p {
			return u[len(p):]
		}
	}
	return u
}
