package env

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/gitcanary/gitcanary/e2e/loadtester"
	"github.com/gitcanary/gitcanary/e2e/meshsim"
)

// Options configures an environment. The zero value works from anywhere inside the
// repository after `make tools`.
type Options struct {
	// ToolsDir is the tools cache built by `make tools` (bin/ and kwok-stages/ inside);
	// default <repo>/.cache/tools, the repository found from the working directory.
	ToolsDir string
	// Dir is where the run directory is created; default os.TempDir().
	Dir string
	// KeepDir keeps the run directory (logs, certificates, data) after Stop.
	KeepDir bool
	// StartTimeout bounds Start; default 2 minutes.
	StartTimeout time.Duration
	// DefaultNamespace is the namespace of bare in-cluster host names (flagger-prometheus,
	// podinfo); default "test" as in the seed walkthrough.
	DefaultNamespace string
	// CommandTimeout bounds each load tester command; default 10 minutes.
	CommandTimeout time.Duration
	// Log receives progress lines; default io.Discard.
	Log io.Writer
}

// Env is one running environment: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, kwok and Prometheus as processes on loopback ports, plus the mesh
// simulator, the load tester and the cluster DNS proxy in this process.
type Env struct {
	// Dir is the run directory: certificates, kubeconfig, data and one log per component.
	Dir string
	// Kubeconfig is the admin kubeconfig file, for the built kubectl and the controller.
	Kubeconfig string
	// APIServerURL is the kube-apiserver's https URL.
	APIServerURL string
	// ProxyURL is the cluster DNS forward proxy: give it as HTTP_PROXY to a process that
	// must reach in-cluster names (envoy.test:10000, flagger-loadtester.test, …). A Go
	// client that overrides the Host header writes that Host into the proxy request line,
	// so to reach the ingress with a Host use MeshURL directly.
	ProxyURL string
	// MeshURL is the mesh ingress (the seed's envoy.test:10000) on loopback.
	MeshURL string
	// MeshMetricsURL serves the Envoy metrics that Prometheus scrapes.
	MeshMetricsURL string
	// PrometheusURL is Prometheus (the seed's http://flagger-prometheus:9090) on loopback.
	PrometheusURL string
	// LoadTesterURL is the load tester (the seed's http://flagger-loadtester.test/).
	LoadTesterURL string
	// Mesh is the mesh simulator.
	Mesh *meshsim.Sim
	// LoadTester is the load tester.
	LoadTester *loadtester.Server
	// PKI holds the certificate files.
	PKI *PKI
	// StartDuration is how long Start took.
	StartDuration time.Duration

	opts     Options
	tools    tools
	rest     *rest.Config
	kube     kubernetes.Interface
	procs    []*Process
	servers  []*http.Server
	handlers *handlers
	closers  []func() error
	cancel   context.CancelFunc // stops the in-process parts
	logs     logs
	stopOnce sync.Once
	stopErr  error
}

// Start starts a new environment and returns when every component is healthy and the fake
// node is Ready. On error everything started is stopped again, the component logs are
// written to Options.Log, and the run directory is kept (the error says where).
func Start(ctx context.Context, opts Options) (*Env, error) {
	begin := time.Now()
	opts = withDefaults(opts)
	t, err := findTools(opts.ToolsDir)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(opts.Dir, "gitcanary-e2e-")
	if err != nil {
		return nil, fmt.Errorf("create run dir: %w", err)
	}
	e := &Env{Dir: dir, Kubeconfig: filepath.Join(dir, "kubeconfig"), opts: opts, tools: t}
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	if err := e.start(ctx); err != nil {
		e.opts.KeepDir = true
		_ = e.Stop()
		e.DumpLogs(opts.Log)
		return nil, fmt.Errorf("start e2e environment (logs in %s): %w", dir, err)
	}
	e.StartDuration = time.Since(begin)
	e.progress("environment ready in %s (run dir %s)", e.StartDuration.Round(time.Millisecond), dir)
	return e, nil
}

func withDefaults(o Options) Options {
	if o.StartTimeout <= 0 {
		o.StartTimeout = 2 * time.Minute
	}
	if o.DefaultNamespace == "" {
		o.DefaultNamespace = "test"
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = 10 * time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o
}

func (e *Env) progress(format string, args ...any) {
	fmt.Fprintf(e.opts.Log, "e2e env: "+format+"\n", args...)
}

// RESTConfig returns a copy of the admin client configuration.
func (e *Env) RESTConfig() *rest.Config { return rest.CopyConfig(e.rest) }

// Client returns the admin clientset.
func (e *Env) Client() kubernetes.Interface { return e.kube }

// Processes returns the environment's processes.
func (e *Env) Processes() []*Process { return append([]*Process(nil), e.procs...) }

// DumpLogs writes the last 200 lines of every component's log to w.
func (e *Env) DumpLogs(w io.Writer) {
	fmt.Fprintf(w, "=== e2e environment logs (run dir %s)\n", e.Dir)
	e.logs.dump(w, 200)
}

// stopGrace is how long Stop waits after SIGTERM before it SIGKILLs. The data is throwaway,
// and kube-apiserver's graceful termination (with etcd stopping at the same time) takes
// longer than any test should wait.
const stopGrace = 3 * time.Second

// Stop stops the environment: the in-process servers, then every process at once with
// SIGTERM and, after stopGrace, SIGKILL. It removes the run directory unless Options.KeepDir is
// set. Calling Stop again returns the first result.
func (e *Env) Stop() error {
	e.stopOnce.Do(func() {
		var errs []error
		for _, s := range e.servers {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			if err := s.Shutdown(ctx); err != nil {
				_ = s.Close()
			}
			cancel()
		}
		if e.LoadTester != nil {
			e.LoadTester.Close()
		}
		if e.cancel != nil {
			e.cancel()
		}
		begin := time.Now()
		stopProcesses(e.procs, stopGrace)
		e.progress("stopped: %s", stopReport(e.procs, begin))
		for _, c := range e.closers {
			if err := c(); err != nil {
				errs = append(errs, err)
			}
		}
		if !e.opts.KeepDir {
			if err := os.RemoveAll(e.Dir); err != nil {
				errs = append(errs, fmt.Errorf("remove run dir %s: %w", e.Dir, err))
			}
		}
		e.stopErr = errors.Join(errs...)
	})
	return e.stopErr
}

// serve serves h on a new loopback listener until Stop; it returns the http URL.
func (e *Env) serve(name string, h http.Handler) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listen for %s: %w", name, err)
	}
	s := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	e.servers = append(e.servers, s)
	go func() { _ = s.Serve(l) }()
	return "http://" + l.Addr().String(), nil
}
