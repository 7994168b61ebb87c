package gitsource

import (
	"encoding/hex"
	"fmt"

	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// Ref names what to fetch: exactly one of a branch, a tag or a full commit SHA.
type Ref struct {
	// Branch is a branch name, such as main.
	Branch string
	// Tag is a tag name, such as v1.2.0; annotated tags are peeled to their commit.
	Tag string
	// Commit is a full 40-hex commit SHA.
	Commit string
}

// String is "branch main", "tag v1" or "commit <sha>".
func (r Ref) String() string {
	switch {
	case r.Branch != "":
		return "branch " + r.Branch
	case r.Tag != "":
		return "tag " + r.Tag
	}
	return "commit " + r.Commit
}

// Validate checks that exactly one field is set and that a commit is a full SHA.
func (r Ref) Validate() error {
	n := 0
	for _, s := range []string{r.Branch, r.Tag, r.Commit} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("%w: set exactly one of branch, tag and commit (got %d)", ErrInvalidRef, n)
	}
	if r.Commit != "" {
		if _, err := hex.DecodeString(r.Commit); err != nil || len(r.Commit) != 40 {
			return fmt.Errorf("%w: commit %q is not a full 40-hex SHA", ErrInvalidRef, r.Commit)
		}
	}
	if r.Commit == "" {
		if err := r.localName().Validate(); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalidRef, r, err)
		}
	}
	return nil
}

// localName is the reference the fetch writes in the cache repository.
func (r Ref) localName() plumbing.ReferenceName {
	switch {
	case r.Branch != "":
		return plumbing.NewBranchReferenceName(r.Branch)
	case r.Tag != "":
		return plumbing.NewTagReferenceName(r.Tag)
	}
	return plumbing.ReferenceName("refs/gitcanary/commit")
}

// refSpec fetches the remote reference into localName, forced.
func (r Ref) refSpec() config.RefSpec {
	name := r.localName()
	if r.Commit != "" {
		return config.RefSpec(r.Commit + ":" + name.String())
	}
	return config.RefSpec("+" + name.String() + ":" + name.String())
}

// ShortSHA returns the first 7 characters of a commit SHA, as Git abbreviates it in logs.
func ShortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
