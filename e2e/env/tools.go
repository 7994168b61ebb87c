package env

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// tools are the absolute paths of the binaries an environment runs.
type tools struct {
	etcd, apiserver, controllerManager, scheduler, kubectl, kwok, hey, prometheus string
	kwokStages                                                                    string
}

// findTools locates the binaries built by `make tools` in dir (default: the repository's
// .cache/tools). Prometheus comes from dir/bin when built there, else from PATH.
func findTools(dir string) (tools, error) {
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			return tools{}, err
		}
		dir = filepath.Join(root, ".cache", "tools")
	}
	bin := filepath.Join(dir, "bin")
	t := tools{
		etcd:              filepath.Join(bin, "etcd"),
		apiserver:         filepath.Join(bin, "kube-apiserver"),
		controllerManager: filepath.Join(bin, "kube-controller-manager"),
		scheduler:         filepath.Join(bin, "kube-scheduler"),
		kubectl:           filepath.Join(bin, "kubectl"),
		kwok:              filepath.Join(bin, "kwok"),
		hey:               filepath.Join(bin, "hey"),
		prometheus:        filepath.Join(bin, "prometheus"),
		kwokStages:        filepath.Join(dir, "kwok-stages"),
	}
	if _, err := os.Stat(t.prometheus); err != nil {
		p, err := exec.LookPath("prometheus")
		if err != nil {
			return tools{}, fmt.Errorf("find prometheus: not in %s nor on PATH (run make tools): %w", bin, err)
		}
		t.prometheus = p
	}
	for _, p := range []string{t.etcd, t.apiserver, t.controllerManager, t.scheduler, t.kubectl, t.kwok, t.hey, t.kwokStages} {
		if _, err := os.Stat(p); err != nil {
			return tools{}, fmt.Errorf("find e2e tool %s (run make tools): %w", p, err)
		}
	}
	return t, nil
}

// repoRoot walks up from the working directory to the folder holding e2e/tools/build.sh.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "e2e", "tools", "build.sh")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("find repository root: no e2e/tools/build.sh above " + wd + "; set Options.ToolsDir")
		}
	}
}
