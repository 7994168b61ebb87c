package page

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/status/ledger"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, err := io.ReadAll(rec.Result().Body)
	require.NoError(t, err)
	return rec.Code, string(body)
}

func newPage(t *testing.T) *Handler {
	return New(localSource(ledgerRepo(t)), Options{Refresh: 7 * time.Second, Now: func() time.Time { return t0.Add(time.Hour) }})
}

func TestIndex(t *testing.T) {
	code, body := get(t, newPage(t), "/")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `<meta http-equiv="refresh" content="7">`)
	require.Contains(t, body, `<tr data-canary="test/podinfo">`)
	require.Contains(t, body, `<a href="canary/test/podinfo">podinfo</a>`)
	require.Contains(t, body, `<td class="phase Failed">Failed</td>`)
	require.Contains(t, body, `<tr data-canary="test/checkout">`)
	require.Contains(t, body, "<code>3f2a1c9</code>")
	require.NotContains(t, body, "<form", "no write actions")
}

func TestCanaryPage(t *testing.T) {
	code, body := get(t, newPage(t), "/canary/test/podinfo")
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, `<span class="phase Failed" id="phase">Failed</span>`)

	weights := regexp.MustCompile(`<circle class="point phase-(\w+)"[^>]* data-phase="\w+" data-weight="(\d+)"`).FindAllStringSubmatch(body, -1)
	var got []string
	for _, m := range weights {
		got = append(got, m[1]+" "+m[2])
	}
	require.Equal(t, []string{"Progressing 5", "Progressing 10", "Succeeded 0", "Progressing 5", "Progressing 5", "Failed 0"}, got,
		"one weight point per ledger commit, across both revisions")
	weightChart := body[strings.Index(body, `id="weight-chart"`):]
	weightChart = weightChart[:strings.Index(weightChart, "</svg>")]
	require.Equal(t, 2, strings.Count(weightChart, `<line class="revision"`), "a mark where each revision starts")
	require.Contains(t, body, ">podinfo:6.0.1<")
	require.Contains(t, body, ">podinfo:6.0.2<")

	values := regexp.MustCompile(`data-metric="request-success-rate" data-value="([\d.]+)" data-verdict="(\w+)"`).FindAllStringSubmatch(body, -1)
	got = nil
	for _, m := range values {
		got = append(got, m[1]+" "+m[2])
	}
	require.Equal(t, []string{"100 Passed", "99.8 Passed", "99.8 Passed", "100 Passed", "86.5185 Failed", "86.5185 Failed"}, got,
		"the value at each commit of the canary")
	require.Contains(t, body, `<line class="threshold"`)

	failed := body[strings.Index(body, `id="failed-check"`):]
	failed = failed[:strings.Index(failed, "</div>\n\n")]
	require.Contains(t, failed, `<span class="name">request-success-rate</span>`)
	require.Contains(t, failed, `<b class="value">86.5185</b>`)
	require.Contains(t, failed, `<b class="threshold">[99, ∞)</b>`)
	require.Contains(t, failed, `sum(rate(envoy_cluster_upstream_rq{envoy_response_code!~&#34;5.*&#34;}[30s]))`)
	require.Contains(t, failed, "http://flagger-prometheus:9090")
	require.Contains(t, body, "Canary failed! Scaling down podinfo.test")
}

func TestCanaryWaitingAtAGate(t *testing.T) {
	code, body := get(t, newPage(t), "/canary/test/checkout")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "confirm-promotion (phase WaitingPromotion)")
	require.Contains(t, body, "webhook approve is closed")
	require.Contains(t, body, "HTTP 403")
	require.NotContains(t, body, `id="failed-check"`)
}

func TestPageErrors(t *testing.T) {
	h := newPage(t)
	code, body := get(t, h, "/canary/test/nope")
	require.Equal(t, http.StatusNotFound, code)
	require.Contains(t, body, "test/nope is not recorded on the status branch")
	code, _ = get(t, h, "/canary/test")
	require.Equal(t, http.StatusNotFound, code)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	require.Equal(t, "GET, HEAD", rec.Header().Get("Allow"))

	broken := New(SourceFunc(func(context.Context) (*ledger.Snapshot, error) {
		return nil, errors.New("dial tcp: connection refused")
	}), Options{})
	code, body = get(t, broken, "/")
	require.Equal(t, http.StatusBadGateway, code)
	require.Contains(t, body, "read the status branch: dial tcp: connection refused")
}

func TestCached(t *testing.T) {
	calls := 0
	now := t0
	src := &cached{src: SourceFunc(func(context.Context) (*ledger.Snapshot, error) {
		calls++
		if calls == 2 {
			return nil, errors.New("unreachable")
		}
		return &ledger.Snapshot{}, nil
	}), ttl: 5 * time.Second, now: func() time.Time { return now }}
	ctx := context.Background()
	_, err := src.Snapshot(ctx)
	require.NoError(t, err)
	_, err = src.Snapshot(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, calls, "read once per ttl")
	now = now.Add(6 * time.Second)
	_, err = src.Snapshot(ctx)
	require.Error(t, err, "a failed read is reported")
	_, err = src.Snapshot(ctx)
	require.NoError(t, err, "and not cached")
	require.Equal(t, 3, calls)
}

func TestChartEscapesAndEmpty(t *testing.T) {
	require.Contains(t, string(chart{}.render()), "No points recorded yet.")
	svg := string(chart{Label: `<script>`, YMin: 0, YMax: 1, Points: []chartPoint{{T: t0, V: 0.5, Title: `"><b>`, Data: map[string]string{"x": `<i>`}}}}.render())
	require.NotContains(t, svg, "<script>")
	require.NotContains(t, svg, "<b>")
	require.NotContains(t, svg, "<i>")
	require.Contains(t, svg, `data-x="&lt;i&gt;"`)
}

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{42 * time.Second: "42s", 5 * time.Minute: "5m", 3 * time.Hour: "3h", 72 * time.Hour: "3d"} {
		require.Equal(t, want, age(t0.Add(d), t0))
	}
	require.Equal(t, "unknown", age(t0, time.Time{}))
}
