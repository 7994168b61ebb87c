package page

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"time"

	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/status/ledger"
)

// canaryRow is one line of the index.
type canaryRow struct {
	ledger.Status
	Link, Source, Age string
}

// checkRow is the evidence of one check as the page shows it.
type checkRow struct {
	Kind, Name, Verdict, Value, Threshold, Query, Address, Message string
	StatusCode                                                     int
	Body                                                           string
}

// metricChart is one metric's values across the recorded revisions.
type metricChart struct {
	Name string
	SVG  template.HTML
}

// gateRow is a gate decision on the branch, or a gate the canary waits at.
type gateRow struct {
	Kind, Revision, Note, Decider string
}

// canaryView is the page of one canary.
type canaryView struct {
	Status      ledger.Status
	Source, Age string
	Failed      *checkRow
	Checks      []checkRow
	Weight      template.HTML
	Metrics     []metricChart
	Events      []ledger.Event
	Gates       []gateRow
	Waiting     []string
	Revisions   int
}

func rowOf(s ledger.Status, now time.Time) canaryRow {
	return canaryRow{Status: s, Link: "canary/" + s.Namespace + "/" + s.Name,
		Source: gitsource.ShortSHA(s.SourceCommit), Age: age(now, s.LastTransitionTime)}
}

// age is how long ago t was, as kubectl prints ages: 42s, 5m, 3h, 2d.
func age(now, t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(0, int(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}

// checksOf lists the evidence of the last checks: the webhooks first, as they ran first.
func checksOf(s ledger.Status) []checkRow {
	var out []checkRow
	for _, w := range s.Webhooks {
		out = append(out, checkRow{Kind: "Webhook", Name: w.Name, Verdict: w.Verdict, StatusCode: w.StatusCode, Body: w.Body, Message: w.Message})
	}
	for _, m := range s.Metrics {
		r := checkRow{Kind: "Metric", Name: m.Name, Verdict: verdictOf(m), Threshold: m.Range(), Query: m.Query, Address: m.Address, Message: m.Error}
		if m.Error == "" {
			r.Value = num(m.Value)
		}
		out = append(out, r)
	}
	return out
}

func verdictOf(m ledger.MetricResult) string {
	switch {
	case m.Verdict != "":
		return m.Verdict
	case m.Passed:
		return ledger.VerdictPassed
	default:
		return ledger.VerdictFailed
	}
}

func firstFailed(rows []checkRow) *checkRow {
	for i := range rows {
		if rows[i].Verdict == ledger.VerdictFailed {
			return &rows[i]
		}
	}
	return nil
}

// revisionMarks are the points where the target revision changes.
func revisionMarks(points []ledger.Point) ([]chartMark, int) {
	var marks []chartMark
	last := ""
	for _, p := range points {
		if rev := p.Status.TargetRevision; rev != "" && rev != last {
			marks = append(marks, chartMark{T: p.Time, Label: shortRevision(rev)})
			last = rev
		}
	}
	return marks, len(marks)
}

// shortRevision keeps the tag of an image ("podinfo:6.0.1") or the start of a hash.
func shortRevision(rev string) string {
	if i := lastIndexByte(rev, '/'); i >= 0 {
		rev = rev[i+1:]
	}
	if len(rev) > 24 {
		rev = rev[:24] + "…"
	}
	return rev
}

func lastIndexByte(s string, c byte) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// weightChart is the canary's weight at each recorded commit.
func weightChart(points []ledger.Point, marks []chartMark) template.HTML {
	c := chart{Label: "canary weight over time", YMin: 0, YMax: 100, Unit: "%", Step: true, Marks: marks,
		Lines: nil}
	for _, p := range points {
		s := p.Status
		c.Points = append(c.Points, chartPoint{T: p.Time, V: float64(s.Weight), Class: "phase-" + s.Phase,
			Title: fmt.Sprintf("%s weight %d (%s)", s.Phase, s.Weight, p.Time.UTC().Format(time.RFC3339)),
			Data:  map[string]string{"weight": fmt.Sprint(s.Weight), "phase": s.Phase, "commit": gitsource.ShortSHA(p.Commit)}})
	}
	return c.render()
}

// metricCharts draws each metric's value against its thresholds at each recorded commit (a
// status file holds the checks of the canary's last analysis step at that commit).
func metricCharts(points []ledger.Point, marks []chartMark) []metricChart {
	var names []string
	byName := map[string]*chart{}
	last := map[string]ledger.MetricResult{}
	for _, p := range points {
		for _, m := range p.Status.Metrics {
			last[m.Name] = m
			c := byName[m.Name]
			if c == nil {
				c = &chart{Label: m.Name + " over time", Marks: marks, YMin: math.Inf(1), YMax: math.Inf(-1)}
				byName[m.Name] = c
				names = append(names, m.Name)
			}
			c.Points = append(c.Points, metricPoint(p, m))
		}
	}
	out := make([]metricChart, 0, len(names))
	for _, n := range names {
		c := byName[n]
		c.Lines = thresholdLines(last[n])
		c.YMin, c.YMax = valueRange(c.Points, c.Lines)
		out = append(out, metricChart{Name: n, SVG: c.render()})
	}
	return out
}

func metricPoint(p ledger.Point, m ledger.MetricResult) chartPoint {
	verdict := verdictOf(m)
	title := fmt.Sprintf("%s %s %s (%s)", m.Name, verdict, num(m.Value), m.Range())
	value := num(m.Value)
	if m.Error != "" {
		title, value = m.Name+" "+verdict+": "+m.Error, ""
	}
	return chartPoint{T: p.Time, V: m.Value, Class: "verdict-" + verdict, Title: title,
		Data: map[string]string{"metric": m.Name, "value": value, "verdict": verdict, "commit": gitsource.ShortSHA(p.Commit)}}
}

func thresholdLines(m ledger.MetricResult) []chartLine {
	var out []chartLine
	if m.Min != nil {
		out = append(out, chartLine{V: *m.Min, Label: "min " + num(*m.Min)})
	}
	if m.Max != nil {
		out = append(out, chartLine{V: *m.Max, Label: "max " + num(*m.Max)})
	}
	return out
}

// valueRange spans the values and thresholds with a margin.
func valueRange(points []chartPoint, lines []chartLine) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, p := range points {
		lo, hi = math.Min(lo, p.V), math.Max(hi, p.V)
	}
	for _, l := range lines {
		lo, hi = math.Min(lo, l.V), math.Max(hi, l.V)
	}
	if hi-lo < 1e-9 {
		return lo - 1, hi + 1
	}
	margin := (hi - lo) * 0.1
	return lo - margin, hi + margin
}

// waitingAt names the gates a canary waits at: a waiting phase, or a gate webhook held.
func waitingAt(s ledger.Status) []string {
	var out []string
	switch s.Phase {
	case "Waiting":
		out = append(out, "confirm-rollout (phase Waiting)")
	case "WaitingPromotion":
		out = append(out, "confirm-promotion (phase WaitingPromotion)")
	}
	for _, w := range s.Webhooks {
		if w.Verdict == ledger.VerdictHeld {
			out = append(out, "webhook "+w.Name+" is closed")
		}
	}
	return out
}

func gatesOf(gates []ledger.Gate, key string) []gateRow {
	var out []gateRow
	for _, g := range gates {
		if g.Key() == key {
			out = append(out, gateRow{Kind: string(g.Kind), Revision: gitsource.ShortSHA(g.Revision), Note: g.Note, Decider: g.Decider.String()})
		}
	}
	return out
}

// newestFirst returns the events newest first.
func newestFirst(evs []ledger.Event) []ledger.Event {
	out := slices.Clone(evs)
	slices.Reverse(out)
	return out
}
