package ledger

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/gitcanary/gitcanary/gitsource"
)

// Commit message trailers, one block per canary in the commit, in the order of the body lines.
// The last three are present when the canary's last analysis step had a failed check.
const (
	TrailerCanary        = "Canary"
	TrailerPhase         = "Phase"
	TrailerSourceCommit  = "Source-Commit"
	TrailerFailedCheck   = "Failed-Check"
	TrailerCheckQuery    = "Check-Query"
	TrailerMetricsServer = "Metrics-Server"
	// TrailerSequence lists the sequence numbers of the canary's transitions in the commit.
	TrailerSequence = "Sequence"
)

// canaryChange is what one commit records for one canary.
type canaryChange struct {
	key          string
	phases       []string // distinct consecutive phases of the transitions, in order
	transitions  int
	unrecorded   int // transitions refused while the queue was full, now counted in the file
	status       *Status
	lastMetrics  []MetricResult
	lastWebhooks []WebhookResult
	gates        []Gate // decisions consumed in the commit
	notes        []Note
	sequences    []int64 // of the transitions recorded, in order
	noFile       bool    // only a decision, for a canary without a status file: none is written
}

// line is the summary of one canary, such as
// "test/podinfo: Succeeded (promoted ghcr.io/stefanprodan/podinfo:6.0.1, source 3f2a1c9)".
func (c *canaryChange) line() string {
	s := c.status
	phases := strings.Join(c.phases, " → ")
	if phases == "" {
		phases = s.Phase
	}
	var details []string
	switch s.Phase {
	case "Succeeded":
		details = appendNonEmpty(details, "promoted", s.TargetRevision)
	case "Failed":
		details = appendNonEmpty(details, "rolled back", s.TargetRevision)
		if desc, _, _ := failedCheck(c.checks()); desc != "" {
			details = append(details, desc)
		}
	case "Initialized":
		details = appendNonEmpty(details, "initialized", s.TargetRevision)
	case "Progressing", "Promoting", "Finalising", "WaitingPromotion", "Waiting":
		details = append(details, "weight "+strconv.Itoa(s.Weight))
	}
	if s.FailedChecks > 0 {
		details = append(details, "failed checks "+strconv.Itoa(s.FailedChecks))
	}
	if s.SourceCommit != "" {
		details = append(details, "source "+gitsource.ShortSHA(s.SourceCommit))
	}
	if c.transitions > 1 {
		details = append(details, strconv.Itoa(c.transitions)+" transitions")
	}
	for _, g := range c.gates {
		details = append(details, decisionText(g))
	}
	for _, n := range c.notes {
		details = append(details, oneLine(n.Text))
	}
	if c.unrecorded > 0 {
		details = append(details, strconv.Itoa(c.unrecorded)+" transitions not recorded: ledger queue was full")
	}
	if len(details) == 0 {
		return c.key + ": " + phases
	}
	return c.key + ": " + phases + " (" + strings.Join(details, ", ") + ")"
}

func appendNonEmpty(details []string, verb, what string) []string {
	if what == "" {
		return append(details, verb)
	}
	return append(details, verb+" "+what)
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', 6, 64) }

// commitMessage is the subject, one body line per canary when there are several, and the
// trailers.
func commitMessage(changes []*canaryChange, overlays []Overlay) string {
	var b strings.Builder
	switch {
	case len(changes) == 1 && len(overlays) == 0:
		b.WriteString(changes[0].line() + "\n")
	case len(changes) == 0 && len(overlays) == 1:
		b.WriteString(overlays[0].line() + "\n")
	default:
		if len(changes) > 0 {
			b.WriteString(subject(changes) + "\n\n")
		} else {
			b.WriteString(overlaySubject(overlays) + "\n\n")
		}
		for _, c := range changes {
			b.WriteString(c.line() + "\n")
		}
		for _, o := range overlays {
			b.WriteString(o.line() + "\n")
		}
	}
	b.WriteString("\n")
	for _, c := range changes {
		src := c.status.SourceCommit
		if src == "" {
			src = "none"
		}
		fmt.Fprintf(&b, "%s: %s\n%s: %s\n%s: %s\n", TrailerCanary, c.key, TrailerPhase, c.status.Phase, TrailerSourceCommit, src)
		if len(c.sequences) > 0 {
			seqs := make([]string, len(c.sequences))
			for i, n := range c.sequences {
				seqs[i] = strconv.FormatInt(n, 10)
			}
			fmt.Fprintf(&b, "%s: %s\n", TrailerSequence, strings.Join(seqs, ","))
		}
		desc, query, address := failedCheck(c.checks())
		for _, kv := range [][2]string{{TrailerFailedCheck, desc}, {TrailerCheckQuery, query}, {TrailerMetricsServer, address}} {
			if kv[1] != "" {
				fmt.Fprintf(&b, "%s: %s\n", kv[0], kv[1])
			}
		}
		for _, g := range c.gates {
			b.WriteString(gateTrailers(g))
		}
		for _, n := range c.notes {
			for _, kv := range n.Trailers {
				fmt.Fprintf(&b, "%s: %s\n", oneLine(kv.Key), oneLine(kv.Value))
			}
		}
	}
	for _, o := range overlays {
		b.WriteString(o.trailers())
	}
	return b.String()
}

// overlaySubject summarises several overlays: "3 overlays: 2 Applied, 1 DriftCorrected".
func overlaySubject(overlays []Overlay) string {
	counts := map[string]int{}
	for _, o := range overlays {
		counts[o.Result]++
	}
	results := make([]string, 0, len(counts))
	for r := range counts {
		results = append(results, r)
	}
	sort.Strings(results)
	parts := make([]string, len(results))
	for i, r := range results {
		parts[i] = strconv.Itoa(counts[r]) + " " + r
	}
	return fmt.Sprintf("%d overlays: %s", len(overlays), strings.Join(parts, ", "))
}

// subject summarises several canaries: "3 canaries: 2 Progressing, 1 Succeeded".
func subject(changes []*canaryChange) string {
	counts := map[string]int{}
	for _, c := range changes {
		counts[c.status.Phase]++
	}
	phases := make([]string, 0, len(counts))
	for p := range counts {
		phases = append(phases, p)
	}
	sort.Slice(phases, func(i, j int) bool {
		if counts[phases[i]] != counts[phases[j]] {
			return counts[phases[i]] > counts[phases[j]]
		}
		return phases[i] < phases[j]
	})
	parts := make([]string, len(phases))
	for i, p := range phases {
		parts[i] = strconv.Itoa(counts[p]) + " " + p
	}
	return fmt.Sprintf("%d canaries: %s", len(changes), strings.Join(parts, ", "))
}

// Trailer is one canary's trailer block in a ledger commit.
type Trailer struct {
	// Canary is "<namespace>/<name>".
	Canary string
	// Phase after the commit.
	Phase string
	// SourceCommit, or "none".
	SourceCommit string
	// FailedCheck, CheckQuery and MetricsServer describe the failed check of the canary's last
	// analysis step, if any.
	FailedCheck, CheckQuery, MetricsServer string
	// Sequences are the sequence numbers of the canary's transitions in the commit.
	Sequences []int64
}

// ParseTrailers reads the canary trailer blocks of a ledger commit message: each Canary trailer
// starts a block, the Phase and Source-Commit trailers after it belong to it.
func ParseTrailers(message string) []Trailer {
	paragraphs := strings.Split(strings.TrimSpace(message), "\n\n")
	last := paragraphs[len(paragraphs)-1]
	var out []Trailer
	for _, line := range strings.Split(last, "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		switch k {
		case TrailerCanary:
			out = append(out, Trailer{Canary: v})
		case TrailerPhase:
			if len(out) > 0 {
				out[len(out)-1].Phase = v
			}
		case TrailerSourceCommit, TrailerFailedCheck, TrailerCheckQuery, TrailerMetricsServer, TrailerSequence:
			if len(out) > 0 {
				out[len(out)-1].set(k, v)
			}
		}
	}
	return out
}

func (t *Trailer) set(key, value string) {
	switch key {
	case TrailerSourceCommit:
		t.SourceCommit = value
	case TrailerFailedCheck:
		t.FailedCheck = value
	case TrailerCheckQuery:
		t.CheckQuery = value
	case TrailerMetricsServer:
		t.MetricsServer = value
	case TrailerSequence:
		for _, f := range strings.Split(value, ",") {
			if n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64); err == nil {
				t.Sequences = append(t.Sequences, n)
			}
		}
	}
}
