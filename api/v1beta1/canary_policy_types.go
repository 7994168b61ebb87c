package v1beta1

import "time"

// The types in this file are gitcanary extensions of Flagger's Canary API. A Canary without
// them behaves exactly as in Flagger; a repository that sets them is gitcanary-only, since
// Flagger's CRD prunes fields it does not know and would run the analysis with its own rules.

// NoDataPolicy is what a metric check does when its query returns no values (an empty result
// or NaN), or when a built-in metric's canary served fewer than minRequests requests.
//
// +kubebuilder:validation:Enum=Fail;Skip;Pass
type NoDataPolicy string

// No-data policies.
const (
	// NoDataFail fails the check, as Flagger does ("Halt advancement no values found …").
	NoDataFail NoDataPolicy = "Fail"
	// NoDataSkip neither advances nor counts a failed check; after limit consecutive
	// intervals without data the check fails ("… no data for 3 intervals").
	NoDataSkip NoDataPolicy = "Skip"
	// NoDataPass passes the check.
	NoDataPass NoDataPolicy = "Pass"
)

// DefaultNoDataLimit is how many consecutive intervals without data the Skip policy tolerates
// when noData.limit is not set: the fifth fails the check.
const DefaultNoDataLimit = 5

// CanaryMetricNoData is a metric's no-data policy (gitcanary extension).
type CanaryMetricNoData struct {
	// Policy is Fail (default, Flagger's behaviour), Skip or Pass.
	// +optional
	Policy NoDataPolicy `json:"policy,omitempty"`

	// Limit is the number of consecutive intervals without data after which a Skip check
	// fails (default 5). Only with policy Skip.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Limit int `json:"limit,omitempty"`
}

// QueryErrorPolicy is what the analysis does when a metric query fails because its backend is
// unreachable, answers 5xx or times out (not a value out of range, not missing data).
//
// +kubebuilder:validation:Enum=Fail;Hold
type QueryErrorPolicy string

// Query error policies.
const (
	// QueryErrorFail counts the failed query as a failed check, as Flagger does.
	QueryErrorFail QueryErrorPolicy = "Fail"
	// QueryErrorHold keeps the canary at its weight, with one Warning event and one alert,
	// until the backend answers again; after maxHold the failed queries count as failed checks.
	QueryErrorHold QueryErrorPolicy = "Hold"
)

// DefaultMaxHold is how long the Hold policy waits for the metrics backend when
// queryErrors.maxHold is not set.
const DefaultMaxHold = 10 * time.Minute

// CanaryQueryErrors is the analysis's policy for failed metric queries (gitcanary extension).
type CanaryQueryErrors struct {
	// Policy is Fail (default, Flagger's behaviour) or Hold.
	// +optional
	Policy QueryErrorPolicy `json:"policy,omitempty"`

	// MaxHold bounds how long Hold waits for the metrics backend, e.g. 5m (default 10m).
	// Only with policy Hold.
	// +kubebuilder:validation:Pattern=`^[0-9]+(m|s)`
	// +optional
	MaxHold string `json:"maxHold,omitempty"`
}

// NoDataPolicy returns the metric's no-data policy (default Fail).
func (m *CanaryMetric) NoDataPolicy() NoDataPolicy {
	if m.NoData == nil || m.NoData.Policy == "" {
		return NoDataFail
	}
	return m.NoData.Policy
}

// NoDataLimit returns how many consecutive intervals without data fail a Skip check
// (default DefaultNoDataLimit).
func (m *CanaryMetric) NoDataLimit() int {
	if m.NoData == nil || m.NoData.Limit <= 0 {
		return DefaultNoDataLimit
	}
	return m.NoData.Limit
}

// QueryErrorPolicy returns the analysis's policy for failed metric queries (default Fail).
func (a *CanaryAnalysis) QueryErrorPolicy() QueryErrorPolicy {
	if a == nil || a.QueryErrors == nil || a.QueryErrors.Policy == "" {
		return QueryErrorFail
	}
	return a.QueryErrors.Policy
}

// MaxHold returns how long the Hold policy waits for the metrics backend (default
// DefaultMaxHold; an unparsable value, which validation rejects, also gives the default).
func (a *CanaryAnalysis) MaxHold() time.Duration {
	if a == nil || a.QueryErrors == nil || a.QueryErrors.MaxHold == "" {
		return DefaultMaxHold
	}
	d, err := time.ParseDuration(a.QueryErrors.MaxHold)
	if err != nil || d <= 0 {
		return DefaultMaxHold
	}
	return d
}
