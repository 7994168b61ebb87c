package controller

import (
	"fmt"
	"io"

	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/gitsync"
)

// writeOverlays is /readyz?verbose: one line per overlay, "[+]" when its last revision is applied
// and ready, "[-]" with the reason otherwise. Overlays do not make the controller unready: a
// broken commit must not take the controller (and its push receiver) out of its Service.
func writeOverlays(w io.Writer, overlays []gitsync.OverlayStatus) {
	fmt.Fprintln(w, "[+]caches ok")
	for _, o := range overlays {
		mark, state := "+", string(o.Result)
		if o.Health.State != "" {
			state += " " + string(o.Health.State)
		}
		if !o.Ready() {
			mark = "-"
		}
		line := fmt.Sprintf("[%s]overlay %s %s at %s", mark, o.Overlay, state, gitsource.ShortSHA(o.Revision))
		switch {
		case o.Err != nil:
			line += ": " + o.Err.Error()
		case o.Health.Message != "" && o.Health.State != gitsync.HealthHealthy:
			line += ": " + o.Health.Message
		case o.Orphaned:
			line += ": orphaned (no longer in Git), its objects are kept"
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w, "readyz check passed")
}
