package ledger

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCanaryLine(t *testing.T) {
	src := "3f2a1c9e5b7d4a1f0c2e3d4b5a6978695a4b3c2d"
	tests := []struct {
		name   string
		change canaryChange
		want   string
	}{
		{name: "promoted, the seed's wording",
			change: canaryChange{key: "test/podinfo", phases: []string{"Succeeded"}, transitions: 1,
				status: &Status{Phase: "Succeeded", TargetRevision: "ghcr.io/stefanprodan/podinfo:6.0.1", SourceCommit: src}},
			want: "test/podinfo: Succeeded (promoted ghcr.io/stefanprodan/podinfo:6.0.1, source 3f2a1c9)"},
		{name: "rolled back with the failing metric",
			change: canaryChange{key: "test/podinfo", phases: []string{"Progressing", "Failed"}, transitions: 2,
				status:      &Status{Phase: "Failed", TargetRevision: "podinfo:6.0.2", SourceCommit: src},
				lastMetrics: []MetricResult{{Name: "ok", Passed: true}, {Name: "request-duration", Value: 812, Max: ptr(500)}}},
			want: "test/podinfo: Progressing → Failed (rolled back podinfo:6.0.2, request-duration 812 > max 500, source 3f2a1c9, 2 transitions)"},
		{name: "metric query error",
			change: canaryChange{key: "a/b", phases: []string{"Failed"}, transitions: 1,
				status: &Status{Phase: "Failed"}, lastMetrics: []MetricResult{{Name: "rate", Error: "no values found"}}},
			want: "a/b: Failed (rolled back, rate: no values found)"},
		{name: "progressing with failed checks",
			change: canaryChange{key: "a/b", phases: []string{"Progressing"}, transitions: 1,
				status: &Status{Phase: "Progressing", Weight: 30, FailedChecks: 2}},
			want: "a/b: Progressing (weight 30, failed checks 2)"},
		{name: "initialized", change: canaryChange{key: "a/b", phases: []string{"Initialized"}, transitions: 1,
			status: &Status{Phase: "Initialized", TargetRevision: "img:1"}},
			want: "a/b: Initialized (initialized img:1)"},
		{name: "unrecorded only", change: canaryChange{key: "a/b", unrecorded: 4, status: &Status{Phase: "Progressing", Weight: 5}},
			want: "a/b: Progressing (weight 5, 4 transitions not recorded: ledger queue was full)"},
		{name: "terminated, no details", change: canaryChange{key: "a/b", phases: []string{"Terminated"}, transitions: 1,
			status: &Status{Phase: "Terminated"}},
			want: "a/b: Terminated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.change.line())
		})
	}
}

func TestParseTrailers(t *testing.T) {
	tests := []struct {
		name    string
		message string
		want    []Trailer
	}{
		{name: "one canary", message: "a/b: Succeeded\n\nCanary: a/b\nPhase: Succeeded\nSource-Commit: abc\n",
			want: []Trailer{{Canary: "a/b", Phase: "Succeeded", SourceCommit: "abc"}}},
		{name: "two canaries", message: "2 canaries: 2 Failed\n\na/b: Failed\nc/d: Failed\n\nCanary: a/b\nPhase: Failed\nSource-Commit: none\nCanary: c/d\nPhase: Failed\nSource-Commit: x\n",
			want: []Trailer{{Canary: "a/b", Phase: "Failed", SourceCommit: "none"}, {Canary: "c/d", Phase: "Failed", SourceCommit: "x"}}},
		{name: "not a ledger commit", message: "update docs\n\nPhase: x\n", want: nil},
		{name: "trailer-like body line is not a trailer", message: "subject\n\nCanary: a/b\n\nSigned-off-by: x\n", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, ParseTrailers(tt.message))
		})
	}
}

func TestSanitizedMetricValues(t *testing.T) {
	got := sanitized([]MetricResult{{Name: "a", Value: math.NaN()}, {Name: "b", Value: math.Inf(1), Error: "kept"}, {Name: "c", Value: 1.5}})
	require.Equal(t, []MetricResult{{Name: "a", Error: "value is NaN"}, {Name: "b", Error: "kept"}, {Name: "c", Value: 1.5}}, got)
	b, err := marshalStatus(&Status{Namespace: "a", Name: "b", Metrics: got})
	require.NoError(t, err)
	st, err := parseStatus(b)
	require.NoError(t, err)
	require.Equal(t, got, st.Metrics)
}

func TestStatusKeepsTheLastEvents(t *testing.T) {
	var s Status
	for i := range 5 {
		tr := transition("a", "b", "Progressing", i, string(rune('0'+i)))
		tr.SourceCommit = ""
		if i == 0 {
			tr.SourceCommit = "first"
		}
		s.apply(tr, 3)
	}
	require.Len(t, s.Events, 3)
	require.Equal(t, "2", s.Events[0].Message)
	require.Equal(t, "first", s.SourceCommit, "an empty source commit keeps the known one")
	require.Equal(t, 4, s.Weight)
}

func TestMarkdownTableEscapes(t *testing.T) {
	md := string(markdownTable([]Row{{Namespace: "b", Name: "x|y", Status: "Failed"}, {Namespace: "a", Name: "z", Status: "Succeeded", Weight: 0}}, nil))
	require.Contains(t, md, "| b | x\\|y | Failed | 0 |  |  |\n")
	require.Less(t, indexOf(md, "| a | z |"), indexOf(md, "| b |"), "rows are sorted")
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
