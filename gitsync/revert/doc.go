// Package revert computes the commit that makes Git converge on a rollback: given the files of
// an overlay at the commit whose revision failed its analysis, and the target's pod template as
// rendered there and at the last promoted revision, Plan returns the smallest edit of those files
// that renders the promoted template again.
//
// Only what differs is changed. When the two templates differ only in container images, the
// image is set back where it is defined: a kustomize `images:` override (newName, newTag,
// digest) when one produces it, else the image of the container in the Deployment's YAML. Both
// are edited in place, so the rest of the file — comments, quoting, order — stays byte for byte.
// When anything else differs, the Deployment's whole spec.template is restored from the file as
// it was at the promoted commit. Verify renders an edited tree and checks that the target's pod
// template hash is the promoted one: an edit that does not render the promoted revision (a
// kustomize patch changed the template, the Deployment moved) is refused, never pushed.
//
// Push does it against the source repository: it checks out the promoted and the failed commits
// and the source branch's head, refuses (ErrNewerWork) when the overlay renders differently at
// the head than at the failed commit — newer work is never reverted —, plans the edit on the
// head's files, verifies it, and pushes one commit on top of the head without force (or a branch
// gitcanary/revert/<namespace>-<name> for a pull request). When another writer moved the branch
// it checks and builds again on the new head; it never rebases anyone's commits.
//
// The package talks to no cluster: the controller decides when a revert is due (an analysis
// failed and the canary or the controller opted in), which commits failed and were promoted
// (the ledger's Source-Commit trailers), and records the outcome in the ledger.
package revert
