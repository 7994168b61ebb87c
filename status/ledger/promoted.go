package ledger

// Rollback is what the history of the status branch says about a canary's last failed
// analysis, for reverting it in Git.
type Rollback struct {
	// Promoted is the source commit of the last promoted revision: the Source-Commit of the
	// newest Succeeded commit, else of the oldest Initialized one (a canary never promoted runs
	// the revision it was initialised with).
	Promoted string
	// Failed is the source commit that started the failed analysis: the Source-Commit of the
	// oldest Waiting or Progressing commit before the newest Failed one (or of that Failed commit
	// when there is none).
	Failed string
	// LedgerCommit is the newest ledger commit that recorded the canary Failed.
	LedgerCommit string
}

// LastRollback reads a canary's last failure from the history; ok is false when the history
// names no failure or no promoted revision.
func (s *Snapshot) LastRollback(key string) (r Rollback, ok bool, err error) {
	h, err := s.History(key) // newest first
	if err != nil {
		return Rollback{}, false, err
	}
	failedAt := -1
	var initialized string
	for i, e := range h {
		src := e.SourceCommit
		if src == "none" {
			src = ""
		}
		switch {
		case e.Phase == "Failed" && failedAt < 0:
			failedAt, r.LedgerCommit, r.Failed = i, e.Commit, src
		case failedAt >= 0 && r.Promoted == "" && (e.Phase == "Progressing" || e.Phase == "Waiting" || e.Phase == "WaitingPromotion") &&
			analysisOf(h, failedAt, i):
			if src != "" {
				r.Failed = src
			}
		}
		if src != "" && e.Phase == "Succeeded" && r.Promoted == "" && failedAt >= 0 {
			r.Promoted = src
		}
		if src != "" && e.Phase == "Initialized" {
			initialized = src // the oldest wins
		}
	}
	if r.Promoted == "" {
		r.Promoted = initialized
	}
	return r, failedAt >= 0 && r.Promoted != "", nil
}

// analysisOf reports whether entry i (older than the Failed entry f) belongs to the failed
// analysis: no entry between them ended an analysis.
func analysisOf(h []Entry, f, i int) bool {
	for k := f + 1; k < i; k++ {
		switch h[k].Phase {
		case "Succeeded", "Failed", "Initialized":
			return false
		}
	}
	return true
}
