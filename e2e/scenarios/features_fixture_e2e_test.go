//go:build e2e

package scenarios

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/loadtester"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The feature scenarios (webhooks_e2e_test.go, features_e2e_test.go) each prove one Flagger
// feature through the real controller. They share this fixture: the example's podinfo with a
// Canary written for the feature, the load tester's gates, and an HTTP receiver for alerts and
// event webhooks.

// features describes the Canary of a feature scenario.
type features struct {
	// provider is spec.provider; default smi:crossover.
	provider string
	// spec is YAML added under spec (unindented), e.g. "skipAnalysis: true".
	spec string
	// analysis is YAML added under spec.analysis (unindented); interval is the scenario's and
	// threshold 5 unless given. Without stepWeight, stepWeights or iterations the analysis
	// steps 5 % up to 10 %.
	analysis string
	// flags are extra controller flags.
	flags []string
}

// featureCanary renders the Canary of f for the scenario.
func (s *scenario) featureCanary(f features) string {
	if f.provider == "" {
		f.provider = "smi:crossover"
	}
	analysis := f.analysis
	if !regexp.MustCompile(`(?m)^(stepWeight|stepWeights|iterations):`).MatchString(analysis) {
		analysis = "maxWeight: 10\nstepWeight: 5\n" + analysis
	}
	if !strings.Contains(analysis, "threshold:") {
		analysis = "threshold: 5\n" + analysis
	}
	return fmt.Sprintf(`apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
spec:
  provider: %q
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: podinfo
  progressDeadlineSeconds: 60
  autoscalerRef:
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    name: podinfo
  service:
    port: 9898
%s  analysis:
    interval: %s
%s`, f.provider, indent(2, f.spec), s.interval, indent(4, analysis))
}

// featureOverlay is the podinfo example with the Canary of f. minReadySeconds is dropped: the
// feature scenarios wait for rollouts often, and the pods of the fake node are ready at once.
func (s *scenario) featureOverlay(f features) walkthrough.Overlay {
	o := s.podinfoOverlay()
	o[overlayPath+"/canary.yaml"] = []byte(s.featureCanary(f))
	return o.Edit("deployment.yaml", func(text string) string { return strings.Replace(text, "  minReadySeconds: 5\n", "", 1) })
}

func indent(n int, text string) string {
	if text == "" {
		return ""
	}
	pad := strings.Repeat(" ", n)
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pad + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// hook is the YAML of one webhook, for features.analysis ("webhooks:" + hook(…) + hook(…)).
func hook(name, typ, url string) string {
	return fmt.Sprintf("- name: %s\n  type: %s\n  url: %s\n", name, typ, url)
}

// loadTesterURL is the in-cluster URL of a load tester endpoint, as a Canary in the scenario's
// namespace names it (the seed's http://flagger-loadtester.test/).
func (s *scenario) loadTesterURL(path string) string {
	return "http://" + "flagger-loadtester." + s.ns + path
}

// startFeature pushes 6.0.0 with the Canary of f, starts the controller and waits for the
// initialization; it returns the overlay for later pushes.
func (s *scenario) startFeature(f features) walkthrough.Overlay {
	s.t.Helper()
	o := s.featureOverlay(f)
	s.push("podinfo 6.0.0", o)
	s.startController(f.flags...)
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)
	return o
}

// eventSources returns the source components of the Canary's Kubernetes Events.
func (s *scenario) eventSources() []string {
	s.t.Helper()
	list, err := s.kube.CoreV1().Events(s.ns).List(s.ctx, metav1.ListOptions{FieldSelector: "involvedObject.kind=Canary,involvedObject.name=podinfo"})
	require.NoError(s.t, err)
	var out []string
	for _, e := range list.Items {
		if !slices.Contains(out, e.Source.Component) {
			out = append(out, e.Source.Component)
		}
	}
	return out
}

// gate calls a gate endpoint of the load tester (/gate/open, /rollback/open, …) for the
// scenario's canary, as a user would with curl.
func (s *scenario) gate(path string) {
	s.t.Helper()
	body := fmt.Sprintf(`{"name":"podinfo","namespace":%q}`, s.ns)
	resp, err := http.Post(s.env.LoadTesterURL+path, "application/json", strings.NewReader(body))
	require.NoError(s.t, err)
	defer resp.Body.Close()
	require.Equal(s.t, http.StatusAccepted, resp.StatusCode, path)
}

// hookCalls returns the load tester's calls on path for the scenario's canary.
func (s *scenario) hookCalls(path string) []loadtester.Call {
	var out []loadtester.Call
	for _, c := range s.env.LoadTester.Calls() {
		if c.Path == path && c.Payload.Namespace == s.ns {
			out = append(out, c)
		}
	}
	return out
}

// waitHookCalls waits until the load tester answered path n times for the canary: the
// controller asked at n ticks.
func (s *scenario) waitHookCalls(path string, n int, timeout time.Duration) []loadtester.Call {
	s.t.Helper()
	var calls []loadtester.Call
	s.eventually(timeout, fmt.Sprintf("%d calls of %s", n, path), func() (bool, string) {
		calls = s.hookCalls(path)
		return len(calls) >= n, fmt.Sprintf("%d calls", len(calls))
	})
	return calls
}

// waitEvent waits until the controller logged the event message for the canary n times.
func (s *scenario) waitEvent(message string, n int, timeout time.Duration) {
	s.t.Helper()
	s.eventually(timeout, fmt.Sprintf("%d× event %q", n, message), func() (bool, string) {
		got := count(s.events(), message)
		return got >= n, fmt.Sprintf("%d× seen", got)
	})
}

// key is the canary's <name>.<namespace>, as Flagger's events name it.
func (s *scenario) key() string { return "podinfo." + s.ns }

// targetReplicas reads spec.replicas of the target Deployment.
func (s *scenario) targetReplicas() int32 {
	d, err := s.kube.AppsV1().Deployments(s.ns).Get(s.ctx, "podinfo", metav1.GetOptions{})
	require.NoError(s.t, err)
	if d.Spec.Replicas == nil {
		return -1
	}
	return *d.Spec.Replicas
}

// receiver is an HTTP server started by a test that records what it is sent: the in-environment
// Slack (alerts) and event webhook receiver.
type receiver struct {
	URL   string
	srv   *http.Server
	mu    sync.Mutex
	posts []receivedPost
}

// receivedPost is one request the receiver got.
type receivedPost struct {
	Path string
	Body []byte
}

// startReceiver starts a receiver on loopback, where the controller reaches it directly (the
// cluster DNS proxy is not used for loopback addresses).
func (s *scenario) startReceiver() *receiver {
	s.t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(s.t, err)
	r := &receiver{URL: "http://" + l.Addr().String()}
	r.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		r.mu.Lock()
		r.posts = append(r.posts, receivedPost{Path: req.URL.Path, Body: body})
		r.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})}
	go func() { _ = r.srv.Serve(l) }()
	s.t.Cleanup(func() { _ = r.srv.Close() })
	return r
}

// received returns the JSON bodies posted to path, decoded into T, oldest first.
func received[T any](r *receiver, path string) []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []T
	for _, p := range r.posts {
		var v T
		if p.Path == path && json.Unmarshal(p.Body, &v) == nil {
			out = append(out, v)
		}
	}
	return out
}
