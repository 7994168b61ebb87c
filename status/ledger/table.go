package ledger

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gitcanary/gitcanary/gitsource"
)

// Row is one canary in the STATUS.md table and in `gitcanary status`: the columns of
// `kubectl get canaries` plus the source commit.
type Row struct {
	// Namespace of the Canary.
	Namespace string
	// Name of the Canary.
	Name string
	// Status is the phase, as in the STATUS column of kubectl.
	Status string
	// Weight routed to the canary.
	Weight int
	// LastTransitionTime of the canary's status.
	LastTransitionTime time.Time
	// Source is the short source commit.
	Source string
}

// rowOf is the table row of a status.
func rowOf(s *Status) Row {
	return Row{Namespace: s.Namespace, Name: s.Name, Status: s.Phase, Weight: s.Weight,
		LastTransitionTime: s.LastTransitionTime, Source: gitsource.ShortSHA(s.SourceCommit)}
}

var tableHeader = []string{"NAMESPACE", "NAME", "STATUS", "WEIGHT", "LASTTRANSITIONTIME", "SOURCE"}

func (r Row) cells() []string {
	ltt := ""
	if !r.LastTransitionTime.IsZero() {
		ltt = r.LastTransitionTime.UTC().Format(time.RFC3339)
	}
	return []string{r.Namespace, r.Name, r.Status, strconv.Itoa(r.Weight), ltt, r.Source}
}

func sortRows(rows []Row) {
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Namespace != rows[j].Namespace {
			return rows[i].Namespace < rows[j].Namespace
		}
		return rows[i].Name < rows[j].Name
	})
}

// markdownTable renders STATUS.md: the canaries, then, when the branch records any, the
// overlays of the sync loop. It depends only on the rows, so every writer renders the same file
// for the same statuses.
func markdownTable(rows []Row, overlays []Overlay) []byte {
	sortRows(rows)
	var b strings.Builder
	b.WriteString("# Canary status\n\nWritten by gitcanary from `status/<namespace>/<name>.yaml`; do not edit.\n\n")
	b.WriteString("| " + strings.Join(tableHeader, " | ") + " |\n")
	b.WriteString(strings.Repeat("| --- ", len(tableHeader)) + "|\n")
	for _, r := range rows {
		cells := r.cells()
		for i := range cells {
			cells[i] = cell(cells[i])
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	if len(overlays) > 0 {
		b.WriteString("\n## Overlays\n\nWritten by gitcanary from `overlays/<id>.yaml`: what the sync loop last did to each overlay.\n\n")
		b.WriteString("| " + strings.Join(overlayHeader, " | ") + " |\n")
		b.WriteString(strings.Repeat("| --- ", len(overlayHeader)) + "|\n")
		sortOverlays(overlays)
		for _, o := range overlays {
			cells := o.cells()
			for i := range cells {
				cells[i] = cell(cells[i])
			}
			b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
		}
	}
	return []byte(b.String())
}

// WriteOverlayTable prints overlays as an aligned text table, sorted by path.
func WriteOverlayTable(w io.Writer, overlays []Overlay) error {
	sortOverlays(overlays)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, strings.Join(overlayHeader, "\t"))
	for _, o := range overlays {
		fmt.Fprintln(tw, strings.Join(o.cells(), "\t"))
	}
	return tw.Flush()
}

// WriteTable prints rows as an aligned text table like kubectl's, sorted by namespace and name.
func WriteTable(w io.Writer, rows []Row) error {
	sortRows(rows)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, strings.Join(tableHeader, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r.cells(), "\t"))
	}
	return tw.Flush()
}
