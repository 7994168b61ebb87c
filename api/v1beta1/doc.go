// Package v1beta1 holds the flagger.app/v1beta1 API that gitcanary serves: the Canary,
// MetricTemplate and AlertProvider kinds with Flagger's JSON field names, defaults and status
// fields, so that a user's existing Flagger YAML works unchanged.
//
// The package owns three things:
//
//   - the Go types, from which controller-gen generates deepcopy functions and the CRD YAML in
//     manifests/crds;
//   - the defaulting getters that reproduce Flagger's implicit defaults (an interval of 60s clamped
//     to at least 10s, a threshold of 1, maxWeight 100, webhook timeout 10s, …);
//   - validation (Validate*), pure functions that return every problem of an object with the
//     object's identity and the JSON field path of the offending field.
//
// A few fields are gitcanary extensions (canary_policy_types.go, canary_status_analysis.go): a
// metric's noData policy and minRequests guard, the analysis's queryErrors policy, and
// status.analysis with the evidence of the last checks. YAML without them is exactly Flagger's;
// a repository that sets them is gitcanary-only, since Flagger's CRD would prune them.
//
// It does not talk to a cluster and has no I/O. Fields that only other meshes use (Istio traffic
// policies, Gateway API references, …) are kept as opaque JSON so that they round-trip, but
// gitcanary does not act on them.
//
// +kubebuilder:object:generate=true
// +groupName=flagger.app
package v1beta1
