package enginetest

import (
	"sync"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// Admission is a fake engine.Admission: each Admit answers the next result the test queued,
// the last one repeating; without results it admits. World.Ports leaves it out (a controller
// without caps); a test that wants caps sets Ports().Admission = w.Admission.
type Admission struct {
	journal *Journal
	mu      sync.Mutex
	results []engine.AdmissionResult
}

var _ engine.Admission = (*Admission)(nil)

// NewAdmission returns an Admission that records into j.
func NewAdmission(j *Journal) *Admission { return &Admission{journal: j} }

// Set queues the answers of the next Admit calls.
func (f *Admission) Set(results ...engine.AdmissionResult) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.results = results
}

// Admit implements engine.Admission.
func (f *Admission) Admit(c *v1beta1.Canary, now time.Time) engine.AdmissionResult {
	f.mu.Lock()
	r := engine.Admitted
	if len(f.results) > 0 {
		r = f.results[0]
		if len(f.results) > 1 {
			f.results = f.results[1:]
		}
	}
	f.mu.Unlock()
	f.journal.add("Admission", "Admit", "%s at %s: admitted=%t position=%d", c.ID(), now.UTC().Format(time.RFC3339), r.Admitted, r.Position)
	return r
}
