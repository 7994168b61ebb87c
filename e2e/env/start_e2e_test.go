//go:build e2e

package env_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/e2e/env"
)

func TestStartRecordsTheEnvironment(t *testing.T) {
	e := env.Get(t)
	require.NotEmpty(t, e.Kubeconfig)
	t.Logf("started in %s", e.StartDuration)
}
