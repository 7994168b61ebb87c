package ledger

import (
	"bytes"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// Paths the ledger owns on its branch; everything else on the branch is left as it is.
const (
	// StatusDir holds one file per canary: status/<namespace>/<name>.yaml.
	StatusDir = "status"
	// TableFile is the Markdown table of every canary on the branch.
	TableFile = "STATUS.md"
)

// Status is the content of status/<namespace>/<name>.yaml: the last known status of one canary.
type Status struct {
	// Namespace of the Canary.
	Namespace string `json:"namespace" yaml:"namespace"`
	// Name of the Canary.
	Name string `json:"name" yaml:"name"`
	// Phase, as in the Canary's status.
	Phase string `json:"phase" yaml:"phase"`
	// Weight routed to the canary.
	Weight int `json:"weight" yaml:"weight"`
	// FailedChecks of the current analysis.
	FailedChecks int `json:"failedChecks" yaml:"failedChecks"`
	// SourceCommit is the Git commit whose manifests started the revision.
	SourceCommit string `json:"sourceCommit,omitempty" yaml:"sourceCommit,omitempty"`
	// TargetRevision names what is rolled out (image or pod template hash).
	TargetRevision string `json:"targetRevision,omitempty" yaml:"targetRevision,omitempty"`
	// LastTransitionTime is the time of the last transition, in UTC.
	LastTransitionTime time.Time `json:"lastTransitionTime" yaml:"lastTransitionTime"`
	// Events are the last events, oldest first (Options.EventHistory of them).
	Events []Event `json:"events,omitempty" yaml:"events,omitempty"`
	// Metrics are the metric results of the last analysis step that reported any.
	Metrics []MetricResult `json:"metrics,omitempty" yaml:"metrics,omitempty"`
	// Webhooks are the webhook calls of that analysis step.
	Webhooks []WebhookResult `json:"webhooks,omitempty" yaml:"webhooks,omitempty"`
	// UID of the Canary and Sequence of its last recorded transition (status.journal).
	UID      string `json:"uid,omitempty" yaml:"uid,omitempty"`
	Sequence int64  `json:"sequence,omitempty" yaml:"sequence,omitempty"`
	// UnrecordedTransitions counts transitions the ledger had to refuse because its queue was
	// full: the history between the recorded events has a gap of that many transitions.
	UnrecordedTransitions int `json:"unrecordedTransitions,omitempty" yaml:"unrecordedTransitions,omitempty"`
}

// ID is "<namespace>/<name>", as Canary.ID.
func (s Status) ID() string { return s.Namespace + "/" + s.Name }

// statusPath is the path of a canary's file on the branch.
func statusPath(namespace, name string) string {
	return path.Join(StatusDir, namespace, name+".yaml")
}

// records tells whether the file records t already: t is numbered, and the file holds the same
// Canary (UID) at t's sequence number or later.
func (s *Status) records(t Transition) bool {
	return t.Sequence > 0 && s.UID == t.UID && t.Sequence <= s.Sequence
}

// apply folds a transition into the status, keeping the last history events.
func (s *Status) apply(t Transition, history int) {
	s.Namespace, s.Name = t.Namespace, t.Name
	s.Phase, s.Weight, s.FailedChecks = t.Phase, t.Weight, t.FailedChecks
	if t.Sequence > 0 {
		s.UID, s.Sequence = t.UID, t.Sequence
	}
	if t.SourceCommit != "" {
		s.SourceCommit = t.SourceCommit
	}
	if t.TargetRevision != "" {
		s.TargetRevision = t.TargetRevision
	}
	s.LastTransitionTime = t.Time.UTC()
	for _, e := range t.Events {
		e.Time = e.Time.UTC()
		s.Events = append(s.Events, e)
	}
	if len(s.Events) > history {
		s.Events = append([]Event(nil), s.Events[len(s.Events)-history:]...)
	}
	if len(t.Metrics) > 0 || len(t.Webhooks) > 0 {
		s.Metrics = sanitized(t.Metrics)
		s.Webhooks = append([]WebhookResult(nil), t.Webhooks...)
	}
}

// marshalStatus renders a status file, fields in declaration order.
func marshalStatus(s *Status) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("encode status of %s: %w", s.ID(), err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode status of %s: %w", s.ID(), err)
	}
	return b.Bytes(), nil
}

// parseStatus reads a status file.
func parseStatus(b []byte) (*Status, error) {
	var s Status
	if err := yaml.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// cellEscaper makes a value safe inside a Markdown table cell.
var cellEscaper = strings.NewReplacer("|", `\|`, "\n", " ")

func cell(s string) string { return cellEscaper.Replace(s) }

// committed remembers, per canary, the UID and last sequence number the status branch records.
type committed struct {
	mu  sync.Mutex
	seq map[string]Status // only UID and Sequence are kept
}

// learn notes what a canary's file on the branch records.
func (c *committed) learn(key string, s *Status) {
	if s.Sequence == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seq == nil {
		c.seq = map[string]Status{}
	}
	c.seq[key] = Status{UID: s.UID, Sequence: s.Sequence}
}

func (c *committed) get(key, uid string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.seq[key]; ok && s.UID == uid {
		return s.Sequence
	}
	return 0
}
