package env

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/gitcanary/gitcanary/e2e/loadtester"
	"github.com/gitcanary/gitcanary/e2e/meshsim"
)

// In-cluster names and ports of the seed walkthrough that the cluster DNS proxy serves.
const (
	MeshName       = "envoy"              // envoy.test:10000
	MeshPort       = 10000                //
	LoadTesterName = "flagger-loadtester" // flagger-loadtester.test (port 80)
	PrometheusName = "flagger-prometheus" // flagger-prometheus:9090
	PrometheusPort = 9090                 //
)

// handlers are the in-process parts, created before they can all be wired: the proxy needs
// the Prometheus address and the mesh needs the API server.
type handlers struct {
	mesh, metrics, loadtester, proxy swappable
}

// swappable is an http.Handler set once its target exists; until then it answers 503.
type swappable struct{ h atomic.Pointer[http.Handler] }

func (s *swappable) set(h http.Handler) { s.h.Store(&h) }

func (s *swappable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := s.h.Load()
	if h == nil {
		http.Error(w, "e2e environment is starting", http.StatusServiceUnavailable)
		return
	}
	(*h).ServeHTTP(w, r)
}

// listen opens the loopback listeners of the in-process parts so their URLs are known
// before the processes start. The proxy is served until runCtx ends.
func (e *Env) listen(runCtx context.Context) error {
	e.handlers = &handlers{}
	for _, l := range []struct {
		name string
		h    http.Handler
		url  *string
	}{
		{"mesh ingress", &e.handlers.mesh, &e.MeshURL},
		{"mesh metrics", &e.handlers.metrics, &e.MeshMetricsURL},
		{"load tester", &e.handlers.loadtester, &e.LoadTesterURL},
	} {
		u, err := e.serve(l.name, l.h)
		if err != nil {
			return err
		}
		*l.url = u
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen for cluster DNS proxy: %w", err)
	}
	e.ProxyURL = "http://" + l.Addr().String()
	go func() { _ = meshsim.ServeProxy(runCtx, l, &e.handlers.proxy) }()
	return nil
}

// startMesh starts the mesh simulator's watches (until runCtx ends) and wires the mesh, the
// load tester and the cluster DNS proxy. It is called once the API server is ready and
// before the servers receive traffic.
func (e *Env) startMesh(ctx, runCtx context.Context) error {
	logPath := filepath.Join(e.Dir, "mesh.log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open mesh log: %w", err)
	}
	e.logs.add(logPath)
	e.closers = append(e.closers, f.Close)
	logger := slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))

	sim, err := meshsim.New(e.RESTConfig(), meshsim.Options{
		DefaultNamespace: e.opts.DefaultNamespace,
		Logger:           logger.With("component", "meshsim"),
	})
	if err != nil {
		return err
	}
	sim.Start(runCtx)
	if err := sim.WaitForSync(ctx); err != nil {
		return err
	}
	e.Mesh = sim

	cmdEnv, err := e.commandEnv()
	if err != nil {
		return err
	}
	e.LoadTester = loadtester.New(loadtester.Options{
		Timeout: e.opts.CommandTimeout,
		Env:     cmdEnv,
		Dir:     e.Dir,
		Logger:  logger.With("component", "loadtester"),
	})
	proxy := meshsim.NewProxy(sim, map[string]meshsim.Target{
		MeshName:       {Port: MeshPort, Handler: sim.IngressHandler()},
		LoadTesterName: {Port: 80, Handler: e.LoadTester},
		PrometheusName: {Port: PrometheusPort, Handler: meshsim.ForwardTo(trimScheme(e.PrometheusURL))},
	}, e.opts.DefaultNamespace)

	e.handlers.mesh.set(sim.IngressHandler())
	e.handlers.metrics.set(sim.MetricsHandler())
	e.handlers.loadtester.set(e.LoadTester)
	e.handlers.proxy.set(proxy)
	return nil
}

// CommandEnv returns the environment for commands that act inside the cluster, such as the
// load tester's: HTTP_PROXY set to the cluster DNS proxy, KUBECONFIG set to the admin
// kubeconfig, and PATH starting with a folder that holds kubectl and a hey that goes
// through the proxy.
func (e *Env) CommandEnv() []string {
	env, _ := e.commandEnv()
	return env
}

func (e *Env) commandEnv() ([]string, error) {
	bin := filepath.Join(e.Dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, fmt.Errorf("create command bin dir: %w", err)
	}
	if err := os.Symlink(e.tools.kubectl, filepath.Join(bin, "kubectl")); err != nil && !os.IsExist(err) {
		return nil, fmt.Errorf("link kubectl: %w", err)
	}
	if err := os.WriteFile(filepath.Join(bin, "hey"), []byte(heyWrapper(e.tools.hey, e.ProxyURL, e.MeshURL)), 0o755); err != nil {
		return nil, fmt.Errorf("write hey wrapper: %w", err)
	}
	return []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + e.Dir,
		"KUBECONFIG=" + e.Kubeconfig,
		"HTTP_PROXY=" + e.ProxyURL,
		"http_proxy=" + e.ProxyURL,
	}, nil
}

// heyWrapper runs the real hey the way a pod in the cluster would. hey ignores HTTP_PROXY,
// and hey -H 'Host: x' puts the Host into a header map that Go's client ignores, so:
// -H 'Host: x' becomes -host x; a mesh ingress URL (http://envoy[.<ns>…]:10000/…) is sent
// straight to the ingress's loopback address (a Go client that sets the Host cannot go
// through a forward proxy: it writes that Host into the request line); any other URL goes
// through the cluster DNS proxy with -x.
func heyWrapper(hey, proxyURL, meshURL string) string {
	return fmt.Sprintf(`#!/usr/bin/env bash
# Generated by the gitcanary e2e harness: hey as seen from inside the cluster.
args=()
while (($#)); do
	if [[ $1 == -H && $# -ge 2 && ${2,,} == host:* ]]; then
		host=${2#*:}
		args+=(-host "${host# }")
		shift 2
		continue
	fi
	args+=("$1")
	shift
done
if ((${#args[@]})) && [[ ${args[-1]} =~ ^http://%s(\.[a-z0-9.-]+)?:%d(/.*)?$ ]]; then
	args[-1]=%q${BASH_REMATCH[2]}
	exec %q "${args[@]}"
fi
exec %q -x %q "${args[@]}"
`, MeshName, MeshPort, meshURL, hey, hey, proxyURL)
}
