package render

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// requests counts every HTTP request that reaches the counting server: direct requests to
// counterURL, and, because TestMain makes it the proxy of the process, requests to any other
// host made with Go's default transport, as kustomize's are (HTTPS ones arrive as CONNECT).
var (
	requests   atomic.Int64
	counterURL string
)

func TestMain(m *testing.M) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		// Answer like a server of manifests, so a fetch would succeed if it happened.
		_, _ = w.Write([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fetched}\n"))
	}))
	counterURL = srv.URL
	// The proxy settings are read once, at the first request of the process: set them first.
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		os.Setenv(k, srv.URL)
	}
	os.Unsetenv("NO_PROXY")
	os.Unsetenv("no_proxy")
	code := m.Run()
	srv.Close()
	os.Exit(code)
}

// witness records what a render did outside its process: HTTP requests, and programs started
// through PATH (git, ssh, helm, kustomize and friends are fakes that log their calls).
type witness struct {
	log      string
	requests int64
}

// newWitness puts the fake programs first and alone on PATH and starts counting requests.
func newWitness(t testing.TB) *witness {
	t.Helper()
	bin := t.TempDir()
	w := &witness{log: filepath.Join(bin, "calls.log"), requests: requests.Load()}
	for _, name := range []string{"git", "ssh", "helm", "kustomize", "sh", "bash", "kubectl", "docker", "podman", "curl", "wget"} {
		script := "#!/bin/sh\necho \"" + name + " $*\" >> '" + w.log + "'\nexit 1\n"
		require.NoError(t, os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755))
	}
	t.Setenv("PATH", bin)
	t.Setenv("GIT_SSH_COMMAND", filepath.Join(bin, "ssh"))
	return w
}

// calls returns the programs started so far, one per line.
func (w *witness) calls() string {
	data, _ := os.ReadFile(w.log)
	return strings.TrimSpace(string(data))
}

// sawRequests returns the number of HTTP requests since the witness started.
func (w *witness) sawRequests() int64 { return requests.Load() - w.requests }

// requireNothing fails the test when the render made a request or started a program.
func (w *witness) requireNothing(t testing.TB) {
	t.Helper()
	require.Zero(t, w.sawRequests(), "HTTP requests were made")
	require.Empty(t, w.calls(), "programs were started")
}
