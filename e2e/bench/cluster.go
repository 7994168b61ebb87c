package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/e2e/gitserver"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
)

// controllerNamespace holds the Git credentials and the controller's inventories.
const controllerNamespace = "gitcanary-system"

// cluster is what both benchmarks run on: the local environment with the Flagger CRDs and the
// controller's namespace, the Git server the controller follows, and the controller once started.
type cluster struct {
	log     io.Writer
	root    string // the gitcanary module
	env     *env.Env
	flagger *client.Client
	git     *gitserver.Server
	ctrl    *walkthrough.Controller
}

// newCluster finds the gitcanary module from the working directory; nothing is started yet.
func newCluster() (cluster, error) {
	root, err := repoRoot()
	return cluster{log: os.Stderr, root: root}, err
}

// start starts the environment (kept after the run when keep is set), installs the CRDs,
// creates the controller's namespace and starts the Git server.
func (c *cluster) start(ctx context.Context, keep bool) error {
	var err error
	c.env, err = env.Start(ctx, env.Options{ToolsDir: filepath.Join(c.root, ".cache", "tools"), KeepDir: keep,
		StartTimeout: 5 * time.Minute, Log: c.log})
	if err != nil {
		return err
	}
	if c.flagger, err = client.New(c.env.RESTConfig()); err != nil {
		return err
	}
	if err := walkthrough.InstallCRDs(ctx, c.env, c.root); err != nil {
		return err
	}
	kube := c.env.Client()
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controllerNamespace}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create namespace %s: %w", controllerNamespace, err)
	}
	c.git, err = walkthrough.StartGit(ctx, kube, controllerNamespace, "gitcanary", "bench-password")
	return err
}

// teardown stops the controller, the Git server and the environment; on failure (runErr) it
// first prints the ends of their logs.
func (c *cluster) teardown(runErr error) {
	if runErr != nil && c.env != nil {
		c.env.DumpLogs(c.log)
		if c.ctrl != nil {
			fmt.Fprintf(c.log, "=== controller log %s (last lines)\n%s\n", c.ctrl.LogPath, c.ctrl.LogTail(60))
		}
	}
	if c.ctrl != nil {
		c.ctrl.Stop()
	}
	if c.git != nil {
		_ = c.git.Close()
	}
	if c.env != nil {
		_ = c.env.Stop()
	}
}
