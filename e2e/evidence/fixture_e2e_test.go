//go:build e2e

package evidence

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/e2e/gitserver"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
)

const (
	gitUser     = "gitcanary"
	gitPassword = "e2e-evidence-password"
)

// installCRDs installs the flagger.app CRDs once per test binary.
var (
	installCRDs    sync.Once
	installCRDsErr error
)

// scenario is one test's world: a namespace, a Git repository and a gitcanary controller.
type scenario struct {
	t       *testing.T
	ctx     context.Context
	env     *env.Env
	ns      string
	git     *gitserver.Server
	flagger *client.Client
	ctrl    *walkthrough.Controller
	overlay walkthrough.Overlay
	slack   *receiver
}

// given starts a scenario with the podinfo overlay (3s interval) edited by edits, pushed, and
// a controller that sends alerts to a Slack receiver; it waits for the canary's initialisation.
func given(t *testing.T, edits ...func(string) string) *scenario {
	e := env.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	t.Cleanup(cancel)
	installCRDs.Do(func() { installCRDsErr = walkthrough.InstallCRDs(ctx, e, repoRoot) })
	require.NoError(t, installCRDsErr)
	s := &scenario{t: t, ctx: ctx, env: e, ns: e.Namespace(t)}
	var err error
	s.flagger, err = client.New(e.RESTConfig())
	require.NoError(t, err)
	s.git, err = walkthrough.StartGit(ctx, e.Client(), s.ns, gitUser, gitPassword)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.git.Close() })
	s.overlay, err = walkthrough.PodinfoOverlay(repoRoot, s.ns, "3s")
	require.NoError(t, err)
	for _, edit := range edits {
		s.overlay.Edit("canary.yaml", edit)
	}
	s.push("podinfo 6.0.0")
	s.slack = startReceiver(t)
	s.ctrl, err = walkthrough.StartController(walkthrough.ControllerOptions{
		Binary: controllerBin, Kubeconfig: e.Kubeconfig, RepoURL: s.git.HTTPURL(walkthrough.RepoName),
		CredentialsSecret: walkthrough.CredentialsSecret, Namespace: s.ns, PrometheusURL: e.PrometheusURL,
		ProxyURL: e.ProxyURL, Dir: t.TempDir(), StatusBranch: walkthrough.StatusBranch,
		Extra: []string{"-slack-url", s.slack.URL + "/slack"},
	})
	require.NoError(t, err)
	t.Cleanup(func() {
		s.ctrl.Stop()
		if t.Failed() {
			t.Logf("controller log %s:\n%s", s.ctrl.LogPath, s.ctrl.LogTail(300))
		}
	})
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 3*time.Minute)
	return s
}

// push commits the overlay as a git push would.
func (s *scenario) push(message string) string {
	sha, err := walkthrough.Push(s.ctx, s.git, message, s.overlay)
	require.NoError(s.t, err)
	return sha
}

// release pushes a new podinfo image.
func (s *scenario) release(tag string, env ...string) string {
	s.overlay.Edit("deployment.yaml", walkthrough.SetImage(tag, env...))
	return s.push("podinfo " + tag)
}

// eventually polls cond until it holds, failing after timeout or at once when the controller
// exits.
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

func (s *scenario) canary() *v1beta1.Canary {
	s.t.Helper()
	c, err := s.flagger.Canaries(s.ns).Get(s.ctx, "podinfo", metav1.GetOptions{})
	require.NoError(s.t, err)
	return c
}

func (s *scenario) waitPhase(phase v1beta1.CanaryPhase, timeout time.Duration) *v1beta1.Canary {
	s.t.Helper()
	var c *v1beta1.Canary
	s.eventually(timeout, "phase "+string(phase), func() (bool, string) {
		var err error
		if c, err = s.flagger.Canaries(s.ns).Get(s.ctx, "podinfo", metav1.GetOptions{}); err != nil {
			return false, err.Error() // not synced yet
		}
		return c.Status.Phase == phase, fmt.Sprintf("%s weight %d failed %d", c.Status.Phase, c.Status.CanaryWeight, c.Status.FailedChecks)
	})
	return c
}

// events are the canary's events as the controller logged them, in order, with repeats.
func (s *scenario) events() []string { return s.ctrl.Events(s.ns + "/podinfo") }

// waitEvent waits for an event that starts with prefix and returns it.
func (s *scenario) waitEvent(prefix string, timeout time.Duration) string {
	s.t.Helper()
	var found string
	s.eventually(timeout, "event "+prefix, func() (bool, string) {
		evs := s.events()
		for _, e := range evs {
			if strings.HasPrefix(e, prefix) {
				found = e
				return true, ""
			}
		}
		return false, tail(strings.Join(evs, "\n"), 5)
	})
	return found
}

// rolloutCalls counts the load tester's calls of the canary's rollout webhook (one per tick).
func (s *scenario) rolloutCalls() int {
	n := 0
	for _, c := range s.env.LoadTester.Calls() {
		if c.Payload.Namespace == s.ns && c.Payload.Metadata["cmd"] != "" && strings.HasPrefix(c.Payload.Metadata["cmd"], "hey") {
			n++
		}
	}
	return n
}

func countPrefix(events []string, prefix string) int {
	n := 0
	for _, e := range events {
		if strings.HasPrefix(e, prefix) {
			n++
		}
	}
	return n
}

func tail(s string, lines int) string {
	all := strings.Split(s, "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// receiver records the JSON posted to it, as a Slack incoming webhook would receive it.
type receiver struct {
	URL   string
	srv   *http.Server
	mu    sync.Mutex
	texts []string
}

func startReceiver(t *testing.T) *receiver {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r := &receiver{URL: "http://" + l.Addr().String()}
	r.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		var msg struct {
			Text        string `json:"text"`
			Attachments []struct {
				Text string `json:"text"`
			} `json:"attachments"`
		}
		_ = json.Unmarshal(body, &msg)
		r.mu.Lock()
		r.texts = append(r.texts, msg.Text)
		for _, a := range msg.Attachments {
			r.texts = append(r.texts, a.Text)
		}
		r.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})}
	go func() { _ = r.srv.Serve(l) }()
	t.Cleanup(func() { _ = r.srv.Close() })
	return r
}

// containing counts the messages received that contain text.
func (r *receiver) containing(text string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.texts {
		if strings.Contains(m, text) {
			n++
		}
	}
	return n
}
