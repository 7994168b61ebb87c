package ledger

import (
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Commit message trailers of a consumed decision, in the block of its canary.
const (
	// TrailerGate is "<kind> <revision>" of a decision the controller acted on.
	TrailerGate = "Gate"
	// TrailerDecidedBy is the author of the commit that wrote the decision.
	TrailerDecidedBy = "Decided-By"
	// TrailerDecisionCommit is that commit.
	TrailerDecisionCommit = "Decision-Commit"
	// TrailerSignedBy is the verified SSH signer of that commit and its key fingerprint.
	TrailerSignedBy = "Signed-By"
)

// extras are what a commit records besides transitions.
type extras struct {
	uses     []Gate // decisions to consume
	notes    []Note
	overlays []Overlay // overlay records, several of one overlay possible
}

func (e extras) empty() bool { return len(e.uses) == 0 && len(e.notes) == 0 && len(e.overlays) == 0 }

// foldExtras adds the consumed decisions and the notes to the changes of their canaries, adding
// a change (with the canary's current file) for a canary that has no transition in the batch.
func (l *Ledger) foldExtras(existing []statusEntry, changes []*canaryChange, ex extras) ([]*canaryChange, error) {
	byKey := make(map[string]*canaryChange, len(changes))
	for _, c := range changes {
		byKey[c.key] = c
	}
	blobs := make(map[string]plumbing.Hash, len(existing))
	for _, e := range existing {
		blobs[e.namespace+"/"+e.name] = e.blob
	}
	get := func(namespace, name string) (*canaryChange, error) {
		key := namespace + "/" + name
		if c, ok := byKey[key]; ok {
			return c, nil
		}
		c := &canaryChange{key: key, status: &Status{Namespace: namespace, Name: name}, noFile: true}
		if h, found := blobs[key]; found {
			b, err := readBlob(l.branch.repo.Storer, h)
			if err != nil {
				return nil, fmt.Errorf("read status of %s: %w", key, err)
			}
			if st, err := parseStatus(b); err == nil {
				c.status, c.noFile = st, false
			}
		}
		byKey[key] = c
		changes = append(changes, c)
		return c, nil
	}
	for _, g := range ex.uses {
		c, err := get(g.Namespace, g.Name)
		if err != nil {
			return nil, err
		}
		c.gates = append(c.gates, g)
	}
	for _, n := range ex.notes {
		c, err := get(n.Namespace, n.Name)
		if err != nil {
			return nil, err
		}
		c.notes = append(c.notes, n)
	}
	return changes, nil
}

// consumeGates removes the gate files of the decisions that still hold the content acted on.
func (l *Ledger) consumeGates(baseTree plumbing.Hash, uses []Gate, files map[string]plumbing.Hash) error {
	if len(uses) == 0 || baseTree.IsZero() {
		return nil
	}
	root, err := object.GetTree(l.branch.repo.Storer, baseTree)
	if err != nil {
		return fmt.Errorf("read status tree %s: %w", baseTree, err)
	}
	for _, g := range uses {
		e, err := root.FindEntry(g.Path())
		if err != nil || e.Hash.String() != g.Blob {
			continue // gone, or replaced by a newer decision
		}
		files[g.Path()] = plumbing.ZeroHash
	}
	return nil
}

// decisionText is a decision in a summary line: "rollout approved by Alice <alice@example.com>
// (signed by …)".
func decisionText(g Gate) string {
	verb := map[GateKind]string{GateConfirmRollout: "rollout approved", GateConfirmPromotion: "promotion approved",
		GateAbort: "aborted"}[g.Kind]
	return verb + " by " + oneLine(g.Decider.String())
}

// gateTrailers are the trailers of one consumed decision.
func gateTrailers(g Gate) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s\n", TrailerGate, g.Kind, g.Revision)
	if g.Decider.Commit != "" {
		fmt.Fprintf(&b, "%s: %s <%s>\n%s: %s\n", TrailerDecidedBy, oneLine(g.Decider.Name), oneLine(g.Decider.Email),
			TrailerDecisionCommit, g.Decider.Commit)
	}
	if g.Decider.Signer.Principal != "" {
		fmt.Fprintf(&b, "%s: %s %s\n", TrailerSignedBy, oneLine(g.Decider.Signer.Principal), g.Decider.Signer.Fingerprint)
	}
	return b.String()
}

// oneLine keeps a value from breaking the trailer block.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
