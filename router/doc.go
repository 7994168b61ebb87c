// Package router routes a canary's traffic: it owns the generated Kubernetes Services and the
// SMI TrafficSplit that weighs the primary against the canary.
//
// Services creates and updates the three ClusterIP Services of reference §5: the apex <svc>
// and <svc>-primary, which select the primary pods, and <svc>-canary, which selects the target's
// pods. It takes over an existing apex Service (selector and ports only) and hands it back on
// Finalize. SMI writes the TrafficSplit <svc> of reference §6 for split.smi-spec.io v1alpha1
// (string weights), v1alpha2 and v1alpha3 (integer weights) through the dynamic client, with
// unstructured objects and no generated clientset. Dispatcher joins both into the engine.Router
// of one canary, choosing the TrafficSplit version with v1beta1.ParseProvider from
// spec.provider or the controller's default provider.
//
// The package does not decide weights, does not read Deployments itself (a Targets
// implementation, such as engine/workload.Deployments, tells which pods to select) and does not
// install the TrafficSplit CRDs (manifests/smi ships them).
package router
