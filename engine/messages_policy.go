package engine

import (
	"fmt"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// The event and alert texts of the gitcanary policies (noData, queryErrors), which Flagger does
// not have. They follow Flagger's style: "Halt" for what stops the advance with a Warning.

// msgNoDataSkipped is the Normal event of a Skip check without data below its limit.
func msgNoDataSkipped(c *v1beta1.Canary, metric string, weight, n, limit int) string {
	return fmt.Sprintf("No data for %s yet, %s stays at weight %d (%d of %d intervals)", metric, c.EventName(), weight, n, limit)
}

// msgNoDataLimit is the Halt event of a Skip check that had no data for n intervals.
func msgNoDataLimit(c *v1beta1.Canary, metric string, n int) string {
	return fmt.Sprintf("Halt %s advancement %s no data for %d intervals", c.EventName(), metric, n)
}

// msgHolding is the Warning event when queryErrors Hold starts holding the canary.
func msgHolding(c *v1beta1.Canary, weight int, maxHold time.Duration, cause string) string {
	return fmt.Sprintf("Halt %s advancement metrics unavailable, holding canary weight %d for up to %v: %s", c.EventName(), weight, maxHold, cause)
}

// alertHolding is the alert sent once when the hold starts.
func alertHolding(weight int, maxHold time.Duration, cause string) string {
	return fmt.Sprintf("Metrics unavailable, canary weight held at %d for up to %v: %s", weight, maxHold, cause)
}

// msgHoldEnded is the Normal event when every queried backend answers again.
func msgHoldEnded(c *v1beta1.Canary, held time.Duration) string {
	return fmt.Sprintf("Metrics available again after %v, resuming %s analysis", held.Round(time.Second), c.EventName())
}

// msgHoldExpired is a failed query's event once the hold has lasted maxHold.
func msgHoldExpired(cause string, held, maxHold time.Duration) string {
	return fmt.Sprintf("%s (metrics unavailable for %v, queryErrors.maxHold %v)", cause, held.Round(time.Second), maxHold)
}

// msgNotGitRevision is the Warning event of a target revision that Git did not apply, held back
// while drift correction restores Git's (Desired).
func msgNotGitRevision(c *v1beta1.Canary, revision, git string) string {
	return fmt.Sprintf("Target %s revision %s was not applied from Git (Git's is %s): not analysed, restoring Git's version",
		c.EventName(), revision, git)
}
