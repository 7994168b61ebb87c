package engine

import (
	"errors"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// tickOutcome is what the checks of an analysis tick concluded.
type tickOutcome int

const (
	// tickPassed: every check passed; the analysis advances.
	tickPassed tickOutcome = iota + 1
	// tickFailed: a check failed; it counts towards the threshold.
	tickFailed
	// tickHeld: a metric had no data under noData Skip, or its backend did not answer under
	// queryErrors Hold; the tick neither advances nor counts a failed check.
	tickHeld
)

// metrics queries the metrics in Flagger's order and stops at the first failure. A metric
// held by the no-data or query-error policy holds the tick instead, and the metrics after it
// are still queried: a failure among them fails the tick.
func (p *plan) metrics() (tickOutcome, bool) {
	ms := p.c.Spec.Analysis.Metrics
	outcome, unavailable := tickPassed, ""
	for _, i := range metricOrder(ms) {
		m := &ms[i]
		if kindOf(m) == metricUnconfigured {
			p.recordCheck(m, MetricResult{}, v1beta1.CheckFailed, msgNotConfigured)
			p.warn(msgNotConfigured)
			return tickFailed, true
		}
		r, done := p.obs.Metrics[i]
		if !done {
			p.need = &Check{Kind: CheckMetric, Index: i, Name: m.Name}
			return tickFailed, false
		}
		if failureOf(r.Err) == MetricUnavailable && unavailable == "" {
			unavailable = metricErrorText(p.c, m, r.Err)
		}
		verdict, msg := p.judge(m, r)
		p.recordCheck(m, r, verdict, msg)
		switch verdict {
		case v1beta1.CheckFailed:
			p.warn(msg)
			p.settleHold(unavailable)
			return tickFailed, true
		case v1beta1.CheckSkipped, v1beta1.CheckHeld:
			outcome = tickHeld
		}
	}
	p.settleHold(unavailable)
	return outcome, true
}

// judge gives one metric result its verdict and event text under the metric's no-data policy
// and the analysis's query-error policy. Without them it is Flagger's evaluate.
func (p *plan) judge(m *v1beta1.CanaryMetric, r MetricResult) (v1beta1.CheckVerdict, string) {
	switch failureOf(r.Err) {
	case MetricNoData:
		return p.noData(m, r)
	case MetricUnavailable:
		if p.c.Spec.Analysis.QueryErrorPolicy() == v1beta1.QueryErrorHold {
			return p.unavailable(m, r)
		}
	case 0:
		p.setNoDataIntervals(m.Name, 0) // a value ends a run of intervals without data
	}
	if msg := evaluate(p.c, m, r); msg != "" {
		return v1beta1.CheckFailed, msg
	}
	return v1beta1.CheckPassed, ""
}

// noData applies the metric's no-data policy: Fail is Flagger's Halt; Pass passes; Skip holds
// the tick with a Normal event until the limit-th consecutive interval without data, which
// fails the check, and so does every further one until the metric has data again.
func (p *plan) noData(m *v1beta1.CanaryMetric, r MetricResult) (v1beta1.CheckVerdict, string) {
	switch m.NoDataPolicy() {
	case v1beta1.NoDataPass:
		return v1beta1.CheckPassed, ""
	case v1beta1.NoDataSkip:
		n := p.noDataIntervals(m.Name) + 1
		p.setNoDataIntervals(m.Name, n)
		if limit := m.NoDataLimit(); n < limit {
			msg := msgNoDataSkipped(p.c, m.Name, p.st.CanaryWeight, n, limit)
			p.info(msg)
			return v1beta1.CheckSkipped, msg
		}
		return v1beta1.CheckFailed, msgNoDataLimit(p.c, m.Name, n)
	default:
		return v1beta1.CheckFailed, evaluate(p.c, m, r)
	}
}

// unavailable applies queryErrors Hold to a query whose backend did not answer: the check is
// held until the hold has lasted maxHold; after that it fails like Flagger's failed query.
func (p *plan) unavailable(m *v1beta1.CanaryMetric, r MetricResult) (v1beta1.CheckVerdict, string) {
	text := metricErrorText(p.c, m, r.Err)
	held := p.heldFor()
	if maxHold := p.c.Spec.Analysis.MaxHold(); held >= maxHold {
		return v1beta1.CheckFailed, msgHoldExpired(text, held, maxHold)
	}
	return v1beta1.CheckHeld, text
}

// settleHold starts or ends the query-error hold after a tick's metrics: the first tick a
// backend does not answer records when, with one Warning event and one alert; the first tick
// every queried backend answers again ends the hold with a Normal event.
func (p *plan) settleHold(unavailable string) {
	a := p.c.Spec.Analysis
	if a.QueryErrorPolicy() != v1beta1.QueryErrorHold {
		return
	}
	since := p.holdingSince()
	switch {
	case unavailable != "" && since == nil:
		now := metaTime(p.now)
		p.analysisStatus().HoldingSince = &now
		msg := msgHolding(p.c, p.st.CanaryWeight, a.MaxHold(), unavailable)
		p.warn(msg)
		p.alert(alertHolding(p.st.CanaryWeight, a.MaxHold(), unavailable), v1beta1.SeverityWarn, false)
	case unavailable == "" && since != nil:
		p.analysisStatus().HoldingSince = nil
		p.info(msgHoldEnded(p.c, p.now.Sub(since.Time)))
	}
}

// heldFor is how long the current query-error hold has lasted (0 when none).
func (p *plan) heldFor() time.Duration {
	if since := p.holdingSince(); since != nil {
		return p.now.Sub(since.Time)
	}
	return 0
}

func (p *plan) holdingSince() *metav1.Time {
	if a := p.c.Status.Analysis; a != nil {
		return a.HoldingSince
	}
	return nil
}

func (p *plan) noDataIntervals(metric string) int {
	if a := p.st.Analysis; a != nil {
		return a.NoDataIntervals[metric]
	}
	return 0
}

// setNoDataIntervals records a metric's run of intervals without data; 0 forgets it.
func (p *plan) setNoDataIntervals(metric string, n int) {
	if n == 0 {
		if a := p.st.Analysis; a != nil {
			delete(a.NoDataIntervals, metric)
			if len(a.NoDataIntervals) == 0 {
				a.NoDataIntervals = nil
			}
		}
		return
	}
	a := p.analysisStatus()
	if a.NoDataIntervals == nil {
		a.NoDataIntervals = map[string]int{}
	}
	a.NoDataIntervals[metric] = n
}

// analysisStatus returns the next status's analysis record, creating it.
func (p *plan) analysisStatus() *v1beta1.CanaryAnalysisStatus {
	if p.st.Analysis == nil {
		p.st.Analysis = &v1beta1.CanaryAnalysisStatus{}
	}
	return p.st.Analysis
}

// resetPolicies forgets the no-data runs and the query-error hold when an analysis starts.
func (p *plan) resetPolicies() {
	if a := p.st.Analysis; a != nil {
		a.NoDataIntervals, a.HoldingSince = nil, nil
	}
}

// failureOf classifies a metric error: 0 for none; errors that are not *MetricError count as
// failed queries.
func failureOf(err error) MetricFailure {
	if err == nil {
		return 0
	}
	var me *MetricError
	if errors.As(err, &me) {
		return me.Failure
	}
	return MetricQueryFailed
}
