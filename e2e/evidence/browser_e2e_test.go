//go:build e2e

package evidence

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// screenshotDir keeps the browser tests' screenshots, in the git-ignored cache.
var screenshotDir = filepath.Join(repoRoot, ".cache", "e2e", "screenshots")

// statusServe runs `gitcanary status serve` on the scenario's status branch, fetched over
// HTTP with the Git credentials, and returns the page's URL.
func (s *scenario) statusServe() string {
	s.t.Helper()
	auth := s.t.TempDir()
	require.NoError(s.t, os.WriteFile(filepath.Join(auth, "username"), []byte(gitUser), 0o600))
	require.NoError(s.t, os.WriteFile(filepath.Join(auth, "password"), []byte(gitPassword), 0o600))
	out := filepath.Join(s.t.TempDir(), "serve.log")
	f, err := os.Create(out)
	require.NoError(s.t, err)
	cmd := exec.Command(controllerBin, "status", "serve", "--repo", s.git.HTTPURL("fleet"), "--branch", "gitcanary/status",
		"--auth-dir", auth, "--listen", "127.0.0.1:0", "--refresh", "2s")
	cmd.Stdout, cmd.Stderr = f, f
	require.NoError(s.t, cmd.Start())
	s.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); _ = f.Close() })
	addr := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+/)`)
	var url string
	s.eventually(30*time.Second, "status serve to listen", func() (bool, string) {
		b, _ := os.ReadFile(out)
		if m := addr.FindSubmatch(b); m != nil {
			url = string(m[1])
			return true, ""
		}
		return false, string(b)
	})
	return url
}

// browserStarts is how many times browser starts Chromium before it gives up: once in a while
// (one CI run in several) Chromium crashes while it starts, before it serves DevTools, which
// says nothing of the page under test.
const browserStarts = 3

// browser starts a headless Chromium (Debian's chromium package) with a fresh profile.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	require.NoError(t, err, "the browser tests need Debian's chromium package (.ci/run installs it)")
	for attempt := 1; ; attempt++ {
		ctx, cancel := startBrowser(t, path)
		err := chromedp.Do(ctx)
		if err == nil {
			t.Cleanup(cancel)
			return ctx
		}
		cancel()
		require.Less(t, attempt, browserStarts, "start chromium: %v", err)
		t.Logf("chromium did not start (attempt %d of %d), starting it again: %v", attempt, browserStarts, err)
	}
}

// startBrowser prepares a Chromium with a fresh profile; chromedp starts it on the first action.
func startBrowser(t *testing.T, path string) (context.Context, context.CancelFunc) {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1000, 1200),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true), chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	return ctx, func() { cancelTimeout(); cancelCtx(); cancelAlloc() }
}

// screenshot saves the page as PNG under screenshotDir and returns the file.
func screenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(screenshotDir, 0o755))
	file := filepath.Join(screenshotDir, name+".png")
	require.NoError(t, os.WriteFile(file, png, 0o644))
	t.Logf("screenshot %s (%d bytes)", file, len(png))
	return file
}

// pagePoints is what the canary page's charts say, read in the browser.
type pagePoints struct {
	Weights      []string `json:"weights"`
	Phases       []string `json:"phases"`
	FailedName   string   `json:"failedName"`
	FailedValue  string   `json:"failedValue"`
	FailedRange  string   `json:"failedRange"`
	Metrics      []string `json:"metrics"`
	FailedValues []string `json:"failedValues"`
}

const readPoints = `(() => {
  const pts = [...document.querySelectorAll('#weight-chart circle.point')];
  const text = sel => (document.querySelector(sel) || {}).textContent || '';
  const mpts = [...document.querySelectorAll('.metric-chart circle.point')];
  return {
    weights: pts.map(p => p.dataset.weight),
    phases: pts.map(p => p.dataset.phase),
    failedName: text('#failed-check .name'),
    failedValue: text('#failed-check .value'),
    failedRange: text('#failed-check .threshold'),
    metrics: [...new Set(mpts.map(p => p.dataset.metric))],
    failedValues: mpts.filter(p => p.dataset.verdict === 'Failed').map(p => p.dataset.metric + '=' + p.dataset.value),
  };
})()`

// readCanaryPage opens a canary's page and reads its charts.
func readCanaryPage(t *testing.T, ctx context.Context, url string) pagePoints {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`#weight-chart svg`))), "open %s", url)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[pagePoints](readPoints))
	require.NoError(t, err, "read the charts of %s", url)
	return got
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

func requirePhaseSeen(t *testing.T, p pagePoints, phase string) {
	t.Helper()
	require.NotEqual(t, -1, indexOf(p.Phases, phase), fmt.Sprintf("a %s point: %v", phase, p.Phases))
}
