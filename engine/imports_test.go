package engine_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNoClientset checks that engine and enginetest depend on no Kubernetes client: the engine
// talks to the cluster only through its ports (DESIGN §2, STYLE "The engine never imports a
// clientset"). It asks the go command for the packages' dependency graph.
func TestNoClientset(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	out, err := exec.Command(gobin, "list", "-deps", ".", "./enginetest").CombinedOutput()
	require.NoError(t, err, string(out))
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/gitcanary/gitcanary/api/v1beta1", "the listing is the engine's")
	for _, d := range deps {
		require.False(t, strings.HasPrefix(d, "k8s.io/client-go"), "engine depends on %s", d)
		require.NotContains(t, d, "clientset", "engine depends on %s", d)
	}
}
