package ledger

import (
	"context"
	"fmt"
	"sync"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/gitsource"
)

// GatekeeperOptions wire a Gatekeeper. Lookup and SourceCommit are required.
type GatekeeperOptions struct {
	// Lookup returns the decision of one kind committed for a canary (Gates.Lookup).
	Lookup func(namespace, name string, kind GateKind) (Gate, bool)
	// SourceCommit returns the source commit of the canary's current revision, false while it
	// is not known (before the first sync).
	SourceCommit func(namespace, name string) (string, bool)
	// Consume hands a decision acted on to the ledger (Ledger.ConsumeGate); nil keeps it.
	Consume func(Gate)
	// Event emits a Kubernetes event on the canary naming the decider; nil emits none.
	Event func(ctx context.Context, c *v1beta1.Canary, eventType, message string)
	// Waiting is told, once per canary, kind, revision and decision file content, that a gate is
	// closed and why ("waiting for a confirm-rollout decision naming revision 3f2a1c9"), so the
	// controller can say so in an event and record the revision waited for on the status branch
	// (where `gitcanary approve` reads it); nil tells nobody.
	Waiting func(ctx context.Context, c *v1beta1.Canary, kind GateKind, sourceCommit, why string)
}

// Gatekeeper answers a canary's Git gates (webhooks with url "git:") from the decisions on the
// status branch: confirm-rollout and confirm-promotion webhooks open on a decision of the same
// kind, rollback webhooks on an abort; in each case only when the decision names the source
// commit of the canary's current revision, so a stale decision never releases a newer revision.
// An open gate emits an event naming the decider and hands the decision to the ledger, whose
// next commit records it and removes the gate file. It implements engine/webhook.Gates.
type Gatekeeper struct {
	opts GatekeeperOptions

	mu     sync.Mutex
	opened map[string]string // "<namespace>/<name>/<kind>" → source commit it was opened for
	told   map[string]string // "<namespace>/<name>/<kind>" → what Waiting was last told
}

// NewGatekeeper returns a Gatekeeper.
func NewGatekeeper(opts GatekeeperOptions) (*Gatekeeper, error) {
	if opts.Lookup == nil || opts.SourceCommit == nil {
		return nil, fmt.Errorf("gatekeeper: Lookup and SourceCommit are required")
	}
	return &Gatekeeper{opts: opts, opened: map[string]string{}, told: map[string]string{}}, nil
}

// GateKindOf is the decision that answers a webhook type, false for types that are no gate.
func GateKindOf(t v1beta1.HookType) (GateKind, bool) {
	switch t {
	case v1beta1.ConfirmRolloutHook:
		return GateConfirmRollout, true
	case v1beta1.ConfirmPromotionHook:
		return GateConfirmPromotion, true
	case v1beta1.RollbackHook:
		return GateAbort, true
	}
	return "", false
}

// Check returns nil when a decision opens the gate h for c's current revision, and an error
// saying why the gate is closed otherwise (it becomes the "waiting for approval" reason). A gate
// stays open for the same revision once opened, also after its file is consumed.
func (k *Gatekeeper) Check(ctx context.Context, c *v1beta1.Canary, h v1beta1.CanaryWebhook) error {
	kind, ok := GateKindOf(h.EffectiveType())
	if !ok {
		return fmt.Errorf("gate %s: type %s cannot be a Git gate", h.Name, h.EffectiveType())
	}
	src, ok := k.opts.SourceCommit(c.Namespace, c.Name)
	if !ok || src == "" {
		return fmt.Errorf("gate %s: the source commit of %s/%s is not known yet", h.Name, c.Namespace, c.Name)
	}
	key := c.Namespace + "/" + c.Name + "/" + string(kind)
	k.mu.Lock()
	already := k.opened[key] == src
	k.mu.Unlock()
	if already {
		return nil
	}
	g, ok := k.opts.Lookup(c.Namespace, c.Name, kind)
	if !ok {
		why := fmt.Sprintf("waiting for a %s decision naming revision %s of %s.%s in %s", kind, gitsource.ShortSHA(src),
			c.Name, c.Namespace, GatePath(c.Namespace, c.Name, kind))
		k.tell(ctx, c, kind, src, "", why)
		return fmt.Errorf("gate %s: %s", h.Name, why)
	}
	if !g.Names(src) {
		why := fmt.Sprintf("the %s decision of %s names revision %s, not the current revision %s of %s.%s",
			kind, oneLine(g.Decider.String()), g.Revision, gitsource.ShortSHA(src), c.Name, c.Namespace)
		k.tell(ctx, c, kind, src, g.Blob, why)
		return fmt.Errorf("gate %s: %s", h.Name, why)
	}
	k.mu.Lock()
	k.opened[key] = src
	k.mu.Unlock()
	if k.opts.Event != nil {
		k.opts.Event(ctx, c, eventType(kind), decisionEvent(c, g, src))
	}
	if k.opts.Consume != nil {
		k.opts.Consume(g)
	}
	return nil
}

// tell calls Waiting once per canary, kind, revision and decision content.
func (k *Gatekeeper) tell(ctx context.Context, c *v1beta1.Canary, kind GateKind, src, blob, why string) {
	if k.opts.Waiting == nil {
		return
	}
	key, what := c.Namespace+"/"+c.Name+"/"+string(kind), src+" "+blob
	k.mu.Lock()
	told := k.told[key] == what
	k.told[key] = what
	k.mu.Unlock()
	if !told {
		k.opts.Waiting(ctx, c, kind, src, why)
	}
}

func eventType(kind GateKind) string {
	if kind == GateAbort {
		return "Warning"
	}
	return "Normal"
}

// decisionEvent is the event of an opened gate: "Rollout of podinfo.test revision 3f2a1c9
// approved by Alice <alice@example.com> (signed by alice@example.com, SHA256:…)".
func decisionEvent(c *v1beta1.Canary, g Gate, src string) string {
	what := map[GateKind]string{GateConfirmRollout: "Rollout", GateConfirmPromotion: "Promotion", GateAbort: "Rollback"}[g.Kind]
	verb := "approved"
	if g.Kind == GateAbort {
		verb = "asked"
	}
	msg := fmt.Sprintf("%s of %s.%s revision %s %s by %s", what, c.Name, c.Namespace, gitsource.ShortSHA(src), verb, oneLine(g.Decider.String()))
	if g.Note != "" {
		msg += ": " + oneLine(g.Note)
	}
	return msg
}
