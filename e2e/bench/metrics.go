package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes"
)

// sample is what the controller's /metrics and kube-apiserver's /metrics said at one time.
// Counters a controller does not serve read NaN.
type sample struct {
	at time.Time
	// rss is process_resident_memory_bytes, heap go_memstats_heap_inuse_bytes, cpu
	// process_cpu_seconds_total of the controller.
	rss, heap, cpu float64
	// clientRequests is the controller's rest_client_requests_total (client-go), ticks its
	// workqueue_work_duration_seconds_count{name="canaries"}, ledgerPending its
	// gitcanary_ledger_pending_transitions.
	clientRequests, ticks, ledgerPending float64
	// apiRequests is kube-apiserver's apiserver_request_total, all clients.
	apiRequests float64
}

// scraper reads the two /metrics endpoints.
type scraper struct {
	controllerURL string
	kube          kubernetes.Interface
	http          *http.Client
}

func newScraper(controllerURL string, kube kubernetes.Interface) *scraper {
	return &scraper{controllerURL: controllerURL, kube: kube,
		http: &http.Client{Timeout: time.Minute, Transport: &http.Transport{Proxy: nil}}}
}

// sample scrapes both endpoints; without a controller (controllerURL empty) its fields are NaN.
func (s *scraper) sample(ctx context.Context) (sample, error) {
	nan := math.NaN()
	out := sample{at: time.Now(), rss: nan, heap: nan, cpu: nan, clientRequests: nan, ticks: nan, ledgerPending: nan}
	raw, err := s.kube.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return out, fmt.Errorf("scrape kube-apiserver /metrics: %w", err)
	}
	api, err := parseMetrics(raw)
	if err != nil {
		return out, fmt.Errorf("kube-apiserver /metrics: %w", err)
	}
	out.apiRequests = sum(api["apiserver_request_total"], nil)
	if s.controllerURL == "" {
		return out, nil
	}
	raw, err = s.get(ctx, s.controllerURL+"/metrics")
	if err != nil {
		return out, err
	}
	c, err := parseMetrics(raw)
	if err != nil {
		return out, fmt.Errorf("controller /metrics: %w", err)
	}
	out.rss = sum(c["process_resident_memory_bytes"], nil)
	out.heap = sum(c["go_memstats_heap_inuse_bytes"], nil)
	out.cpu = sum(c["process_cpu_seconds_total"], nil)
	out.clientRequests = sum(c["rest_client_requests_total"], nil)
	out.ticks = sum(c["workqueue_work_duration_seconds"], map[string]string{"name": "canaries"})
	out.ledgerPending = sum(c["gitcanary_ledger_pending_transitions"], nil)
	return out, nil
}

func (s *scraper) get(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get %s: %s: %v", url, resp.Status, err)
	}
	return body, nil
}

func parseMetrics(raw []byte) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(bytes.NewReader(raw))
}

// sum adds the values of a family's metrics whose labels include match: counters, gauges, and
// the sample count of histograms and summaries. A missing family is NaN.
func sum(f *dto.MetricFamily, match map[string]string) float64 {
	if f == nil {
		return math.NaN()
	}
	total := 0.0
	for _, m := range f.GetMetric() {
		if !labelsMatch(m, match) {
			continue
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		case m.Summary != nil:
			total += float64(m.Summary.GetSampleCount())
		case m.Untyped != nil:
			total += m.Untyped.GetValue()
		}
	}
	return total
}

func labelsMatch(m *dto.Metric, match map[string]string) bool {
	for k, v := range match {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == k && l.GetValue() == v {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// window is the change between two samples, per minute.
type window struct {
	minutes                              float64
	cpu, clientRequests, ticks, requests float64
}

func between(a, b sample) window {
	m := b.at.Sub(a.at).Minutes()
	return window{minutes: m, cpu: (b.cpu - a.cpu) / m, clientRequests: (b.clientRequests - a.clientRequests) / m,
		ticks: (b.ticks - a.ticks) / m, requests: (b.apiRequests - a.apiRequests) / m}
}

// median returns the median of the samples' values of field.
func median(samples []sample, field func(sample) float64) float64 {
	var v []float64
	for _, s := range samples {
		if x := field(s); !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// percentile returns the p-th percentile (0–100) of v by nearest rank; NaN when empty.
func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}
