package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/e2e/gitserver"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/gitcanary/gitcanary/status/ledger"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const namespace = "test"

// demo is one run of the walkthrough.
type demo struct {
	out      io.Writer
	keep     bool
	interval string

	root    string
	env     *env.Env
	git     *gitserver.Server
	ctrl    *walkthrough.Controller
	flagger *client.Client
	overlay walkthrough.Overlay
	printed int // events of the controller log printed so far
}

func (d *demo) run(ctx context.Context) error {
	var err error
	if d.root, err = repoRoot(); err != nil {
		return err
	}
	d.step("Starting the local environment: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok, Prometheus, mesh simulator, load tester")
	d.env, err = env.Start(ctx, env.Options{ToolsDir: filepath.Join(d.root, ".cache", "tools"), KeepDir: d.keep})
	if err != nil {
		return err
	}
	d.say("ready in %v; run directory %s", d.env.StartDuration.Round(100*time.Millisecond), d.env.Dir)
	if d.flagger, err = client.New(d.env.RESTConfig()); err != nil {
		return err
	}
	if err := walkthrough.InstallCRDs(ctx, d.env, d.root); err != nil {
		return err
	}
	if _, err := d.env.Client().CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create namespace %s: %w", namespace, err)
	}
	d.say("installed the flagger.app CRDs (manifests/crds) and created namespace %s", namespace)

	if err := d.bootstrap(ctx); err != nil {
		return err
	}
	if err := d.promotion(ctx); err != nil {
		return err
	}
	if err := d.rollback(ctx); err != nil {
		return err
	}
	d.step("kubectl get canaries --all-namespaces")
	if err := d.kubectl(ctx, "get", "canaries", "--all-namespaces"); err != nil {
		return err
	}
	if err := d.evidence(ctx); err != nil {
		return err
	}
	return d.statusLog(ctx)
}

// evidence prints the Analysis part of kubectl describe: the checks of the last analysis tick,
// with the failing metric's query, value and threshold.
func (d *demo) evidence(ctx context.Context) error {
	d.step("kubectl -n %s describe canary/podinfo (the evidence of the last checks)", namespace)
	out, err := d.env.Kubectl(ctx, "-n", namespace, "describe", "canary/podinfo")
	if err != nil {
		return err
	}
	fmt.Fprint(d.out, indent(describeSection(out, "  Analysis:")))
	return nil
}

// describeSection is the block of the Status part of kubectl describe output that starts with
// the line header, up to the next line indented as little as it (the spec has an Analysis too).
func describeSection(out, header string) string {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if l == "Status:" {
			lines = lines[i:]
			break
		}
	}
	var b strings.Builder
	in := false
	for _, l := range lines {
		switch {
		case l == header:
			in = true
		case in && len(l)-len(strings.TrimLeft(l, " ")) <= len(header)-len(strings.TrimLeft(header, " ")):
			return b.String()
		}
		if in {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// bootstrap pushes podinfo 6.0.0 and its Canary and starts the controller.
func (d *demo) bootstrap(ctx context.Context) error {
	var err error
	d.git, err = walkthrough.StartGit(ctx, d.env.Client(), namespace, "gitcanary", "demo-password")
	if err != nil {
		return err
	}
	if d.overlay, err = walkthrough.PodinfoOverlay(d.root, namespace, d.interval); err != nil {
		return err
	}
	// gitcanary's noData policy: a check whose query has no data yet (the load test has just
	// started) holds the weight instead of failing, up to 3 intervals.
	d.overlay.Edit("canary.yaml", walkthrough.NoDataSkip(3))
	d.step("git push: %s with podinfo 6.0.0, its HPA, the Canary (metrics with noData: {policy: Skip, limit: 3}) and the MetricTemplates (analysis interval %s)", walkthrough.OverlayPath, d.interval)
	if err := d.push(ctx, "podinfo 6.0.0"); err != nil {
		return err
	}
	bin := filepath.Join(d.root, ".cache", "demo", "gitcanary")
	if err := walkthrough.BuildController(d.root, bin); err != nil {
		return err
	}
	d.step("gitcanary controller -repo-url %s -overlays 'apps/*' …", d.git.HTTPURL(walkthrough.RepoName))
	d.ctrl, err = walkthrough.StartController(walkthrough.ControllerOptions{
		Binary: bin, Kubeconfig: d.env.Kubeconfig, RepoURL: d.git.HTTPURL(walkthrough.RepoName),
		CredentialsSecret: walkthrough.CredentialsSecret, Namespace: namespace,
		PrometheusURL: d.env.PrometheusURL, ProxyURL: d.env.ProxyURL, Dir: d.env.Dir,
		StatusBranch: walkthrough.StatusBranch,
	})
	if err != nil {
		return err
	}
	d.say("log: %s", d.ctrl.LogPath)
	if err := d.waitPhase(ctx, v1beta1.CanaryPhaseInitialized, 2*time.Minute); err != nil {
		return err
	}
	d.step("kubectl -n test get deploy,svc,hpa,trafficsplits (applied and generated)")
	return d.kubectl(ctx, "-n", namespace, "get", "deployments,services,horizontalpodautoscalers,trafficsplits.split.smi-spec.io")
}

// promotion is the seed's "Automated canary promotion".
func (d *demo) promotion(ctx context.Context) error {
	d.step("git push: podinfo 6.0.1 — automated canary promotion")
	d.overlay.Edit("deployment.yaml", walkthrough.SetImage("6.0.1"))
	if err := d.push(ctx, "podinfo 6.0.1"); err != nil {
		return err
	}
	return d.waitPhase(ctx, v1beta1.CanaryPhaseSucceeded, 5*time.Minute)
}

// rollback is the seed's "Automated rollback": a version whose requests fail.
func (d *demo) rollback(ctx context.Context) error {
	d.step("git push: podinfo 6.0.2, which answers 30%% of its requests with HTTP 500, checked with gitcanary's built-in Envoy metrics — automated rollback")
	d.overlay.Edit("deployment.yaml", walkthrough.SetImage("6.0.2", "PODINFO_FAULT", "500", "PODINFO_FAULT_PERCENT", "30"))
	d.overlay.Edit("canary.yaml", walkthrough.BuiltinMetrics)
	if err := d.push(ctx, "podinfo 6.0.2"); err != nil {
		return err
	}
	return d.waitPhase(ctx, v1beta1.CanaryPhaseFailed, 5*time.Minute)
}

func (d *demo) push(ctx context.Context, message string) error {
	sha, err := walkthrough.Push(ctx, d.git, message, d.overlay)
	if err == nil {
		d.say("pushed %s %q", sha[:7], message)
	}
	return err
}

// waitPhase streams the canary's events until it reaches phase.
func (d *demo) waitPhase(ctx context.Context, phase v1beta1.CanaryPhase, timeout time.Duration) error {
	return waitUntil(ctx, timeout, "phase "+string(phase), func(ctx context.Context) (bool, error) {
		d.printEvents()
		if d.ctrl.Exited() {
			return false, fmt.Errorf("the controller exited; see %s", d.ctrl.LogPath)
		}
		c, err := d.flagger.Canaries(namespace).Get(ctx, "podinfo", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if c.Status.Phase == phase {
			d.printEvents()
			d.say("canary %s/podinfo is %s", namespace, phase)
			return true, nil
		}
		return false, nil
	})
}

// printEvents prints the canary's new events, as `kubectl logs deploy/gitcanary | jq .msg`.
func (d *demo) printEvents() {
	events := d.ctrl.Events(namespace + "/podinfo")
	for _, e := range events[d.printed:] {
		fmt.Fprintf(d.out, "    %s\n", e)
	}
	d.printed = len(events)
}

func (d *demo) kubectl(ctx context.Context, args ...string) error {
	out, err := d.env.Kubectl(ctx, args...)
	fmt.Fprint(d.out, indent(out))
	return err
}

// statusLog prints the status branch: the table and the commits that recorded the canary.
func (d *demo) statusLog(ctx context.Context) error {
	d.step("git log %s (the status ledger)", walkthrough.StatusBranch)
	var snap *ledger.Snapshot
	err := waitUntil(ctx, 30*time.Second, "the ledger to record Failed", func(context.Context) (bool, error) {
		var err error
		if snap, err = ledger.OpenLocal(d.git.RepoPath(walkthrough.RepoName), walkthrough.StatusBranch); err != nil {
			return false, err
		}
		rows, err := snap.Rows()
		return err == nil && len(rows) == 1 && rows[0].Status == string(v1beta1.CanaryPhaseFailed), err
	})
	if err != nil {
		return err
	}
	history, err := snap.History(namespace + "/podinfo")
	if err != nil {
		return err
	}
	for _, e := range history {
		fmt.Fprintf(d.out, "    %s %s %s\n", e.Commit[:7], e.Time.UTC().Format(time.RFC3339), e.Summary)
	}
	d.step("STATUS.md on %s", walkthrough.StatusBranch)
	rows, err := snap.Rows()
	if err != nil {
		return err
	}
	var b strings.Builder
	if err := ledger.WriteTable(&b, rows); err != nil {
		return err
	}
	fmt.Fprint(d.out, indent(b.String()))
	return nil
}

// teardown stops everything, or with KEEP=1 says how to reach it and waits for Ctrl-C.
func (d *demo) teardown(ctx context.Context, runErr error) {
	if d.env == nil {
		return
	}
	if d.keep {
		d.step("KEEP=1: the environment keeps running until Ctrl-C")
		d.say("export KUBECONFIG=%s", d.env.Kubeconfig)
		d.say("%s get canaries -A", filepath.Join(d.root, ".cache", "tools", "bin", "kubectl"))
		if d.git != nil {
			d.say("git clone %s  (user gitcanary, password demo-password)", d.git.HTTPURL(walkthrough.RepoName))
		}
		<-ctx.Done()
	} else if runErr != nil {
		d.env.DumpLogs(os.Stderr)
		if d.ctrl != nil {
			fmt.Fprintf(os.Stderr, "=== controller log %s\n%s\n", d.ctrl.LogPath, d.ctrl.LogTail(100))
		}
	}
	if d.ctrl != nil {
		d.ctrl.Stop()
	}
	if d.git != nil {
		_ = d.git.Close()
	}
	_ = d.env.Stop()
	d.step("Stopped the environment")
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ") + "\n"
}
