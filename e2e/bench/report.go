package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"time"
)

// scaleResult is what a scale run measured.
type scaleResult struct {
	opts            scaleOptions
	command         string
	controllerFlags string
	// applied and initialized are the times from the fleet's push until the last overlay was
	// applied and the last Canary Initialized.
	applied, initialized time.Duration
	// baseline is the empty controller; idle the idle fleet; background the API server without
	// the controller; promoteWindow the controller during the promotions.
	baseline, idle, background, promoteWindow    window
	baselineRSS, baselineHeap, idleRSS, idleHeap float64
	promoteRSSMax, ledgerPendingMax              float64
	// promotePush is when the new image was pushed; promoted how long until every canary was
	// Succeeded.
	promotePush time.Time
	promoted    time.Duration
	// tickLags are the ticks' delays past the interval (s); ledgerLags the delays from a
	// promotion to the ledger commit that recorded it (s).
	tickLags, ledgerLags []float64
	// drift is the drift correction pass measured, with the controller's API requests and CPU
	// seconds between the samples around it; idleDrift says a pass ran in the idle window.
	drift                            driftPass
	driftRequests, driftCPU          float64
	idleDrift                        bool
	ledgerCommits, ledgerTransitions int
}

const mib = 1 << 20

// markdown renders the result as docs/performance.md shows it.
func (r *scaleResult) markdown() string {
	var b strings.Builder
	n := float64(r.opts.n)
	fmt.Fprintf(&b, "### %d canaries, %v analysis interval\n\n", r.opts.n, r.opts.interval)
	fmt.Fprintf(&b, "`%s` on %s, %s.  \n", strings.TrimSpace(r.command), machine(), time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(&b, "Controller flags added by the benchmark: `%s`.\n\n", r.controllerFlags)
	b.WriteString("| measure | result | target |\n| --- | --- | --- |\n")
	row := func(what, result, target string) { fmt.Fprintf(&b, "| %s | %s | %s |\n", what, result, target) }
	row("push → all objects applied", seconds(r.applied), "")
	row("push → all Canaries Initialized", seconds(r.initialized), "< 60 s at 1,000")
	row("RSS, empty controller (Go heap in use)", fmt.Sprintf("%.1f MiB (%.1f MiB)", r.baselineRSS/mib, r.baselineHeap/mib), "")
	row("RSS, idle fleet, steady state (Go heap in use)", fmt.Sprintf("%.1f MiB (%.1f MiB)", r.idleRSS/mib, r.idleHeap/mib), "")
	row("RSS per idle canary above the empty controller (heap)", fmt.Sprintf("%.1f KiB (%.1f KiB)",
		(r.idleRSS-r.baselineRSS)/n/1024, (r.idleHeap-r.baselineHeap)/n/1024), "< 40 KiB")
	row("CPU, idle fleet (empty controller)", fmt.Sprintf("%.2f s/min (%.2f s/min)", r.idle.cpu, r.baseline.cpu), "")
	row("analysis ticks, idle fleet", fmt.Sprintf("%s /min", num(r.idle.ticks)), "")
	idleRequests := fmt.Sprintf("%s /min, %s per tick", num(r.idle.clientRequests), ratio(r.idle.clientRequests, r.idle.ticks))
	if r.idleDrift {
		idleRequests += " (a drift correction pass ran in the window)"
	}
	row("API requests of the controller, idle (client-go metrics)", idleRequests, "0 per tick")
	row(fmt.Sprintf("drift correction, every %v: overlays re-applied (failed) in; API requests of the controller (per overlay); CPU", r.opts.reconcile),
		fmt.Sprintf("%d (%d) in %s; %s (%s); %.1f s", r.drift.overlays, r.drift.failed, seconds(r.drift.finished.Sub(r.drift.started)),
			num(r.driftRequests), ratio(r.driftRequests, float64(r.drift.overlays)), r.driftCPU), "")
	row("API server requests, idle, all clients: with − without the controller", fmt.Sprintf("%s − %s = %s /min",
		num(r.idle.requests), num(r.background.requests), num(r.idle.requests-r.background.requests)), "")
	row("new image → every canary Succeeded", seconds(r.promoted), fmt.Sprintf("%d steps of %v", steps(r.opts), r.opts.interval))
	row(fmt.Sprintf("tick lag p50 / p99 / max (%d ticks)", len(r.tickLags)), fmt.Sprintf("%s / %s / %s s",
		dec(percentile(r.tickLags, 50)), dec(percentile(r.tickLags, 99)), dec(percentile(r.tickLags, 100))), "p99 < 1 s")
	row("CPU during the promotions; peak RSS", fmt.Sprintf("%.1f s/min; %.1f MiB", r.promoteWindow.cpu, r.promoteRSSMax/mib), "")
	row("API requests of the controller during the promotions", fmt.Sprintf("%s /min, %s per tick", num(r.promoteWindow.clientRequests),
		ratio(r.promoteWindow.clientRequests, r.promoteWindow.ticks)), "")
	row("ledger commits (transitions) since the new image", fmt.Sprintf("%d (%d), %.1f /min", r.ledgerCommits, r.ledgerTransitions,
		float64(r.ledgerCommits)/math.Max(r.promoted.Minutes(), 1e-9)), "back to back while transitions keep coming (a backlog is flushed at once), else one per 2 s window")
	row(fmt.Sprintf("ledger lag, promotion → commit, p50 / p99 / max (%d canaries, 1 s resolution)", len(r.ledgerLags)),
		fmt.Sprintf("%s / %s / %s s", dec(percentile(r.ledgerLags, 50)), dec(percentile(r.ledgerLags, 99)), dec(percentile(r.ledgerLags, 100))), "")
	row("ledger queue, largest", num(r.ledgerPendingMax), "not growing")
	b.WriteString("\n")
	return b.String()
}

// steps is how many ticks an analysis of the fleet's canaries takes from the new revision to
// Succeeded: the start, one per weight, promoting, finalising.
func steps(o scaleOptions) int { return 1 + o.maxWeight/o.stepWeight + 2 }

func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func num(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.0f", v)
}

func dec(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", v)
}

func ratio(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// machine describes the host: CPU model, cores, memory, OS and Go version.
func machine() string {
	model, mem := "unknown CPU", ""
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		_ = f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		if sc.Scan() {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(sc.Text(), "MemTotal:")), "%d kB", &kb); err == nil {
				mem = fmt.Sprintf(", %d GiB", (kb+1<<19)>>20)
			}
		}
		_ = f.Close()
	}
	return fmt.Sprintf("%s, %d cores%s, %s/%s, %s", model, runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH, runtime.Version())
}
