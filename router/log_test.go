package router

import (
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// logLines records the messages and the canary key of what a logr.Logger receives.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logger() logr.Logger {
	return funcr.NewJSON(func(obj string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.lines = append(l.lines, obj)
	}, funcr.Options{})
}

func TestLogLines(t *testing.T) {
	var logs logLines
	f := newFixture(t, newTarget())
	services := NewServices(f.kube, f.serviceLister, f.targets, ServicesOptions{Logger: logs.logger()})
	r := New(services, f.dyn, f.splits, Options{Logger: logs.logger(), DefaultProvider: "smi:v1alpha2"})
	c := newCanary()
	require.NoError(t, r.Reconcile(t.Context(), c))
	c.Spec.Service.Hosts = []string{"podinfo.example.com"}
	c.Spec.Service.PortName = "web"
	require.NoError(t, r.Reconcile(t.Context(), c))

	const keys = `,"canary":"test/podinfo"}`
	require.Equal(t, []string{
		`{"logger":"","level":0,"msg":"Service podinfo-canary.test created"` + keys,
		`{"logger":"","level":0,"msg":"Service podinfo-primary.test created"` + keys,
		`{"logger":"","level":0,"msg":"Service podinfo.test created"` + keys,
		`{"logger":"","level":0,"msg":"TrafficSplit podinfo.test created"` + keys,
		`{"logger":"","level":0,"msg":"Service podinfo-canary.test updated"` + keys,
		`{"logger":"","level":0,"msg":"Service podinfo-primary.test updated"` + keys,
		`{"logger":"","level":0,"msg":"Service podinfo.test updated"` + keys,
		`{"logger":"","level":0,"msg":"TrafficSplit podinfo.test updated"` + keys,
	}, logs.lines)
	require.Equal(t, v1beta1.SMIv1alpha2, mustMesh(t, r, c).Version())
}

func mustMesh(t *testing.T, r *Dispatcher, c *v1beta1.Canary) *SMI {
	t.Helper()
	m, err := r.Mesh(c)
	require.NoError(t, err)
	return m
}
