// Package evidence holds the end-to-end tests of analyses that explain themselves (issue 16),
// against the real local environment (package env) and the real gitcanary binary:
//
//   - a metrics outage: Prometheus stopped mid-analysis holds the canary's weight under
//     queryErrors Hold (one Warning, one alert) and the release is promoted once Prometheus is
//     back; with Flagger's default the same outage rolls the release back;
//   - a canary that gets no traffic under noData Skip fails with "no data for N intervals";
//   - the demo's releases: a healthy promotion with Skip has no failed check; after the rollback
//     `kubectl describe canary` and `gitcanary status history` show the failing metric's query,
//     value and threshold;
//   - the status page (`gitcanary status serve`) driven by a real headless Chromium (chromedp):
//     the timeline's points and the failing metric, with screenshots saved under
//     .cache/e2e/screenshots.
//
// The package has its own environment: stopping Prometheus would break tests of other
// packages running beside it, so its tests run one at a time.
package evidence
