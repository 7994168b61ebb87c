package engine

import (
	"errors"
	"maps"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// recordCheck adds a metric check to the tick's report.
func (p *plan) recordCheck(m *v1beta1.CanaryMetric, r MetricResult, verdict v1beta1.CheckVerdict, msg string) {
	ck := MetricCheck{Name: m.Name, Value: r.Value, Err: r.Err, Query: r.Query, Address: r.Address, Verdict: verdict}
	if verdict == v1beta1.CheckFailed {
		ck.Failure = msg
	}
	p.report.Checks = append(p.report.Checks, ck)
	p.evidence = append(p.evidence, metricEvidence(p.c, m, ck, msg))
}

// recordEvidence replaces status.analysis.checks with the checks of this tick, when it ran any:
// the webhooks called, in spec order, then the metric checks in evaluation order, bounded.
// Ticks that ran no check keep the evidence of the last one that did, so a rolled back canary
// still shows the checks that failed it.
func (p *plan) recordEvidence() {
	hooks := p.hookEvidence()
	if len(hooks) == 0 && len(p.evidence) == 0 {
		return
	}
	checks := append(hooks, p.evidence...)
	if len(checks) > v1beta1.MaxStatusChecks {
		checks = checks[:v1beta1.MaxStatusChecks]
	}
	p.analysisStatus().Checks = checks
}

// hookEvidence describes the webhooks called this tick: a gate that is closed is Held; a
// rollback hook is recorded only when it rolled the canary back.
func (p *plan) hookEvidence() []v1beta1.CanaryCheck {
	hooks := p.webhooks()
	var out []v1beta1.CanaryCheck
	for _, i := range slices.Sorted(maps.Keys(p.obs.Hooks)) {
		if i >= len(hooks) {
			continue
		}
		h, err := hooks[i], p.obs.Hooks[i]
		ck := v1beta1.CanaryCheck{Kind: v1beta1.CheckWebhook, Name: h.Name, Verdict: v1beta1.CheckPassed}
		switch t := h.EffectiveType(); {
		case t == v1beta1.RollbackHook && err != nil:
			continue
		case t == v1beta1.RollbackHook:
			ck.Verdict, ck.Message = v1beta1.CheckFailed, bounded(msgManualRollback(p.c), v1beta1.MaxCheckText)
		case err == nil:
		case t == v1beta1.ConfirmRolloutHook || t == v1beta1.ConfirmTrafficIncreaseHook || t == v1beta1.ConfirmPromotionHook:
			ck.Verdict = v1beta1.CheckHeld
			ck.StatusCode, ck.Body = hookAnswer(err)
		default:
			ck.Verdict, ck.Message = v1beta1.CheckFailed, bounded(err.Error(), v1beta1.MaxCheckText)
			ck.StatusCode, ck.Body = hookAnswer(err)
		}
		out = append(out, ck)
	}
	return out
}

// hookAnswer returns the HTTP status and bounded body a webhook error carries, if any.
func hookAnswer(err error) (int, string) {
	var a HookAnswer
	if !errors.As(err, &a) {
		return 0, ""
	}
	code, body := a.HookAnswer()
	return code, bounded(body, v1beta1.MaxCheckText)
}

// metricEvidence is a metric check as status.analysis.checks keeps it.
func metricEvidence(c *v1beta1.Canary, m *v1beta1.CanaryMetric, ck MetricCheck, msg string) v1beta1.CanaryCheck {
	out := v1beta1.CanaryCheck{
		Kind: v1beta1.CheckMetric, Name: m.Name, Verdict: ck.Verdict, ThresholdRange: thresholdRange(m),
		Query: bounded(ck.Query, v1beta1.MaxCheckQuery), Address: ck.Address, Message: bounded(msg, v1beta1.MaxCheckText),
	}
	if ck.Err == nil && kindOf(m) != metricUnconfigured {
		out.Value = FormatValue(ck.Value)
	}
	return out
}

// thresholdRange is the range a metric is judged against: its thresholdRange, or the
// deprecated threshold as Flagger reads it (a minimum for the success rate, else a maximum).
func thresholdRange(m *v1beta1.CanaryMetric) *v1beta1.CanaryThresholdRange {
	if m.ThresholdRange != nil {
		return m.ThresholdRange.DeepCopy()
	}
	t := m.Threshold
	if kindOf(m) == metricBuiltin && m.Name == v1beta1.BuiltinRequestSuccessRate {
		return &v1beta1.CanaryThresholdRange{Min: &t}
	}
	if kindOf(m) == metricUnconfigured {
		return nil
	}
	return &v1beta1.CanaryThresholdRange{Max: &t}
}

// FormatValue renders a metric value for the status: at most four decimals, no exponent for
// ordinary magnitudes ("86.5185", "500", "0.0012").
func FormatValue(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(math.Round(v*1e4)/1e4, 'f', -1, 64)
}

// bounded cuts s to at most n bytes on a rune boundary, marking the cut with "…".
func bounded(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
