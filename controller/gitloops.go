package controller

import "github.com/gitcanary/gitcanary/status/ledger"

// gitLoops are the loops that write and read Git besides the sync: the status ledger, the
// reader of the decisions on the status branch, and the reverter of failed revisions. Each is
// nil when the ledger is disabled.
type gitLoops struct {
	ledger   *ledger.Ledger
	gates    *ledger.Gates
	reverter *reverter
}

// observe hands a recorded transition to the reverter.
func (l gitLoops) observe(t ledger.Transition) {
	if l.reverter != nil {
		l.reverter.observe(t)
	}
}
