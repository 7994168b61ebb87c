package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	dto "github.com/prometheus/client_model/go"
)

// pushOptions are the flags of `bench push`.
type pushOptions struct {
	canaries, rounds int
	poll, interval   time.Duration
	timeout          time.Duration
	out              string
	keep             bool
}

func parsePush(args []string) (pushOptions, error) {
	var o pushOptions
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	fs.IntVar(&o.canaries, "canaries", 5, "canaries the pushes take turns on (skipAnalysis, so each is promoted in a few ticks)")
	fs.IntVar(&o.rounds, "rounds", 20, "pushes measured per trigger")
	fs.DurationVar(&o.poll, "poll", 30*time.Second, "the controller's -sync-schedule @every, in both runs (its default)")
	fs.DurationVar(&o.interval, "interval", 2*time.Second, "the canaries' analysis interval")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "longest wait for one detection or promotion")
	fs.StringVar(&o.out, "out", "", "also write the report to this file")
	fs.BoolVar(&o.keep, "keep", false, "keep the environment's run directory (logs)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.canaries < 1 || o.rounds < 1 {
		return o, errors.New("-canaries and -rounds must be at least 1")
	}
	return o, nil
}

// pushRun is one run of the push latency benchmark: the same fleet, first with the push
// receiver, then with polling only.
type pushRun struct {
	cluster
	opts  pushOptions
	bin   string
	fleet *fleet
	tag   int // the last image tag pushed, 6.1.<tag>
	// notified is when the receiver was last notified: it defers a push that comes within its
	// MinInterval (1 s) of the last sync it triggered, by design, so pushes are spaced wider.
	notified time.Time
	results  []pushResult
}

// pushResult is one trigger's latencies, push → "New revision detected", in seconds.
type pushResult struct {
	trigger   string
	latencies []float64
}

// receiverToken is the push receiver's secret in the benchmark.
const receiverToken = "bench-receiver-token"

// receiverMinInterval is the receiver's default least time between two syncs it triggers.
const receiverMinInterval = time.Second

func runPush(ctx context.Context, args []string) error {
	opts, err := parsePush(args)
	if err != nil {
		return err
	}
	p := &pushRun{opts: opts}
	if p.cluster, err = newCluster(); err != nil {
		return err
	}
	err = p.run(ctx)
	p.teardown(err)
	if err != nil {
		return err
	}
	report := p.markdown("go run ./e2e/bench push " + strings.Join(args, " "))
	fmt.Print(report)
	if opts.out != "" {
		return os.WriteFile(opts.out, []byte(report), 0o644)
	}
	return nil
}

func (p *pushRun) run(ctx context.Context) error {
	if err := p.start(ctx); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	addr, err := freeLoopback()
	if err != nil {
		return err
	}
	for _, t := range []struct {
		name  string
		flags []string
	}{
		{name: "push receiver (GitHub notification)", flags: []string{"-receiver-address", addr, "-receiver-secret", "gitcanary-receiver"}},
		{name: "polling only"},
	} {
		p.progress("measure: %s", t.name)
		r, err := p.measure(ctx, t.name, t.flags, addr)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		p.results = append(p.results, r)
	}
	return nil
}

// start starts the cluster with the receiver's Secret and the fleet (skipAnalysis canaries)
// in Git, and builds the controller.
func (p *pushRun) start(ctx context.Context) error {
	if err := p.cluster.start(ctx, p.opts.keep); err != nil {
		return err
	}
	if _, err := p.env.Client().CoreV1().Secrets(controllerNamespace).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "gitcanary-receiver"}, Data: map[string][]byte{"token": []byte(receiverToken)},
	}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create the receiver's Secret: %w", err)
	}
	var err error
	if p.fleet, err = newFleet(p.root, p.opts.canaries, "push", p.opts.interval, p.env.PrometheusURL); err != nil {
		return err
	}
	files := p.fleet.overlays("6.1.0")
	for k, v := range files {
		if strings.HasSuffix(k, "/canary.yaml") {
			files[k] = []byte(strings.Replace(string(v), "  analysis:\n", "  skipAnalysis: true\n  analysis:\n", 1))
		}
	}
	if _, err := walkthrough.Push(ctx, p.git, "the fleet", files); err != nil {
		return err
	}
	p.bin = filepath.Join(p.root, ".cache", "bench", "gitcanary")
	return walkthrough.BuildController(p.root, p.bin)
}

// measure runs the controller with extra flags and pushes a new image to one canary per round,
// notifying the receiver when it is on; it returns how long each push took to be detected.
func (p *pushRun) measure(ctx context.Context, trigger string, extra []string, addr string) (pushResult, error) {
	r := pushResult{trigger: fmt.Sprintf("%s, -sync-schedule @every %v", trigger, p.opts.poll)}
	flags := append([]string{"-namespace=", "-log-level", "info", "-sync-schedule", "@every " + p.opts.poll.String(),
		"-min-analysis-interval", "1s"}, extra...)
	var err error
	p.ctrl, err = walkthrough.StartController(walkthrough.ControllerOptions{
		Binary: p.bin, Kubeconfig: p.env.Kubeconfig, RepoURL: p.git.HTTPURL(walkthrough.RepoName),
		CredentialsSecret: walkthrough.CredentialsSecret, Namespace: controllerNamespace,
		PrometheusURL: p.env.PrometheusURL, ProxyURL: p.env.ProxyURL, Dir: p.env.Dir,
		StatusBranch: walkthrough.StatusBranch, Extra: flags,
	})
	if err != nil {
		return r, err
	}
	defer func() { p.ctrl.Stop(); p.ctrl = nil }()
	p.progress("controller log %s", p.ctrl.LogPath)
	if err := p.waitFirstSync(ctx); err != nil {
		return r, err
	}
	for i := range p.opts.rounds {
		ns := p.fleet.namespace(i%p.opts.canaries + 1)
		if err := p.waitIdle(ctx, ns); err != nil {
			return r, err
		}
		latency, err := p.pushOnce(ctx, ns, len(extra) > 0, addr)
		if err != nil {
			return r, fmt.Errorf("round %d: %w", i+1, err)
		}
		r.latencies = append(r.latencies, latency.Seconds())
		p.progress("%s: round %d, %s detected after %v", trigger, i+1, ns, latency.Round(time.Millisecond))
	}
	return r, nil
}

// pushOnce pushes a new image for the canary of namespace ns, notifies the receiver (notify),
// and returns the time from the push to the canary's "New revision detected" event.
func (p *pushRun) pushOnce(ctx context.Context, ns string, notify bool, addr string) (time.Duration, error) {
	// Pushes are paced, not waited on: one with the receiver comes after its MinInterval, one
	// without lands at a random point of the poll period, not right after a poll.
	pace := time.Until(p.notified.Add(receiverMinInterval + 200*time.Millisecond))
	if !notify {
		pace = rand.N(p.opts.poll)
	}
	if err := pause(ctx, pace); err != nil {
		return 0, err
	}
	p.tag++
	change := walkthrough.Overlay{"apps/" + ns + "/deployment.yaml": []byte(walkthrough.SetImage(fmt.Sprintf("6.1.%d", p.tag))(p.fleet.deployment))}
	sha, err := walkthrough.Push(ctx, p.git, "new image for "+ns, change)
	if err != nil {
		return 0, err
	}
	pushed := time.Now()
	if notify {
		if err := notifyGitHub(ctx, addr, sha); err != nil {
			return 0, err
		}
		p.notified = time.Now()
	}
	deadline := pushed.Add(p.opts.timeout)
	for {
		log, err := readControllerLog(p.ctrl.LogPath)
		if err != nil {
			return 0, err
		}
		if at, ok := log.eventAt(ns+"/podinfo", "New revision detected", pushed); ok {
			return at.Sub(pushed), nil
		}
		if p.ctrl.Exited() || time.Now().After(deadline) {
			return 0, fmt.Errorf("no New revision detected for %s within %v (controller exited: %t)", ns, p.opts.timeout, p.ctrl.Exited())
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitFirstSync waits until the controller's first sync is done (gitcanary_sync_total), so
// that it cannot pick up the first measured push.
func (p *pushRun) waitFirstSync(ctx context.Context) error {
	s := newScraper(p.ctrl.MetricsURL, p.env.Client())
	deadline := time.Now().Add(p.opts.timeout)
	for {
		raw, err := s.get(ctx, p.ctrl.MetricsURL+"/metrics")
		if err == nil {
			var families map[string]*dto.MetricFamily
			if families, err = parseMetrics(raw); err == nil && sum(families["gitcanary_sync_total"], nil) >= 1 {
				return nil
			}
		}
		if p.ctrl.Exited() || time.Now().After(deadline) {
			return fmt.Errorf("the controller's first sync not done within %v (last error %v)", p.opts.timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitIdle waits until the canary of namespace ns is Initialized or Succeeded.
func (p *pushRun) waitIdle(ctx context.Context, ns string) error {
	deadline := time.Now().Add(p.opts.timeout)
	for {
		c, err := p.flagger.Canaries(ns).Get(ctx, "podinfo", metav1.GetOptions{})
		if err == nil && (c.Status.Phase == v1beta1.CanaryPhaseInitialized || c.Status.Phase == v1beta1.CanaryPhaseSucceeded) {
			return nil
		}
		if p.ctrl.Exited() || time.Now().After(deadline) {
			return fmt.Errorf("canary %s/podinfo not idle within %v (err %v)", ns, p.opts.timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// notifyGitHub sends the receiver a push of main signed as GitHub signs it.
func notifyGitHub(ctx context.Context, addr, sha string) error {
	body := `{"ref":"refs/heads/main","after":"` + sha + `"}`
	mac := hmac.New(sha256.New, []byte(receiverToken))
	mac.Write([]byte(body))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/hook/github", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", sha)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := (&http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		return fmt.Errorf("notify the receiver: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusAccepted {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("the receiver answered %s: %s", resp.Status, b)
	}
	return nil
}

// markdown renders the results for docs/performance.md.
func (p *pushRun) markdown(command string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Push → \"New revision detected\"\n\n")
	fmt.Fprintf(&b, "`%s` on %s, %s. %d canaries (skipAnalysis, %v interval) take turns; each push changes one image.\n\n",
		strings.TrimSpace(command), machine(), time.Now().UTC().Format("2006-01-02"), p.opts.canaries, p.opts.interval)
	b.WriteString("| trigger | pushes | p50 | p90 | p99 | max |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, r := range p.results {
		fmt.Fprintf(&b, "| %s | %d | %s s | %s s | %s s | %s s |\n", r.trigger, len(r.latencies), dec(percentile(r.latencies, 50)),
			dec(percentile(r.latencies, 90)), dec(percentile(r.latencies, 99)), dec(percentile(r.latencies, 100)))
	}
	b.WriteString("\nGoal: p50 under 1 s with the receiver.\n")
	return b.String()
}

func (p *pushRun) progress(format string, args ...any) {
	fmt.Fprintf(p.log, "%s bench push: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// freeLoopback returns a loopback address nothing listens on.
func freeLoopback() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// pause waits for d (nothing when d is not positive) or until ctx is done.
func pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
