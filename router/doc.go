// Package router routes a canary's traffic: it owns the generated Kubernetes Services and the
// routing object that weighs the primary against the canary, an SMI TrafficSplit or a Gateway
// API HTTPRoute.
//
// Services creates and updates the three ClusterIP Services of reference §5: the apex <svc>
// and <svc>-primary, which select the primary pods, and <svc>-canary, which selects the target's
// pods. It takes over an existing apex Service (selector and ports only) and hands it back on
// Finalize. SMI writes the TrafficSplit <svc> of reference §6 for split.smi-spec.io v1alpha1
// (string weights), v1alpha2 and v1alpha3 (integer weights) through the dynamic client, with
// unstructured objects and no generated clientset. GatewayAPI writes the HTTPRoute <svc> of
// gateway.networking.k8s.io v1 or v1beta1 in Flagger's shape (gatewayRefs, hosts, weighted
// primary/canary backends, A/B rules, header, rewrite and RequestMirror filters, timeouts,
// session cookies) with the typed clientset of sigs.k8s.io/gateway-api, reading through an
// informer's lister (HTTPRoutes) and writing only when the route must change. Dispatcher joins the Services and the routing
// object into the engine.Router of one canary, choosing it with v1beta1.ParseProvider from
// spec.provider or the controller's default provider.
//
// The package does not decide weights, does not read Deployments itself (a Targets
// implementation, such as engine/workload.Deployments, tells which pods to select) and does not
// install the TrafficSplit or Gateway API CRDs (manifests/smi ships the former; the cluster's
// gateway brings the latter).
package router
