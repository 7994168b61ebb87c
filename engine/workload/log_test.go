package workload

import (
	"strings"
	"testing"

	"github.com/go-logr/logr/funcr"
	"github.com/stretchr/testify/require"
	"k8s.io/utils/ptr"
)

func TestLogLines(t *testing.T) {
	var msgs []string
	log := funcr.New(func(prefix, args string) { msgs = append(msgs, args) }, funcr.Options{})
	objs := append(trackedObjects(), newTarget(withConfigRefs), newHPA("podinfo", ptr.To[int32](2), 4))
	f := newFixture(t, Options{Logger: log}, objs...)
	require.NoError(t, f.d.EnsurePrimary(t.Context(), newCanary(withHPA("podinfo"))))

	const keys = ` "canary"="test/podinfo"`
	require.Equal(t, []string{
		`"level"=0 "msg"="ConfigMap cm-env-primary synced"` + keys,
		`"level"=0 "msg"="ConfigMap cm-envfrom-primary synced"` + keys,
		`"level"=0 "msg"="ConfigMap cm-init-primary synced"` + keys,
		`"level"=0 "msg"="ConfigMap cm-proj-primary synced"` + keys,
		`"level"=0 "msg"="ConfigMap cm-vol-primary synced"` + keys,
		`"level"=0 "msg"="Secret secret-env-primary synced"` + keys,
		`"level"=0 "msg"="Secret secret-proj-primary synced"` + keys,
		`"level"=0 "msg"="Secret secret-vol-primary synced"` + keys,
		`"level"=0 "msg"="Deployment podinfo-primary.test created"` + keys,
		`"level"=0 "msg"="HorizontalPodAutoscaler podinfo-primary.test created"` + keys,
	}, msgs, strings.Join(msgs, "\n"))
}
