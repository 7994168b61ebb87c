package ledger

import (
	"fmt"
	"strconv"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// WebhookResult is one webhook call of an analysis step.
type WebhookResult struct {
	// Name of the webhook.
	Name string `json:"name" yaml:"name"`
	// Verdict is Passed, Failed, or Held (a closed gate).
	Verdict string `json:"verdict" yaml:"verdict"`
	// StatusCode of a failed call's answer, when it answered.
	StatusCode int `json:"statusCode,omitempty" yaml:"statusCode,omitempty"`
	// Body of a failed call's answer (bounded by the controller).
	Body string `json:"body,omitempty" yaml:"body,omitempty"`
	// Message is the event the call caused, when it failed.
	Message string `json:"message,omitempty" yaml:"message,omitempty"`
}

// Verdicts a check can have, as in the Canary's status.analysis.checks.
const (
	VerdictPassed  = string(v1beta1.CheckPassed)
	VerdictFailed  = string(v1beta1.CheckFailed)
	VerdictSkipped = string(v1beta1.CheckSkipped)
	VerdictHeld    = string(v1beta1.CheckHeld)
)

// Checks turns the evidence of a Canary's status.analysis.checks into the ledger's metric and
// webhook results.
func Checks(checks []v1beta1.CanaryCheck) (metrics []MetricResult, webhooks []WebhookResult) {
	for _, ck := range checks {
		switch ck.Kind {
		case v1beta1.CheckWebhook:
			webhooks = append(webhooks, WebhookResult{Name: ck.Name, Verdict: string(ck.Verdict),
				StatusCode: ck.StatusCode, Body: ck.Body, Message: ck.Message})
		default:
			metrics = append(metrics, metricResult(ck))
		}
	}
	return metrics, webhooks
}

func metricResult(ck v1beta1.CanaryCheck) MetricResult {
	m := MetricResult{Name: ck.Name, Query: ck.Query, Address: ck.Address, Verdict: string(ck.Verdict),
		Passed: ck.Verdict == v1beta1.CheckPassed}
	if r := ck.ThresholdRange; r != nil {
		m.Min, m.Max = r.Min, r.Max
	}
	v, err := strconv.ParseFloat(ck.Value, 64)
	switch {
	case ck.Value != "" && err == nil:
		m.Value = v
	case ck.Verdict != v1beta1.CheckPassed:
		m.Error = ck.Message
		if m.Error == "" {
			m.Error = "no value"
		}
	}
	return m
}

// failed reports whether a metric result failed its check. Results written before verdicts
// existed fall back on Passed.
func (m MetricResult) failed() bool {
	if m.Verdict != "" {
		return m.Verdict == VerdictFailed
	}
	return !m.Passed
}

// Describe is the one-line account of a metric check: "request-success-rate 86.5185 < min 99",
// or its error.
func (m MetricResult) Describe() string {
	switch {
	case m.Error != "":
		return m.Name + ": " + trailerValue(m.Error)
	case m.Min != nil && m.Value < *m.Min:
		return fmt.Sprintf("%s %s < min %s", m.Name, num(m.Value), num(*m.Min))
	case m.Max != nil && m.Value > *m.Max:
		return fmt.Sprintf("%s %s > max %s", m.Name, num(m.Value), num(*m.Max))
	case m.failed():
		return m.Name + " " + num(m.Value) + " failed"
	default:
		return m.Name + " " + num(m.Value) + " within " + m.Range()
	}
}

// Range renders the thresholds, such as "[99, ∞)" or "(−∞, 500]".
func (m MetricResult) Range() string {
	lo, hi := "(−∞", "∞)"
	if m.Min != nil {
		lo = "[" + num(*m.Min)
	}
	if m.Max != nil {
		hi = num(*m.Max) + "]"
	}
	return lo + ", " + hi
}

// Describe is the one-line account of a failed webhook: "webhook load-test: HTTP 500: boom".
func (w WebhookResult) Describe() string {
	s := "webhook " + w.Name
	if w.StatusCode != 0 {
		s += ": HTTP " + strconv.Itoa(w.StatusCode)
	}
	switch {
	case w.Body != "":
		s += ": " + trailerValue(w.Body)
	case w.Message != "":
		s += ": " + trailerValue(w.Message)
	}
	return s
}

// failedCheck is the first failed check of an analysis step, webhooks first as they run
// first: its description, query and metrics server (empty for a webhook).
func failedCheck(ms []MetricResult, ws []WebhookResult) (desc, query, address string) {
	for _, w := range ws {
		if w.Verdict == VerdictFailed {
			return w.Describe(), "", ""
		}
	}
	for _, m := range ms {
		if m.failed() {
			return m.Describe(), trailerValue(m.Query), m.Address
		}
	}
	return "", "", ""
}

// trailerValue makes a value safe as a commit trailer or summary: one line, at most 1000 bytes.
func trailerValue(s string) string {
	s = oneLine(s)
	if len(s) > 1000 {
		s = s[:1000] + "…"
	}
	return s
}

// checks are the checks a commit reports for a canary: those its transitions carried, or, for a
// rollback whose transitions carried none (the rollback's tick runs no check), the ones its
// file keeps, which failed it.
func (c *canaryChange) checks() ([]MetricResult, []WebhookResult) {
	if len(c.lastMetrics) > 0 || len(c.lastWebhooks) > 0 || c.status.Phase != "Failed" {
		return c.lastMetrics, c.lastWebhooks
	}
	return c.status.Metrics, c.status.Webhooks
}
