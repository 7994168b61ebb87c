package loadtester

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func post(t *testing.T, h http.Handler, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
	return rec
}

func payload(t *testing.T, ns string, metadata map[string]string) string {
	t.Helper()
	b, err := json.Marshal(Payload{Name: "podinfo", Namespace: ns, Phase: "Progressing", Metadata: metadata})
	require.NoError(t, err)
	return string(b)
}

func newServer(t *testing.T, opts Options) *Server {
	t.Helper()
	s := New(opts)
	t.Cleanup(s.Close)
	return s
}

func TestTaskEndpoint(t *testing.T) {
	s := newServer(t, Options{NamespaceRegexp: regexp.MustCompile("^(test|prod)$"), Timeout: 10 * time.Second})
	tests := []struct {
		name     string
		body     string
		wantCode int
		wantBody string
	}{
		{name: "bad json", body: "{", wantCode: 400, wantBody: "error decoding payload: unexpected end of JSON input"},
		{name: "no metadata", body: payload(t, "test", nil), wantCode: 400, wantBody: "metadata not found in payload"},
		{name: "no cmd", body: payload(t, "test", map[string]string{"type": "bash"}), wantCode: 400, wantBody: "cmd not found in metadata"},
		{name: "namespace not allowed", body: payload(t, "kube-system", map[string]string{"cmd": "true"}), wantCode: 403, wantBody: "Forbidden"},
		{name: "unsupported type", body: payload(t, "test", map[string]string{"type": "helm", "cmd": "ls"}), wantCode: 400, wantBody: `unsupported task type "helm"`},
		{name: "bash passes", body: payload(t, "test", map[string]string{"type": "bash", "cmd": "echo ok | grep ok"}), wantCode: 200, wantBody: ""},
		{name: "bash output returned", body: payload(t, "test", map[string]string{"type": "bash", "cmd": "echo hello", "returnCmdOutput": "true"}), wantCode: 200, wantBody: "hello\n"},
		{name: "bash fails", body: payload(t, "prod", map[string]string{"type": "bash", "cmd": "echo oops; exit 3"}), wantCode: 500,
			wantBody: "command echo oops; exit 3 failed: oops\n: exit status 3"},
		{name: "bash has bash features", body: payload(t, "test", map[string]string{"type": "bash", "cmd": "[[ a == a ]]"}), wantCode: 200},
		{name: "cmd is accepted", body: payload(t, "test", map[string]string{"cmd": "true"}), wantCode: 202},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(t, s, "/", tt.body)
			require.Equal(t, tt.wantCode, rec.Code, rec.Body.String())
			if tt.wantBody != "" || tt.wantCode == 200 {
				require.Equal(t, tt.wantBody, rec.Body.String())
			}
		})
	}
}

func TestCmdRunsAsyncAndIsDeduplicated(t *testing.T) {
	dir := t.TempDir()
	s := newServer(t, Options{Timeout: 10 * time.Second, Dir: dir, Env: []string{"PATH=" + os.Getenv("PATH"), "MARK=from-env"}})
	gate := filepath.Join(dir, "gate")
	cmd := `echo "$MARK" >> runs; while [ ! -e gate ]; do sleep 0.01; done`
	for range 3 {
		require.Equal(t, http.StatusAccepted, post(t, s, "/", payload(t, "test", map[string]string{"type": "cmd", "cmd": cmd})).Code)
	}
	require.Equal(t, 1, s.Running(), "the same command of the same canary runs once")
	require.Equal(t, http.StatusAccepted, post(t, s, "/", payload(t, "other", map[string]string{"cmd": cmd})).Code)
	require.Equal(t, 2, s.Running(), "another canary's command runs alongside")

	require.NoError(t, os.WriteFile(gate, nil, 0o600))
	require.Eventually(t, func() bool { return s.Running() == 0 }, 10*time.Second, 10*time.Millisecond)
	runs, err := os.ReadFile(filepath.Join(dir, "runs"))
	require.NoError(t, err)
	require.Equal(t, "from-env\nfrom-env\n", string(runs))
}

func TestCommandTimeoutKillsTheProcessGroup(t *testing.T) {
	s := newServer(t, Options{Timeout: 200 * time.Millisecond})
	start := time.Now()
	rec := post(t, s, "/", payload(t, "test", map[string]string{"type": "bash", "cmd": "sleep 30 & wait"}))
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.Less(t, time.Since(start), 10*time.Second)
}

func TestCloseStopsRunningCommands(t *testing.T) {
	s := New(Options{})
	require.Equal(t, http.StatusAccepted, post(t, s, "/", payload(t, "test", map[string]string{"cmd": "sleep 30"})).Code)
	require.Equal(t, 1, s.Running())
	start := time.Now()
	s.Close()
	require.Equal(t, 0, s.Running())
	require.Less(t, time.Since(start), 10*time.Second)
}

func TestGates(t *testing.T) {
	s := newServer(t, Options{})
	podinfo := payload(t, "test", nil)
	steps := []struct {
		path     string
		body     string
		wantCode int
		wantBody string
	}{
		{"/healthz", "", 200, "OK"},
		{"/gate/approve", "", 200, "OK"},
		{"/gate/halt", "", 403, "Forbidden"},
		{"/gate/check", podinfo, 403, "Forbidden"},
		{"/gate/check", "{", 400, ""},
		{"/gate/open", podinfo, 202, "Gate opened"},
		{"/gate/check", podinfo, 200, "Approved"},
		{"/gate/check", payload(t, "prod", nil), 403, "Forbidden"},
		{"/rollback/check", podinfo, 403, "Forbidden"},
		{"/rollback/open", podinfo, 202, "Gate opened"},
		{"/rollback/check", podinfo, 200, "Approved"},
		{"/gate/close", podinfo, 202, "Gate closed"},
		{"/gate/check", podinfo, 403, "Forbidden"},
		{"/rollback/check", podinfo, 200, "Approved"},
		{"/rollback/close", podinfo, 202, "Gate closed"},
		{"/rollback/check", podinfo, 403, "Forbidden"},
		{"/nope", "", 404, ""},
	}
	for i, st := range steps {
		rec := post(t, s, st.path, st.body)
		require.Equal(t, st.wantCode, rec.Code, "step %d %s: %s", i, st.path, rec.Body.String())
		if st.wantBody != "" {
			require.Equal(t, st.wantBody, rec.Body.String(), "step %d %s", i, st.path)
		}
	}

	// Every request is kept, with its payload and the status answered.
	calls := s.Calls()
	require.Len(t, calls, len(steps))
	require.Equal(t, Call{Path: "/gate/approve", Status: 200}, calls[1])
	require.Equal(t, Call{Path: "/gate/open", Payload: Payload{Name: "podinfo", Namespace: "test", Phase: "Progressing"}, Status: 202}, calls[5])
	require.Equal(t, Call{Path: "/nope", Status: 404}, calls[len(calls)-1])
}

// Commands are looked up in the PATH of their own environment, as the harness puts kubectl
// and hey there.
func TestCommandsUseThePathOfTheirEnvironment(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "kubectl"), []byte("#!/bin/sh\necho fake kubectl \"$@\"\n"), 0o755))
	s := newServer(t, Options{Env: []string{"PATH=" + dir + ":" + os.Getenv("PATH")}})
	rec := post(t, s, "/", payload(t, "test", map[string]string{"type": "kubectl", "cmd": "get pods -n test", "returnCmdOutput": "true"}))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "fake kubectl get pods -n test\n", rec.Body.String())
	rec = post(t, s, "/", payload(t, "test", map[string]string{"type": "bash", "cmd": "kubectl version", "returnCmdOutput": "true"}))
	require.Equal(t, "fake kubectl version\n", rec.Body.String())
}
