package controller

import (
	"testing"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/tools/cache"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/status/ledger"
)

func TestReverterQueuesOnlyFailuresItSawHappen(t *testing.T) {
	r := newReverter(remoteForTest(), Options{}, nil, nil, nil, cache.NewStore(cache.MetaNamespaceKeyFunc), logr.Discard())
	tr := func(ns, phase string) ledger.Transition {
		return ledger.Transition{Namespace: ns, Name: "podinfo", Phase: phase}
	}
	r.observe(tr("a", "Failed"))
	r.observe(tr("b", "Progressing"))
	r.observe(tr("b", "Failed"))
	r.observe(tr("b", "Failed")) // the same failure again (events of a Failed canary)
	r.observe(tr("c", "Succeeded"))
	require.Len(t, r.queue, 2)
	require.Equal(t, "a", (<-r.queue).Namespace)
	require.Equal(t, "b", (<-r.queue).Namespace)
}

func TestRevertMode(t *testing.T) {
	store := cache.NewStore(cache.MetaNamespaceKeyFunc)
	annotated := func(name, value string) {
		require.NoError(t, store.Add(eventCanary(func(c *v1beta1.Canary) {
			c.Name, c.Annotations = name, map[string]string{RevertAnnotation: value}
		})))
	}
	annotated("yes", "true")
	annotated("branch", "Branch")
	annotated("no", "off")
	annotated("bad", "sometimes")
	require.NoError(t, store.Add(eventCanary(func(c *v1beta1.Canary) { c.Name = "plain" })))
	tests := []struct {
		key, controller, want, wantErr string
	}{
		{key: "test/plain", want: RevertOff},
		{key: "test/plain", controller: RevertCommit, want: RevertCommit},
		{key: "test/yes", want: RevertCommit},
		{key: "test/branch", controller: RevertCommit, want: RevertBranch},
		{key: "test/no", controller: RevertCommit, want: RevertOff},
		{key: "test/bad", controller: RevertCommit, wantErr: `annotation gitcanary.io/revert-on-rollback: "sometimes" is not commit, branch or off`},
	}
	for _, tt := range tests {
		r := newReverter(remoteForTest(), Options{Revert: tt.controller}, nil, nil, nil, store, logr.Discard())
		got, err := r.mode(tt.key)
		if tt.wantErr != "" {
			require.EqualError(t, err, tt.wantErr)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tt.want, got, tt.key)
	}
}

func TestFailureReason(t *testing.T) {
	events := []ledger.Event{{Message: "Halt podinfo.test advancement success rate 86.52% < 99%"},
		{Message: "Rolling back podinfo.test failed checks threshold reached 5"}, {Message: "Canary failed! Scaling down podinfo.test"}}
	require.Equal(t, "Rolling back podinfo.test failed checks threshold reached 5", failureReason(ledger.Transition{Events: events}))
	require.Equal(t, "Halt podinfo.test advancement success rate 86.52% < 99%", failureReason(ledger.Transition{Events: events[:1]}))
	require.Equal(t, "analysis failed", failureReason(ledger.Transition{}))
}

func TestValidateRevertMode(t *testing.T) {
	base := Options{RepoURL: "https://git.example.com/fleet.git", ControllerNamespace: "gitcanary-system"}
	base.Ref.Branch = "main"
	for mode, wantErr := range map[string]string{"": "", RevertOff: "", RevertCommit: "", RevertBranch: "", "always": `revert mode "always"`} {
		o := base
		o.Revert = mode
		err := o.Validate()
		if wantErr == "" {
			require.NoError(t, err, mode)
		} else {
			require.ErrorContains(t, err, wantErr)
		}
	}
	o := base
	o.Revert, o.Ledger.Disabled = RevertCommit, true
	require.ErrorContains(t, o.Validate(), "needs the status ledger")
}

func remoteForTest() gitsource.Remote {
	return gitsource.Remote{URL: "https://git.example.com/fleet.git"}
}
