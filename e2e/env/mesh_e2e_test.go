//go:build e2e

package env_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/e2e/meshsim"
)

// Given podinfo behind a TrafficSplit of each SMI version, when the canary weight changes,
// the mesh ingress moves the traffic.
func TestTrafficSplitChangeMovesTraffic(t *testing.T) {
	for _, version := range []string{"v1alpha1", "v1alpha2", "v1alpha3"} {
		t.Run(version, func(t *testing.T) {
			e := env.Get(t)
			ns := e.Namespace(t)
			canarySetup{}.deploy(t, e, ns)
			for _, weight := range []int64{30, 70} {
				setSplit(t, e, ns, version, weight)
				canary, total := countCanary(t, e, ns, 1000)
				share := 100 * float64(canary) / float64(total)
				t.Logf("weight %d: %d of %d requests (%.1f%%) reached the canary", weight, canary, total, share)
				require.InDelta(t, float64(weight), share, 5)
			}
		})
	}
}

// countCanary sends n requests to podinfo.<ns> through the mesh ingress and counts those the
// canary (podinfo 6.0.1) answered.
func countCanary(t *testing.T, e *env.Env, ns string, n int) (canary, total int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := meshClient()
	var hits, all atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				code, body, err := get(ctx, c, e.MeshURL+"/", "podinfo."+ns)
				if err != nil || code != http.StatusOK {
					errs <- fmt.Errorf("request %d: status %d, body %q: %v", i, code, body, err)
					return
				}
				all.Add(1)
				if strings.Contains(body, `"version":"6.0.1"`) {
					hits.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	return int(hits.Load()), int(all.Load())
}

// The seed's MetricTemplates, verbatim, rendered for namespace ns, target podinfo and
// interval 30s (reference §6.3 (c)).
func seedErrorRate(ns string) string {
	return `100 - rate(
      envoy_cluster_upstream_rq{
        kubernetes_namespace="` + ns + `",
        envoy_cluster_name="podinfo-canary",
        envoy_response_code!~"5.*"
      }[30s]) 
    / 
    rate(
      envoy_cluster_upstream_rq{
        kubernetes_namespace="` + ns + `",
        envoy_cluster_name="podinfo-canary"
      }[30s]
    ) * 100`
}

func seedLatency(ns string) string {
	return `histogram_quantile(0.99,
      sum(
        rate(
          envoy_cluster_upstream_rq_time_bucket{
            kubernetes_namespace="` + ns + `",
            envoy_cluster_name="podinfo-canary"
          }[30s]
        )
      ) by (le)
    )`
}

// crossoverSuccessRate is the historical built-in Crossover request-success-rate (reference
// §6.3 (b)), which sums over response codes.
func crossoverSuccessRate(ns string) string {
	sel := `kubernetes_namespace="` + ns + `",envoy_cluster_name=~"podinfo-canary"`
	return `sum(rate(envoy_cluster_upstream_rq{` + sel + `,envoy_response_code!~"5.*"}[30s])) / sum(rate(envoy_cluster_upstream_rq{` + sel + `}[30s])) * 100`
}

// Given a canary that serves 0 % or 30 % errors, or answers slowly, under steady load through
// the mesh, Prometheus (scraping the simulator every second) answers the seed's queries.
//
// The seed's error-rate query divides two rate() vectors without sum(), so with Envoy's
// per-code series it matches 2xx series only with themselves: it reads 0 whatever the
// errors (a faithful quirk of the seed, which is why the historical built-in success rate,
// summed over codes, is checked too). The latency query reads Envoy's whole-millisecond
// histogram: a fast in-process backend records 0 ms, so P99 is 0.495 (the 0.5 ms bucket),
// or up to 1 when a busy machine makes over 1 % of requests take a millisecond; a 100 ms
// backend lands in (100, 250].
func TestPrometheusAnswersSeedQueries(t *testing.T) {
	tests := []struct {
		name                   string
		canaryEnv              []corev1.EnvVar
		wantErrorRate          float64 // seed error-rate query
		wantSuccessRate        float64 // summed success rate
		latencyMin, latencyMax float64 // seed latency query, ms
	}{
		{name: "healthy canary", wantErrorRate: 0, wantSuccessRate: 100, latencyMin: 0, latencyMax: 1},
		{
			name:          "canary with 30 percent errors",
			canaryEnv:     []corev1.EnvVar{{Name: meshsim.EnvFault, Value: "500"}, {Name: meshsim.EnvFaultPercent, Value: "30"}},
			wantErrorRate: 0, wantSuccessRate: 70, latencyMin: 0, latencyMax: 1,
		},
		{
			name:          "slow canary",
			canaryEnv:     []corev1.EnvVar{{Name: meshsim.EnvDelay, Value: "100ms"}},
			wantErrorRate: 0, wantSuccessRate: 100, latencyMin: 100, latencyMax: 250,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := env.Get(t)
			ns := e.Namespace(t)
			canarySetup{canaryEnv: tt.canaryEnv}.deploy(t, e, ns)
			setSplit(t, e, ns, "v1alpha1", 100)
			stop := generateLoad(t, e, ns, 100)
			defer stop()

			e.WaitFor(t, 45*time.Second, "seed queries answer as expected", func(ctx context.Context) error {
				var errs []string
				check := func(name, q string, lo, hi float64) {
					v, err := promQuery(ctx, e, q)
					if err != nil || v < lo || v > hi {
						errs = append(errs, fmt.Sprintf("%s = %v (want [%v, %v]): %v", name, v, lo, hi, err))
					}
				}
				check("seed error-rate", seedErrorRate(ns), tt.wantErrorRate-2, tt.wantErrorRate+2)
				check("success rate", crossoverSuccessRate(ns), tt.wantSuccessRate-2, tt.wantSuccessRate+2)
				check("seed latency", seedLatency(ns), tt.latencyMin, tt.latencyMax)
				if len(errs) > 0 {
					return fmt.Errorf("%s", strings.Join(errs, "; "))
				}
				return nil
			})
		})
	}
}

// meshClient talks to the mesh ingress directly: a Go client that overrides the Host header
// cannot go through a forward proxy (it writes the Host into the request line).
func meshClient() *http.Client {
	return &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 8}, Timeout: 30 * time.Second}
}

// generateLoad sends about rps requests per second to podinfo.<ns> through the mesh until
// the returned stop function is called (or one minute passes).
func generateLoad(t *testing.T, e *env.Env, ns string, rps int) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	c := meshClient()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(time.Second * 4 / time.Duration(rps))
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					_, _, _ = get(ctx, c, e.MeshURL+"/", "podinfo."+ns)
				}
			}
		}()
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// promQuery runs an instant query against the seed's Prometheus address
// (http://flagger-prometheus:9090) through the cluster DNS proxy, as Flagger would (its
// whitespace collapsed), and returns the last series' value.
func promQuery(ctx context.Context, e *env.Env, q string) (float64, error) {
	q = strings.Join(strings.Fields(q), " ")
	u := "http://flagger-prometheus:9090/api/v1/query?query=" + url.QueryEscape(q)
	code, body, err := get(ctx, e.HTTPClient(), u, "")
	if err != nil {
		return 0, err
	}
	if code != http.StatusOK {
		return 0, fmt.Errorf("query status %d: %s", code, body)
	}
	var r struct {
		Data struct {
			Result []struct {
				Value []any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return 0, fmt.Errorf("decode %s: %w", body, err)
	}
	if len(r.Data.Result) == 0 {
		return 0, fmt.Errorf("no values found")
	}
	last := r.Data.Result[len(r.Data.Result)-1].Value
	if len(last) != 2 {
		return 0, fmt.Errorf("bad value %v", last)
	}
	s, _ := last[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) {
		return 0, fmt.Errorf("value %q is not a number", s)
	}
	return v, nil
}
