package ledger

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// maxStatusFile bounds a status file read back from the branch, which is untrusted input.
const maxStatusFile = 1 << 20

// Point is a canary's status file as one ledger commit left it.
type Point struct {
	// Commit is the ledger commit.
	Commit string
	// Time is the commit time.
	Time time.Time
	// Status is the canary's file at that commit.
	Status Status
}

// Timeline reads the canary's file (key "<namespace>/<name>") at each commit whose Canary
// trailer names it, oldest first: at most limit points, the newest ones. Commits beyond a
// shallow boundary are not visited; a commit whose file is missing, too large or unreadable is
// skipped.
func (s *Snapshot) Timeline(key string, limit int) ([]Point, error) {
	ns, name := splitKey(key)
	p := statusPath(ns, name)
	var out []Point
	err := object.NewCommitPreorderIter(s.head, nil, nil).ForEach(func(c *object.Commit) error {
		if len(out) >= limit {
			return storer.ErrStop
		}
		if !namesCanary(c.Message, key) {
			return nil
		}
		f, err := c.File(p)
		if err != nil || f.Size > maxStatusFile {
			return nil
		}
		text, err := f.Contents()
		if err != nil {
			return nil
		}
		st, err := parseStatus([]byte(text))
		if err != nil {
			return nil
		}
		st.Namespace, st.Name = ns, name
		out = append(out, Point{Commit: c.Hash.String(), Time: c.Committer.When, Status: *st})
		return nil
	})
	if err != nil && !errors.Is(err, plumbing.ErrObjectNotFound) && !errors.Is(err, storer.ErrStop) {
		return nil, fmt.Errorf("walk status history of %s: %w", key, err)
	}
	slices.Reverse(out)
	return out, nil
}

func namesCanary(message, key string) bool {
	for _, t := range ParseTrailers(message) {
		if t.Canary == key {
			return true
		}
	}
	return false
}

// Gates reads the gate decision files on the head of the branch with the deciders found in
// the last depth commits, and one error per invalid file.
func (s *Snapshot) Gates(depth int) ([]Gate, []error) {
	r := gateReader{depth: depth, deciders: map[string]Decider{}}
	gates, errs, _ := r.read(s.head, true)
	return gates, errs
}
