//go:build e2e

package scenarios

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/stretchr/testify/require"
)

// controllerProcess is a running gitcanary controller.
type controllerProcess struct {
	cmd     *exec.Cmd
	logPath string
	// MetricsURL serves /metrics, /healthz and /readyz.
	metricsURL string
	done       chan struct{}
}

// startController runs gitcanary controller against the scenario's repository and namespace,
// as the install manifests would, with test-sized intervals. extra flags are appended.
func (s *scenario) startController(extra ...string) *controllerProcess {
	s.t.Helper()
	addr := freeAddr(s)
	dir := s.t.TempDir()
	logPath := filepath.Join(dir, fmt.Sprintf("controller-%d.log", time.Now().UnixNano()))
	logFile, err := os.Create(logPath)
	require.NoError(s.t, err)
	args := []string{"controller",
		"-kubeconfig", s.env.Kubeconfig,
		"-repo-url", s.git.HTTPURL(repoName),
		"-credentials-secret", "gitcanary-git",
		"-controller-namespace", s.ns,
		"-namespace", s.ns,
		"-overlays", "apps/*",
		"-sync-schedule", "@every 1s",
		"-min-analysis-interval", "1s",
		"-metrics-server", s.env.PrometheusURL,
		"-listen-address", addr,
		"-status-branch", statusBranch,
		"-ledger-batch-window", "300ms",
		"-cache-dir", filepath.Join(dir, "cache"),
		"-log-level", "debug",
	}
	cmd := exec.Command(controllerBin, append(args, extra...)...)
	// In-cluster names (the load tester, Prometheus, podinfo) resolve through the cluster DNS
	// proxy, as they would from a pod; the API server and the Git server are on loopback.
	cmd.Env = append(os.Environ(), "HTTP_PROXY="+s.env.ProxyURL, "http_proxy="+s.env.ProxyURL)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	require.NoError(s.t, cmd.Start())
	p := &controllerProcess{cmd: cmd, logPath: logPath, metricsURL: "http://" + addr, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); _ = logFile.Close(); close(p.done) }()
	s.ctrl = p
	s.ctrls = append(s.ctrls, p)
	s.t.Cleanup(func() {
		p.stop()
		if s.t.Failed() {
			data, _ := os.ReadFile(logPath)
			s.t.Logf("controller log %s:\n%s", logPath, tail(string(data), 300))
		}
	})
	return p
}

// stop ends the controller with SIGTERM, then SIGKILL after 10s.
func (p *controllerProcess) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// exited reports whether the process has ended.
func (p *controllerProcess) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill ends the controller at once, as a node failure would.
func (p *controllerProcess) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// log returns what the controller logged so far.
func (p *controllerProcess) log() string {
	data, _ := os.ReadFile(p.logPath)
	return string(data)
}

func freeAddr(s *scenario) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(s.t, err)
	addr := l.Addr().String()
	require.NoError(s.t, l.Close())
	return addr
}

func tail(s string, lines int) string {
	all := strings.Split(s, "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
