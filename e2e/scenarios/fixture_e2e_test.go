//go:build e2e

package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
	repoName     = "fleet"
	overlayPath  = "apps/podinfo"
	gitUser      = "gitcanary"
	gitPassword  = "e2e-s3cret-password"
	statusBranch = "gitcanary/status"
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
	ctrl    *controllerProcess
	// ctrls are every controller process of the scenario, oldest first.
	ctrls []*controllerProcess
	// interval is the canary's analysis interval in this scenario.
	interval string
}

// given starts a scenario: a namespace, a Git server with basic auth holding the podinfo
// example overlay (adapted to the namespace and a short interval), and the Git credentials
// Secret. It does not start the controller.
func given(t *testing.T) *scenario {
	e := env.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	installCRDs.Do(func() { installCRDsErr = applyCRDs(ctx, e) })
	require.NoError(t, installCRDsErr, "install the CRDs of manifests/crds")
	s := &scenario{t: t, ctx: ctx, env: e, ns: e.Namespace(t), kube: e.Client(), interval: "3s"}
	var err error
	s.dyn, err = dynamic.NewForConfig(e.RESTConfig())
	require.NoError(t, err)
	s.flagger, err = client.New(e.RESTConfig())
	require.NoError(t, err)

	s.git, err = gitserver.Start(gitserver.Options{Username: gitUser, Password: gitPassword, DenyNonFastForwards: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.git.Close() })
	require.NoError(t, s.git.CreateRepo(repoName, "main"))
	_, err = s.kube.CoreV1().Secrets(s.ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "gitcanary-git", Namespace: s.ns},
		Data:       map[string][]byte{"username": []byte(gitUser), "password": []byte(gitPassword)},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	return s
}

// installCRDs installs the flagger.app CRDs once per test binary, as kubectl apply -k
// manifests/install would.
var (
	installCRDs    sync.Once
	installCRDsErr error
)

func applyCRDs(ctx context.Context, e *env.Env) error {
	files, err := filepath.Glob("../../manifests/crds/flagger.app_*.yaml")
	if err != nil || len(files) != 3 {
		return fmt.Errorf("find the CRDs: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := e.ApplyCRD(ctx, data); err != nil {
			return fmt.Errorf("apply %s: %w", f, err)
		}
	}
	return nil
}

// podinfoOverlay returns the files of manifests/examples/podinfo, adapted to the scenario: the
// namespace and the in-cluster host names are the scenario's, the analysis interval is short,
// and the Namespace object is left out (the test owns the namespace).
func (s *scenario) podinfoOverlay() map[string][]byte {
	files := map[string][]byte{}
	dir := "../../manifests/examples/podinfo"
	entries, err := os.ReadDir(dir)
	require.NoError(s.t, err)
	for _, e := range entries {
		if e.Name() == "namespace.yaml" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(s.t, err)
		text := string(data)
		text = strings.ReplaceAll(text, "  - namespace.yaml\n", "")
		text = strings.ReplaceAll(text, "namespace: test", "namespace: "+s.ns)
		text = strings.ReplaceAll(text, ".test", "."+s.ns)
		text = strings.ReplaceAll(text, "interval: 1m", "interval: "+s.interval)
		files[overlayPath+"/"+e.Name()] = []byte(text)
	}
	return files
}

// push commits files to main, as a user's git push, and returns the commit.
func (s *scenario) push(message string, files map[string][]byte) string {
	sha, err := s.git.CommitFiles(s.ctx, repoName, "main", gitserver.Change{Files: files, Message: message, Author: "Dev <dev@example.com>"})
	require.NoError(s.t, err)
	return sha
}

// pushOverlayEdit rewrites one file of the overlay with edit and pushes it.
func (s *scenario) pushOverlayEdit(message, file string, edit func(string) string) string {
	files := s.podinfoOverlay()
	name := overlayPath + "/" + file
	files[name] = []byte(edit(string(files[name])))
	return s.push(message, files)
}

// setImage returns an edit of deployment.yaml that sets podinfo's image tag and, optionally,
// environment variables of the mesh simulator's podinfo (PODINFO_FAULT, …).
func setImage(tag string, env ...string) func(string) string {
	return func(text string) string {
		text = strings.Replace(text, "ghcr.io/stefanprodan/podinfo:6.0.0", "ghcr.io/stefanprodan/podinfo:"+tag, 1)
		if len(env) > 0 {
			var extra strings.Builder
			for i := 0; i+1 < len(env); i += 2 {
				extra.WriteString("            - name: " + env[i] + "\n              value: \"" + env[i+1] + "\"\n")
			}
			text = strings.Replace(text, "          env:\n", "          env:\n"+extra.String(), 1)
		}
		return text
	}
}

// eventually polls cond every 200ms until it holds, failing the test after timeout with what
// cond last said.
func (s *scenario) eventually(timeout time.Duration, what string, cond func() (bool, string)) {
	s.t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(s.ctx, 200*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		if s.ctrl != nil && s.ctrl.exited() {
			return false, fmt.Errorf("the controller exited")
		}
		ok, state := cond()
		last = state
		return ok, nil
	})
	if err != nil {
		s.t.Fatalf("waited %v for %s; last state: %s", timeout, what, last)
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

// events returns the canary's events as the controllers logged them, in order and with
// repeats (kubectl logs deploy/gitcanary | jq .msg): the Kubernetes Events of a canary merge
// repeated messages into one object, so they cannot show order or count.
func (s *scenario) events() []string {
	var out []string
	for _, p := range s.ctrls {
		for _, line := range strings.Split(p.log(), "\n") {
			var entry struct{ Logger, Msg, Canary string }
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Logger == "events" && entry.Canary == "podinfo."+s.ns {
				out = append(out, entry.Msg)
			}
		}
	}
	return out
}

// kubeEvents returns the messages of the Canary's Kubernetes events (reason Synced or
// InvalidSpec), oldest first, each message once.
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
