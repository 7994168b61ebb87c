//go:build e2e

package scenarios

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
)

// idleBudgetTicks is how many idle ticks each idle measurement spans.
const idleBudgetTicks = 5

// TestAPIBudget counts the controller's own API requests through a recording proxy and holds
// the analysis to its budget: an idle canary costs no request per tick, a tick that moves the
// weight at most two writes (the TrafficSplit and the status) plus Events, and no tick of a
// promotion reads from the API server. The counts are printed as the table of
// docs/performance.md.
func TestAPIBudget(t *testing.T) {
	// Given podinfo 6.0.0 initialised by a controller whose every API request goes through
	// a recording proxy
	s := given(t)
	api := startAPIRecorder(t, s.env.RESTConfig())
	s.push("podinfo 6.0.0", s.podinfoOverlay())
	s.startControllerWith(api.kubeconfig())
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)

	// When it idles, then 6.0.1 is pushed and promoted, then it idles again
	initialized := s.idleWindow(api, idleBudgetTicks)
	promotion := s.promotionWindow(api)
	succeeded := s.idleWindow(api, idleBudgetTicks)
	t.Log("\n" + budgetReport(initialized, promotion, succeeded))

	// Then an idle canary costs nothing, Initialized or Succeeded
	require.Empty(t, initialized.analysis(), "requests of %d idle Initialized ticks", initialized.ticks)
	require.Empty(t, succeeded.analysis(), "requests of %d idle Succeeded ticks", succeeded.ticks)

	// And no tick of the promotion reads from the API server or writes more than twice
	// (plus Events); a tick that moves the weight writes the TrafficSplit and the status
	bursts := promotion.bursts()
	require.NotEmpty(t, bursts)
	for _, b := range bursts {
		require.Zero(t, b.count(isRead), "reads in a tick: %v", b)
		require.LessOrEqual(t, b.count(isNonEventWrite), 2, "writes in a tick: %v", b)
	}
	require.Equal(t, 11, promotion.weightTicks(), "ticks that moved the weight: 5, 10, … 50, then 0")
	require.LessOrEqual(t, burst(promotion.analysis()).count(isNonEventWrite), 2*promotion.ticks, "a promotion's writes")
}

// budgetWindow is what the controller asked of the API server during a part of a test.
type budgetWindow struct {
	name  string
	reqs  []apiRequest
	ticks int
}

// analysis returns the window's requests of the analysis and the runtime around it: not the
// sync loop's (User-Agent "… (sync)") and not the informers' lists and watches.
func (w budgetWindow) analysis() []apiRequest {
	var out []apiRequest
	for _, r := range w.reqs {
		if !isSync(r) && !r.isInformer() {
			out = append(out, r)
		}
	}
	return out
}

// burst is the requests of one tick.
type burst []apiRequest

func (b burst) count(match func(apiRequest) bool) int {
	n := 0
	for _, r := range b {
		if match(r) {
			n++
		}
	}
	return n
}

// bursts splits the analysis requests into ticks: a tick's requests come within milliseconds
// of each other and ticks are an analysis interval (3s) apart, so a gap of a second ends one.
func (w budgetWindow) bursts() []burst {
	var out []burst
	var cur burst
	for _, r := range w.analysis() {
		if len(cur) > 0 && r.At.Sub(cur[len(cur)-1].At) > time.Second {
			out, cur = append(out, cur), nil
		}
		cur = append(cur, r)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// weightTicks counts the ticks that wrote the TrafficSplit.
func (w budgetWindow) weightTicks() int {
	n := 0
	for _, b := range w.bursts() {
		if b.count(isSplitWrite) > 0 {
			n++
		}
	}
	return n
}

func isSync(r apiRequest) bool       { return strings.Contains(r.Agent, "(sync)") }
func isRead(r apiRequest) bool       { return r.Verb == "get" }
func isSplitWrite(r apiRequest) bool { return r.isWrite() && r.Resource == "trafficsplits" }
func isNonEventWrite(r apiRequest) bool {
	return r.isWrite() && !r.isEvent()
}

// idleWindow records the requests of n whole ticks of an idle canary: it starts when a tick
// has just ended and stops when the n-th tick after it has.
func (s *scenario) idleWindow(api *apiRecorder, n int) budgetWindow {
	s.t.Helper()
	first := s.ticks()
	s.eventually(time.Minute, "a tick to end", func() (bool, string) { return s.ticks() > first, "no tick yet" })
	from, start := time.Now(), s.ticks()
	s.eventually(time.Duration(n+2)*10*time.Second, fmt.Sprintf("%d ticks", n), func() (bool, string) {
		done := s.ticks() - start
		return done >= n, fmt.Sprintf("%d ticks", done)
	})
	c, err := s.canary()
	require.NoError(s.t, err)
	return budgetWindow{name: "idle " + string(c.Status.Phase), reqs: api.between(from, time.Now()), ticks: s.ticks() - start}
}

// promotionWindow pushes podinfo 6.0.1 and records the requests until the canary succeeded.
func (s *scenario) promotionWindow(api *apiRecorder) budgetWindow {
	s.t.Helper()
	from, start := time.Now(), s.ticks()
	s.push("podinfo 6.0.1", s.podinfoOverlay().Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))
	s.waitPhase(v1beta1.CanaryPhaseSucceeded, 5*time.Minute)
	return budgetWindow{name: "promotion", reqs: api.between(from, time.Now()), ticks: s.ticks() - start}
}

// startControllerWith starts the controller with another kubeconfig.
func (s *scenario) startControllerWith(kubeconfig string) *walkthrough.Controller {
	s.t.Helper()
	c, err := walkthrough.StartController(walkthrough.ControllerOptions{
		Binary: controllerBin, Kubeconfig: kubeconfig, RepoURL: s.git.HTTPURL(walkthrough.RepoName),
		CredentialsSecret: walkthrough.CredentialsSecret, Namespace: s.ns, PrometheusURL: s.env.PrometheusURL,
		ProxyURL: s.env.ProxyURL, Dir: s.t.TempDir(), StatusBranch: walkthrough.StatusBranch,
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

// ticks returns how many ticks the controller's analysis workers have finished: the count of
// workqueue_work_duration_seconds of the canaries queue.
func (s *scenario) ticks() int {
	s.t.Helper()
	const sample = `workqueue_work_duration_seconds_count{name="canaries"} `
	resp, err := http.Get(s.ctrl.MetricsURL + "/metrics")
	require.NoError(s.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, sample); ok {
			n, err := strconv.ParseFloat(v, 64)
			require.NoError(s.t, err)
			return int(n)
		}
	}
	s.t.Fatalf("no %q in the controller's /metrics", sample)
	return 0
}

// budgetReport is the table of docs/performance.md: per window, the ticks and the analysis's
// reads, writes and Event writes; then what the promotion asked, by verb and resource, and
// what the sync loop asked to apply 6.0.1.
func budgetReport(initialized, promotion, succeeded budgetWindow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-22s %6s %6s %7s %7s %7s %13s\n", "window", "ticks", "reads", "writes", "events", "total", "per tick")
	for _, w := range []budgetWindow{initialized, promotion, succeeded} {
		a := burst(w.analysis())
		perTick := "-"
		if w.ticks > 0 {
			perTick = strconv.FormatFloat(float64(len(a))/float64(w.ticks), 'f', 1, 64)
		}
		fmt.Fprintf(&b, "%-22s %6d %6d %7d %7d %7d %13s\n", w.name, w.ticks, a.count(isRead),
			a.count(isNonEventWrite), a.count(apiRequest.isEvent), len(a), perTick)
	}
	maxWrites := 0
	for _, t := range promotion.bursts() {
		if t.count(isSplitWrite) > 0 {
			maxWrites = max(maxWrites, t.count(isNonEventWrite))
		}
	}
	fmt.Fprintf(&b, "ticks that moved the weight: %d, at most %d writes each (Events aside)\n", promotion.weightTicks(), maxWrites)
	for _, w := range []budgetWindow{initialized, promotion, succeeded} {
		fmt.Fprintf(&b, "%s, by request: %s\n", w.name, histogram(w.analysis()))
	}
	var sync []apiRequest
	for _, r := range promotion.reqs {
		if isSync(r) {
			sync = append(sync, r)
		}
	}
	fmt.Fprintf(&b, "sync loop applying 6.0.1: %d requests: %s\n", len(sync), histogram(sync))
	return b.String()
}

// histogram counts requests by verb and resource, most frequent first.
func histogram(reqs []apiRequest) string {
	counts := map[string]int{}
	for _, r := range reqs {
		counts[r.Verb+" "+r.Resource]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if counts[keys[i]] != counts[keys[j]] {
			return counts[keys[i]] > counts[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, counts[k])
	}
	return strings.Join(parts, ", ")
}
