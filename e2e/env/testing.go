package env

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitcanary/gitcanary/e2e/env/proc"
)

// shared is the environment of the test binary, started by Main.
var shared *Env

// Main is the body of an e2e package's TestMain: it starts one environment for the package
// (progress on stderr), runs the tests, prints every component's log and keeps the run
// directory when a test failed, stops the environment and exits with the tests' code.
//
//	func TestMain(m *testing.M) { env.Main(m, env.Options{}) }
func Main(m *testing.M, opts Options) {
	os.Exit(run(m, opts))
}

func run(m *testing.M, opts Options) int {
	if opts.Log == nil {
		opts.Log = os.Stderr
	}
	e, err := Start(context.Background(), opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	shared = e
	code := m.Run()
	if code != 0 {
		e.opts.KeepDir = true
		e.DumpLogs(os.Stderr)
	}
	if err := e.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Get returns the environment started by Main, failing the test when there is none.
func Get(t testing.TB) *Env {
	t.Helper()
	if shared == nil {
		t.Fatal("no e2e environment: call env.Main(m, env.Options{}) from TestMain")
	}
	return shared
}

var unsafeName = regexp.MustCompile(`[^a-z0-9-]+`)

// Namespace creates a namespace for the test (named after it), waits until pods can be
// created in it, and deletes it when the test ends. When the test failed, the namespace's
// objects and events are logged first.
func (e *Env) Namespace(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	base := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(base) > 40 {
		base = strings.Trim(base[:40], "-")
	}
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	name := base + "-" + hex.EncodeToString(suffix)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"gitcanary.e2e/test": "true"}}}
	if _, err := e.kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if t.Failed() {
			out, err := e.Kubectl(ctx, "-n", name, "get", "all,events,trafficsplits", "-o", "wide")
			t.Logf("namespace %s at failure (err %v):\n%s", name, err, out)
		}
		if err := e.kube.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Errorf("delete namespace %s: %v", name, err)
		}
	})
	if err := waitFor(ctx, "service account "+name+"/default", e.procs, 50*time.Millisecond, e.serviceAccountReady(name)); err != nil {
		t.Fatal(err)
	}
	return name
}

// Kubectl runs the built kubectl with the environment's kubeconfig and returns its standard
// output; the error includes its standard error.
func (e *Env) Kubectl(ctx context.Context, args ...string) (string, error) {
	cmd := proc.Command(ctx, e.tools.kubectl, append([]string{"--kubeconfig=" + e.Kubeconfig}, args...)...)
	cmd.Env = []string{"HOME=" + e.Dir, "PATH=" + os.Getenv("PATH")}
	var stdout, stderr proc.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := proc.Run(cmd); err != nil {
		return string(stdout.Bytes()), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(stdout.Bytes()), nil
}

// WaitFor polls check every 100 ms until it returns nil, failing the test when timeout
// passes (with check's last error) or when a component of the environment exits.
func (e *Env) WaitFor(t testing.TB, timeout time.Duration, what string, check func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := waitFor(ctx, what, e.procs, 100*time.Millisecond, check); err != nil {
		t.Fatal(err)
	}
}

// HTTPClient returns a client that reaches in-cluster names (http://envoy.test:10000/,
// http://podinfo-canary.test:9898/, http://flagger-loadtester.test/ …) through the cluster
// DNS proxy, as a pod in the cluster would.
func (e *Env) HTTPClient() *http.Client {
	proxyURL, _ := url.Parse(e.ProxyURL)
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}, Timeout: time.Minute}
}
