//go:build e2e

package scenarios

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/e2e/gitserver"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

const (
	overlayPath = walkthrough.OverlayPath
	gitUser     = "gitcanary"
	gitPassword = "e2e-s3cret-password"
	// repoRoot is the gitcanary repository, seen from this package.
	repoRoot = "../.."
)

// scenario is one test's world: a namespace, a Git repository with the podinfo overlay, and a
// gitcanary controller syncing it into the namespace.
type scenario struct {
	t       *testing.T
	ctx     context.Context
	env     *env.Env
	ns      string
	git     *gitserver.Server
	kube    kubernetes.Interface
	dyn     dynamic.Interface
	flagger *client.Client
	// ctrl is the running controller; ctrls every controller of the scenario, oldest first.
	ctrl  *walkthrough.Controller
	ctrls []*walkthrough.Controller
	// interval is the canary's analysis interval in this scenario.
	interval string
}

// installCRDs installs the flagger.app CRDs once per test binary.
var (
	installCRDs    sync.Once
	installCRDsErr error
)

// given starts a scenario: a namespace, a Git server with basic auth and an empty repository,
// and the Git credentials Secret. It does not push or start the controller.
func given(t *testing.T) *scenario {
	e := env.Get(t)
	return givenIn(t, e, e.Namespace(t))
}

// givenIn is given in the namespace ns, which the caller created.
func givenIn(t *testing.T, e *env.Env, ns string) *scenario {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	installCRDs.Do(func() { installCRDsErr = walkthrough.InstallCRDs(ctx, e, repoRoot) })
	require.NoError(t, installCRDsErr)
	s := &scenario{t: t, ctx: ctx, env: e, ns: ns, kube: e.Client(), interval: "3s"}
	var err error
	s.dyn, err = dynamic.NewForConfig(e.RESTConfig())
	require.NoError(t, err)
	s.flagger, err = client.New(e.RESTConfig())
	require.NoError(t, err)
	s.git, err = walkthrough.StartGit(ctx, s.kube, s.ns, gitUser, gitPassword)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.git.Close() })
	return s
}

// podinfoOverlay returns manifests/examples/podinfo adapted to the scenario's namespace and
// interval.
func (s *scenario) podinfoOverlay() walkthrough.Overlay {
	o, err := walkthrough.PodinfoOverlay(repoRoot, s.ns, s.interval)
	require.NoError(s.t, err)
	return o
}

// push commits the overlay to main, as a user's git push, and returns the commit.
func (s *scenario) push(message string, o walkthrough.Overlay) string {
	sha, err := walkthrough.Push(s.ctx, s.git, message, o)
	require.NoError(s.t, err)
	return sha
}

// startController runs the gitcanary binary against the scenario's repository and namespace;
// a failing test prints its log.
func (s *scenario) startController(extra ...string) *walkthrough.Controller {
	s.t.Helper()
	c, err := walkthrough.StartController(walkthrough.ControllerOptions{
		Binary: controllerBin, Kubeconfig: s.env.Kubeconfig, RepoURL: s.git.HTTPURL(walkthrough.RepoName),
		CredentialsSecret: walkthrough.CredentialsSecret, Namespace: s.ns, PrometheusURL: s.env.PrometheusURL,
		ProxyURL: s.env.ProxyURL, Dir: s.t.TempDir(), StatusBranch: walkthrough.StatusBranch, Extra: extra,
	})
	require.NoError(s.t, err)
	s.ctrl = c
	s.ctrls = append(s.ctrls, c)
	s.t.Cleanup(func() {
		c.Stop()
		if s.t.Failed() {
			s.t.Logf("controller log %s:\n%s", c.LogPath, c.LogTail(300))
		}
	})
	return c
}

// eventually polls cond every 200ms until it holds, failing the test after timeout with what
// cond last said, or at once when the controller exits.
func (s *scenario) eventually(timeout time.Duration, what string, cond func() (bool, string)) {
	s.t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(s.ctx, 200*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		if s.ctrl != nil && s.ctrl.Exited() {
			return false, fmt.Errorf("the controller exited")
		}
		ok, state := cond()
		last = state
		return ok, nil
	})
	if err != nil {
		s.t.Fatalf("waited %v for %s: %v; last state: %s", timeout, what, err, last)
	}
}

// canary reads the Canary.
func (s *scenario) canary() (*v1beta1.Canary, error) {
	return s.flagger.Canaries(s.ns).Get(s.ctx, "podinfo", metav1.GetOptions{})
}

// waitPhase waits until the Canary reaches phase.
func (s *scenario) waitPhase(phase v1beta1.CanaryPhase, timeout time.Duration) *v1beta1.Canary {
	s.t.Helper()
	var c *v1beta1.Canary
	s.eventually(timeout, "phase "+string(phase), func() (bool, string) {
		var err error
		c, err = s.canary()
		if err != nil {
			return false, err.Error()
		}
		return c.Status.Phase == phase, string(c.Status.Phase)
	})
	return c
}

// waitPromoted waits until the Canary succeeded with image in its primary. The phase alone
// cannot say which revision succeeded: a push after a promotion logs "New revision detected!"
// and scales the target up before the tick writes Progressing, so the previous Succeeded is
// still there for a moment.
func (s *scenario) waitPromoted(image string, timeout time.Duration) {
	s.t.Helper()
	s.eventually(timeout, "Succeeded with "+image, func() (bool, string) {
		c, err := s.canary()
		if err != nil {
			return false, err.Error()
		}
		primary := s.primaryImage()
		return c.Status.Phase == v1beta1.CanaryPhaseSucceeded && primary == image,
			fmt.Sprintf("%s, primary %s", c.Status.Phase, primary)
	})
}

// events returns the canary's events as the controllers logged them, in order and with
// repeats (kubectl logs deploy/gitcanary | jq .msg): the Kubernetes Events of a canary merge
// repeated messages into one object, so they cannot show order or count.
func (s *scenario) events() []string {
	var out []string
	for _, c := range s.ctrls {
		out = append(out, c.Events(s.ns+"/podinfo")...)
	}
	return out
}

// kubeEvents returns the messages of the Canary's Kubernetes events, oldest first, each
// message once.
func (s *scenario) kubeEvents() []string {
	list, err := s.kube.CoreV1().Events(s.ns).List(s.ctx, metav1.ListOptions{FieldSelector: "involvedObject.kind=Canary,involvedObject.name=podinfo"})
	require.NoError(s.t, err)
	items := list.Items
	sort.SliceStable(items, func(i, j int) bool { return eventTime(items[i]).Before(eventTime(items[j])) })
	var out []string
	for _, e := range items {
		out = append(out, e.Message)
	}
	return out
}

func eventTime(e corev1.Event) time.Time {
	switch {
	case !e.FirstTimestamp.IsZero():
		return e.FirstTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	default:
		return e.CreationTimestamp.Time
	}
}

var trafficSplits = schema.GroupVersionResource{Group: "split.smi-spec.io", Version: "v1alpha1", Resource: "trafficsplits"}

// canaryWeight reads the canary's weight from the TrafficSplit podinfo.
func (s *scenario) canaryWeight() (int, error) {
	ts, err := s.dyn.Resource(trafficSplits).Namespace(s.ns).Get(s.ctx, "podinfo", metav1.GetOptions{})
	if err != nil {
		return 0, err
	}
	backends, _, _ := unstructured.NestedSlice(ts.Object, "spec", "backends")
	for _, b := range backends {
		m, _ := b.(map[string]any)
		if m["service"] == "podinfo-canary" {
			// v1alpha1 weights are strings ("5"), later versions integers.
			return strconv.Atoi(fmt.Sprint(m["weight"]))
		}
	}
	return 0, fmt.Errorf("TrafficSplit %s/podinfo has no podinfo-canary backend", s.ns)
}

// requireInOrder checks that want appears in got as a subsequence.
func requireInOrder(t *testing.T, got, want []string) {
	t.Helper()
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	require.Equal(t, len(want), i, "missing %q in order; events:\n%s", want[min(i, len(want)-1)], strings.Join(got, "\n"))
}

func count(events []string, message string) int {
	n := 0
	for _, e := range events {
		if e == message {
			n++
		}
	}
	return n
}

// errNotYet says what a wait is still waiting for.
func errNotYet(what string, state any) error { return fmt.Errorf("%s: %v", what, state) }
