//go:build e2e

package env_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/e2e/env"
)

// TestPrometheusStopAndStart stops Prometheus as an outage would (queries are refused) and
// starts it again on the same address, where it answers queries again.
func TestPrometheusStopAndStart(t *testing.T) {
	e := env.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := promQuery(ctx, e, "vector(1)")
	require.NoError(t, err)
	before := e.Processes()

	require.NoError(t, e.StopPrometheus(ctx))
	_, err = promQuery(ctx, e, "vector(1)")
	require.Error(t, err, "the outage refuses queries")
	require.NoError(t, e.StopPrometheus(ctx), "stopping twice is harmless")

	require.NoError(t, e.StartPrometheus(ctx))
	require.Error(t, e.StartPrometheus(ctx), "a running Prometheus is not started twice")
	e.WaitFor(t, 30*time.Second, "Prometheus answers again", func(ctx context.Context) error {
		v, err := promQuery(ctx, e, "vector(1)")
		if err == nil && v != 1 {
			t.Fatalf("vector(1) = %v", v)
		}
		return err
	})
	require.Len(t, e.Processes(), len(before), "the new Prometheus takes the old one's place")
	e.Namespace(t) // waits that watch the processes do not see the stopped Prometheus as a crash
}
