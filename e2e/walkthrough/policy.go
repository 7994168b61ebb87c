package walkthrough

import (
	"fmt"
	"strings"
)

// The edits of canary.yaml in this file add gitcanary's analysis policies (extensions of the
// Canary API that Flagger's CRD would prune): the example in manifests/examples/podinfo stays
// Flagger's, and the demo and the scenarios opt in.

// NoDataSkip is an edit of canary.yaml that gives every metric the no-data policy Skip with the
// given limit: a tick whose query has no data yet holds the weight instead of failing a check.
func NoDataSkip(limit int) func(string) string {
	return func(text string) string {
		start, end := metricsBlock(text)
		if start < 0 {
			return text
		}
		block := strings.ReplaceAll(text[start:end], "    - name: ",
			fmt.Sprintf("    - noData:\n        policy: Skip\n        limit: %d\n      name: ", limit))
		return text[:start] + block + text[end:]
	}
}

// HoldQueryErrors is an edit of canary.yaml that makes failed metric queries (Prometheus
// unreachable) hold the canary for up to maxHold instead of failing checks.
func HoldQueryErrors(maxHold string) func(string) string {
	return func(text string) string {
		return strings.Replace(text, "    metrics:\n",
			"    queryErrors:\n      policy: Hold\n      maxHold: "+maxHold+"\n    metrics:\n", 1)
	}
}

// WithoutLoadTest is an edit of canary.yaml that removes the load-test webhook: the canary
// gets no traffic.
func WithoutLoadTest(text string) string {
	i := strings.Index(text, "    - name: load-test\n")
	if i < 0 {
		return text
	}
	rest := text[i+len("    - name: load-test\n"):]
	if j := strings.Index(rest, "    - name: "); j >= 0 {
		return text[:i] + rest[j:]
	}
	return text[:i]
}

// Threshold is an edit of canary.yaml that sets the analysis's failed checks threshold.
func Threshold(n int) func(string) string {
	return func(text string) string {
		return strings.Replace(text, "    threshold: 5\n", fmt.Sprintf("    threshold: %d\n", n), 1)
	}
}

// metricsBlock is the span of the metrics list in canary.yaml, or -1.
func metricsBlock(text string) (start, end int) {
	start = strings.Index(text, "    metrics:\n")
	end = strings.Index(text, "    webhooks:\n")
	if start < 0 || end < start {
		return -1, -1
	}
	return start, end
}
