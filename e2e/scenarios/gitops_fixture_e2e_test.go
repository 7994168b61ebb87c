//go:build e2e

package scenarios

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitcanary/gitcanary/e2e/walkthrough"
)

// The GitOps scenarios' extra overlays, next to apps/podinfo: a Service and a ConfigMap of
// their own, and an overlay that does not render.
const (
	backendOverlay = "apps/backend"
	configOverlay  = "apps/config"
	brokenOverlay  = "apps/broken"
)

// gitopsFiles returns the podinfo overlay of the scenario plus apps/backend (a Service),
// apps/config (a ConfigMap whose key value is value) and apps/broken (a kustomization naming
// a file that does not exist).
func (s *scenario) gitopsFiles(value string) walkthrough.Overlay {
	files := s.podinfoOverlay()
	files[backendOverlay+"/service.yaml"] = []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: backend\n  namespace: " + s.ns +
		"\n  labels: {app: backend}\nspec:\n  selector: {app: backend}\n  ports: [{port: 80, targetPort: 8080}]\n")
	files[configOverlay+"/config.yaml"] = []byte(configDoc(s.ns, value))
	files[brokenOverlay+"/kustomization.yaml"] = []byte("resources:\n  - missing.yaml\n")
	return files
}

func configDoc(ns, value string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: " + ns + "\ndata:\n  value: " + strconv.Quote(value) + "\n"
}

// configValue reads the ConfigMap of apps/config.
func (s *scenario) configValue() (string, error) {
	cm, err := s.kube.CoreV1().ConfigMaps(s.ns).Get(s.ctx, "settings", metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	return cm.Data["value"], nil
}

// kubectl runs kubectl against the environment and fails the test on error.
func (s *scenario) kubectl(args ...string) string {
	s.t.Helper()
	out, err := s.env.Kubectl(s.ctx, args...)
	require.NoError(s.t, err, out)
	return out
}

// metric reads one sample of the controller's /metrics: the value of the series whose name and
// labels are series, such as `gitcanary_drift_corrections_total{overlay="apps/podinfo"}`; 0
// when absent.
func (s *scenario) metric(series string) float64 {
	s.t.Helper()
	resp, err := http.Get(s.ctrl.MetricsURL + "/metrics")
	require.NoError(s.t, err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			require.NoError(s.t, err)
			return f
		}
	}
	return 0
}

// readyz reads /readyz?verbose.
func (s *scenario) readyz() string {
	s.t.Helper()
	resp, err := http.Get(s.ctrl.MetricsURL + "/readyz?verbose")
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	return string(b)
}

// logLines returns the controller's log lines whose message is msg.
func (s *scenario) logLines(msg string) []string {
	var out []string
	for _, line := range strings.Split(s.ctrl.Log(), "\n") {
		if strings.Contains(line, `"msg":"`+msg+`"`) {
			out = append(out, line)
		}
	}
	return out
}

// statusOverlays runs gitcanary status overlays on the scenario's repository.
func (s *scenario) statusOverlays() (string, error) {
	out, err := exec.CommandContext(s.ctx, controllerBin, "status", "overlays", "--repo", s.git.RepoPath(walkthrough.RepoName),
		"--branch", walkthrough.StatusBranch).CombinedOutput()
	return string(out), err
}

// receiverSecret creates the push receiver's Secret in the scenario's namespace.
func (s *scenario) receiverSecret(token string) string {
	s.t.Helper()
	_, err := s.kube.CoreV1().Secrets(s.ns).Create(s.ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "gitcanary-receiver", Namespace: s.ns},
		Data:       map[string][]byte{"token": []byte(token)},
	}, metav1.CreateOptions{})
	require.NoError(s.t, err)
	return "gitcanary-receiver"
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(ctx context.Context) (string, error) {
	l, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}
