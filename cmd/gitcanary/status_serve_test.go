package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for the command's goroutine and the test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestStatusServe serves the page of a status branch fetched over HTTP with credentials, reads
// a canary's page, and stops on cancellation.
func TestStatusServe(t *testing.T) {
	srv, auth := ledgerServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"status", "serve", "--repo", srv.HTTPURL("config"), "--auth-dir", auth, "--listen", "127.0.0.1:0"}, &stdout, &stderr)
	}()
	addr := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+/)`)
	require.Eventually(t, func() bool { return addr.MatchString(stdout.String()) }, 30*time.Second, 10*time.Millisecond, stderr.String())
	base := addr.FindStringSubmatch(stdout.String())[1]

	resp, err := http.Get(base + "canary/test/checkout")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Contains(t, string(body), `<span class="name">request-success-rate</span>`)
	require.Contains(t, string(body), `<b class="value">86.5185</b>`)

	cancel()
	select {
	case code := <-done:
		require.Equal(t, exitOK, code, stderr.String())
	case <-time.After(30 * time.Second):
		require.FailNow(t, "status serve did not stop")
	}
}

func TestStatusServeUsage(t *testing.T) {
	code, _, stderr := runCmd(t, "status", "serve")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "--repo is required")
	code, _, stderr = runCmd(t, "status", "serve", "extra", "--repo", "x")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, `unexpected argument "extra"`)
}
