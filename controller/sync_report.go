package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/apply"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/gitsync"
	"github.com/gitcanary/gitcanary/render"
	"github.com/gitcanary/gitcanary/status/ledger"
)

// syncReporter makes sync failures visible where users look: the log, and a Warning event on
// each Canary that Git made invalid (kubectl describe canary shows why nothing changed).
type syncReporter struct {
	clients *clients
	ledger  *ledger.Ledger // nil without a ledger
	// shard is the replica's shard: a Canary it applies out of its shard is run by no replica of
	// it, which the reporter says.
	shard shard
	log   logr.Logger
}

// OverlayApplied warns the overlay's Canaries when the apply corrected drift (each is told of
// the changes in its namespace) or found the inventory gone (nothing that left Git meanwhile
// was pruned); and, for a sharded replica applying a new revision, each Canary whose labels
// are out of its shard.
func (r *syncReporter) OverlayApplied(ctx context.Context, overlay, revision string, res *apply.Result) {
	if !res.Reapplied {
		r.checkShard(ctx, overlay, res)
	}
	for _, o := range res.Applied {
		if o.Group != v1beta1.GroupName || o.Kind != v1beta1.CanaryKind {
			continue
		}
		if res.InventoryMissing {
			r.warn(ctx, o.Namespace, o.Name, "InventoryMissing", fmt.Sprintf("the inventory of overlay %s was missing when Git revision %s was applied: "+
				"objects that left Git meanwhile were not pruned; the inventory is rebuilt", overlay, gitsource.ShortSHA(revision)))
		}
		if changes := changesIn(res, o.Namespace); res.Reapplied && len(changes) > 0 {
			drift := gitsync.DescribeDrift(changes)
			r.warn(ctx, o.Namespace, o.Name, "DriftCorrected", fmt.Sprintf("objects of overlay %s changed in the cluster were set back to Git revision %s: %s",
				overlay, gitsource.ShortSHA(revision), drift))
			r.note(o.Namespace, o.Name, "drift corrected: "+drift)
		}
	}
}

// checkShard reads each Canary the overlay applied and, when its labels are out of the
// replica's shard, logs it and warns it with an event ShardMismatch: the replicas of this shard
// will not run it (another shard may).
func (r *syncReporter) checkShard(ctx context.Context, overlay string, res *apply.Result) {
	if r.shard.selector == nil {
		return
	}
	for _, o := range res.Applied {
		if o.Group != v1beta1.GroupName || o.Kind != v1beta1.CanaryKind {
			continue
		}
		live, err := r.clients.flagger.Canaries(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
		if err != nil || r.shard.selector.Matches(labels.Set(live.Labels)) {
			continue
		}
		msg := fmt.Sprintf("overlay %s applied this Canary, but its labels do not match -shard %s of the replica that applied it, "+
			"so no replica of that shard runs it: give it the label %s of the shard in the overlay (kustomize labels)", overlay, r.shard, ShardLabel)
		r.log.Error(nil, "canary applied out of the shard", "canary", o.Namespace+"/"+o.Name, "overlay", overlay, "shard", r.shard.String())
		r.clients.events.Event(live, corev1.EventTypeWarning, "ShardMismatch", msg)
	}
}

// note adds a line to the Canary's next ledger commit.
func (r *syncReporter) note(namespace, name, text string) {
	if r.ledger == nil {
		return
	}
	if err := r.ledger.Note(ledger.Note{Namespace: namespace, Name: name, Text: text}); err != nil {
		r.log.Error(err, "ledger did not record a note", "canary", namespace+"/"+name)
	}
}

// changesIn are the changes of an apply to objects in namespace or cluster-scoped.
func changesIn(res *apply.Result, namespace string) []apply.Change {
	var out []apply.Change
	for _, c := range res.Changes {
		if c.Object.Namespace == namespace || c.Object.Namespace == "" {
			out = append(out, c)
		}
	}
	return out
}

// OverlayOrphaned warns the Canaries of an overlay that left Git: its objects stay.
func (r *syncReporter) OverlayOrphaned(ctx context.Context, overlay string, canaries []string) {
	for _, c := range canaries {
		ns, name, _ := strings.Cut(c, "/")
		r.warn(ctx, ns, name, "OverlayOrphaned", fmt.Sprintf("overlay %s, which applied this Canary, is no longer in Git or matched by -overlays: "+
			"its objects are kept, not pruned (empty it with %s to delete them)", overlay, render.EmptyMarker))
	}
}

// warn raises a Warning event on a Canary that exists.
func (r *syncReporter) warn(ctx context.Context, namespace, name, reason, message string) {
	live, err := r.clients.flagger.Canaries(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return
	}
	r.clients.events.Event(live, corev1.EventTypeWarning, reason, message)
}

func (r *syncReporter) OverlayFailed(ctx context.Context, overlay, revision string, err error) {
	var invalid *render.InvalidError
	if !errors.As(err, &invalid) {
		return
	}
	for _, e := range invalid.Errs {
		var verr *v1beta1.ValidationError
		if !errors.As(e, &verr) || verr.Kind != v1beta1.CanaryKind {
			continue
		}
		live, gerr := r.clients.flagger.Canaries(verr.Namespace).Get(ctx, verr.Name, metav1.GetOptions{})
		if gerr != nil {
			continue // a new Canary: the log line is all there is to see
		}
		r.clients.events.Event(live, corev1.EventTypeWarning, "InvalidSpec",
			fmt.Sprintf("Git revision %s of overlay %s is not applied: %s", gitsource.ShortSHA(revision), overlay, strings.Join(verr.Problems(), "; ")))
	}
}

// OverlayChanged records the overlay's new state on the status branch (overlays/<id>.yaml and
// STATUS.md), and warns its Canaries when what it applied never became healthy.
func (r *syncReporter) OverlayChanged(ctx context.Context, st gitsync.OverlayStatus) {
	if r.ledger != nil && st.Result != "" {
		if err := r.ledger.RecordOverlay(overlayRecord(st)); err != nil {
			r.log.Error(err, "ledger did not record an overlay", "overlay", st.Overlay)
		}
	}
	if st.Health.State != gitsync.HealthUnhealthy {
		return
	}
	for _, c := range st.Canaries {
		ns, name, _ := strings.Cut(c, "/")
		r.warn(ctx, ns, name, "OverlayUnhealthy", fmt.Sprintf("overlay %s was applied at Git revision %s but is not healthy: %s",
			st.Overlay, gitsource.ShortSHA(st.Revision), st.Health.Message))
	}
}

// overlayRecord is the ledger's form of an overlay's status; its time is the ledger's now, when
// the overlay reached that state.
func overlayRecord(st gitsync.OverlayStatus) ledger.Overlay {
	o := ledger.Overlay{Path: st.Overlay, Commit: st.Revision, Result: string(st.Result), Applied: st.Objects.Applied,
		Pruned: st.Objects.Pruned, Health: string(st.Health.State), HealthMessage: st.Health.Message}
	if st.Err != nil {
		o.Reason = st.Err.Error()
	}
	for _, c := range st.Drift {
		o.Drift = append(o.Drift, c.String())
	}
	return o
}
