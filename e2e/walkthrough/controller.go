package walkthrough

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gitcanary/gitcanary/e2e/env"
)

// BuildController builds the gitcanary binary from the module at root into out.
func BuildController(root, out string) error {
	cmd := exec.Command("go", "build", "-o", out, "./cmd/gitcanary")
	cmd.Dir = root
	if data, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build gitcanary: %w: %s", err, data)
	}
	return nil
}

// ControllerOptions say how to run a controller for the walkthrough.
type ControllerOptions struct {
	// Binary is the gitcanary binary.
	Binary string
	// Kubeconfig, RepoURL, CredentialsSecret, Namespace and PrometheusURL are the flags of the
	// same names; Namespace is both the watched and the controller namespace.
	Kubeconfig, RepoURL, CredentialsSecret, Namespace, PrometheusURL string
	// ProxyURL is given as HTTP_PROXY, so in-cluster names resolve as from a pod.
	ProxyURL string
	// Dir holds the log and the Git cache.
	Dir string
	// StatusBranch is the ledger's branch.
	StatusBranch string
	// Extra flags, appended.
	Extra []string
}

// Controller is a running gitcanary controller process.
type Controller struct {
	cmd *exec.Cmd
	// LogPath receives the process's JSON log.
	LogPath string
	// MetricsURL serves /metrics, /healthz and /readyz.
	MetricsURL string
	done       chan struct{}
}

// StartController runs gitcanary controller with test-sized intervals: a sync every second and
// analysis intervals down to one second.
func StartController(o ControllerOptions) (*Controller, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(o.Dir, fmt.Sprintf("controller-%d.log", time.Now().UnixNano()))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create controller log: %w", err)
	}
	args := []string{"controller",
		"-kubeconfig", o.Kubeconfig,
		"-repo-url", o.RepoURL,
		"-credentials-secret", o.CredentialsSecret,
		"-controller-namespace", o.Namespace,
		"-namespace", o.Namespace,
		"-overlays", "apps/*",
		"-sync-schedule", "@every 1s",
		"-min-analysis-interval", "1s",
		"-metrics-server", o.PrometheusURL,
		"-listen-address", addr,
		"-status-branch", o.StatusBranch,
		"-ledger-batch-window", "300ms",
		"-cache-dir", filepath.Join(o.Dir, "cache"),
		"-log-level", "debug",
	}
	cmd := exec.Command(o.Binary, append(args, o.Extra...)...)
	// In-cluster names (the load tester, Prometheus, podinfo) resolve through the cluster DNS
	// proxy; the API server and the Git server are on loopback, which is never proxied.
	cmd.Env = append(os.Environ(), "HTTP_PROXY="+o.ProxyURL, "http_proxy="+o.ProxyURL)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start gitcanary controller: %w", err)
	}
	c := &Controller{cmd: cmd, LogPath: logPath, MetricsURL: "http://" + addr, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); _ = logFile.Close(); close(c.done) }()
	return c, nil
}

// Stop ends the controller with SIGTERM, then SIGKILL after 10s.
func (c *Controller) Stop() {
	if c.Exited() {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		c.Kill()
	}
}

// Kill ends the controller at once, as a node failure would.
func (c *Controller) Kill() {
	_ = c.cmd.Process.Kill()
	<-c.done
}

// Exited reports whether the process has ended.
func (c *Controller) Exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Log returns what the controller logged so far.
func (c *Controller) Log() string {
	data, _ := os.ReadFile(c.LogPath)
	return string(data)
}

// LogTail returns the last n lines the controller logged, for a failure report.
func (c *Controller) LogTail(n int) string {
	lines := strings.Split(strings.TrimRight(c.Log(), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Events returns the messages of the events of canary ("<name>.<namespace>") that the log
// holds, in order and with repeats.
func (c *Controller) Events(canary string) []string {
	return EventsFromLog(c.Log(), canary)
}

// EventsFromLog extracts the event messages of canary ("namespace/name") from a controller's JSON log: the lines
// of the "events" logger, whose msg is the event's text.
func EventsFromLog(log, canary string) []string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		var entry struct{ Logger, Msg, Canary string }
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Logger == "events" && entry.Canary == canary {
			out = append(out, entry.Msg)
		}
	}
	return out
}

// freeAddr returns a free loopback address for the controller's HTTP listener, below the
// ephemeral range (env.FreePorts).
func freeAddr() (string, error) {
	ports, err := env.FreePorts(1)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", ports[0]), nil
}
