package ledger

import (
	"context"
	"testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestGatekeeper(t *testing.T) {
	const older = "aaaaaaa1b2c3d4e5f60718293a4b5c6d7e8f9012"
	podinfo := &v1beta1.Canary{ObjectMeta: metav1.ObjectMeta{Namespace: "test", Name: "podinfo"}}
	alice := Decider{Commit: "c0ffee", Name: "Alice", Email: "alice@example.com"}
	decisions := map[GateKind]Gate{}
	sources := map[string]string{}
	var events, consumed, waits []string
	k, err := NewGatekeeper(GatekeeperOptions{
		Lookup: func(ns, name string, kind GateKind) (Gate, bool) {
			g, ok := decisions[kind]
			return g, ok && ns == "test" && name == "podinfo"
		},
		SourceCommit: func(ns, name string) (string, bool) { s, ok := sources[ns+"/"+name]; return s, ok },
		Consume:      func(g Gate) { consumed = append(consumed, string(g.Kind)+" "+g.Revision) },
		Event: func(_ context.Context, c *v1beta1.Canary, eventType, message string) {
			events = append(events, eventType+" "+message)
		},
		Waiting: func(_ context.Context, c *v1beta1.Canary, kind GateKind, src, why string) {
			waits = append(waits, string(kind)+" "+src[:7]+": "+why)
		},
	})
	require.NoError(t, err)
	approval := v1beta1.CanaryWebhook{Name: "approval", Type: v1beta1.ConfirmRolloutHook, URL: "git:"}
	abort := v1beta1.CanaryWebhook{Name: "abort", Type: v1beta1.RollbackHook, URL: "git:"}
	check := func(h v1beta1.CanaryWebhook) error { return k.Check(context.Background(), podinfo, h) }

	require.ErrorContains(t, check(approval), "the source commit of test/podinfo is not known yet")
	sources["test/podinfo"] = sha
	require.EqualError(t, check(approval), "gate approval: waiting for a confirm-rollout decision naming revision 3f2a1c9 of podinfo.test in gates/test/podinfo/confirm-rollout.yaml")
	require.Error(t, check(approval))
	decisions[GateConfirmRollout] = Gate{Namespace: "test", Name: "podinfo", Kind: GateConfirmRollout, GateFile: GateFile{Revision: older[:7]}, Decider: alice, Blob: "b1"}
	require.EqualError(t, check(approval), "gate approval: the confirm-rollout decision of Alice <alice@example.com> (unsigned) names revision aaaaaaa, not the current revision 3f2a1c9 of podinfo.test")
	require.Error(t, check(approval))
	require.Equal(t, []string{
		"confirm-rollout 3f2a1c9: waiting for a confirm-rollout decision naming revision 3f2a1c9 of podinfo.test in gates/test/podinfo/confirm-rollout.yaml",
		"confirm-rollout 3f2a1c9: the confirm-rollout decision of Alice <alice@example.com> (unsigned) names revision aaaaaaa, not the current revision 3f2a1c9 of podinfo.test",
	}, waits, "told once per revision and decision")
	require.Empty(t, events)
	require.Empty(t, consumed)

	decisions[GateConfirmRollout] = Gate{Namespace: "test", Name: "podinfo", Kind: GateConfirmRollout, GateFile: GateFile{Revision: "3f2a1c9", Note: "dashboards\nlook fine"}, Decider: alice}
	require.NoError(t, check(approval))
	require.Equal(t, []string{"Normal Rollout of podinfo.test revision 3f2a1c9 approved by Alice <alice@example.com> (unsigned): dashboards look fine"}, events)
	require.Equal(t, []string{"confirm-rollout 3f2a1c9"}, consumed)
	delete(decisions, GateConfirmRollout) // the ledger consumed it
	require.NoError(t, check(approval), "open for the same revision once opened")
	require.Len(t, consumed, 1, "consumed once")
	require.Len(t, events, 1)

	sources["test/podinfo"] = older
	require.ErrorContains(t, check(approval), "waiting for a confirm-rollout decision naming revision aaaaaaa", "a new revision needs its own decision")
	require.Len(t, waits, 3)

	decisions[GateAbort] = Gate{Namespace: "test", Name: "podinfo", Kind: GateAbort, GateFile: GateFile{Revision: older}, Decider: alice}
	require.NoError(t, check(abort))
	require.Equal(t, "Warning Rollback of podinfo.test revision aaaaaaa asked by Alice <alice@example.com> (unsigned)", events[1])

	require.ErrorContains(t, check(v1beta1.CanaryWebhook{Name: "load", URL: "git:"}), "type rollout cannot be a Git gate")
	_, err = NewGatekeeper(GatekeeperOptions{})
	require.Error(t, err)
}
