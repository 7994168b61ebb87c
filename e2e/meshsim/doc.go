// Package meshsim simulates the Envoy + Crossover service mesh of the seed walkthrough, and the
// cluster network around it, for the e2e environment and the demo.
//
// It owns three things:
//
//   - Sim, the mesh: it watches Services, Pods and SMI TrafficSplits (split.smi-spec.io
//     v1alpha1, v1alpha2 and v1alpha3) through the API server. Its ingress handler plays the
//     Envoy front proxy (the seed's envoy.test:10000): it maps the request's Host header
//     (podinfo.test, podinfo.test.svc.cluster.local, …) to the apex Service, picks a backend of
//     the TrafficSplit whose spec.service is that apex by its current weights (smooth weighted
//     round robin, so 1,000 requests at weight 30 give exactly 300 canary requests), and
//     serves the request from a Ready pod of the backend Service. Without a TrafficSplit the
//     apex Service itself is the Envoy cluster. It records Envoy-named metrics, exposed by
//     MetricsHandler: envoy_cluster_upstream_rq (counter; labels envoy_cluster_name,
//     envoy_response_code, kubernetes_namespace) and envoy_cluster_upstream_rq_time (histogram
//     in whole milliseconds, truncated as Envoy does, with Envoy's default buckets; labels
//     envoy_cluster_name, kubernetes_namespace). The Envoy cluster name is the backend Service
//     name, so <svc>-primary and <svc>-canary as Flagger generates them.
//   - the podinfo backends: each Ready pod selected by a Service answers like podinfo
//     (GET /, /version, /status/{code}, /delay/{seconds}, POST /token, /healthz, /readyz).
//     What a pod does is read from its first container, so a "bad" version is just a new pod
//     template (see Behaviour): env PODINFO_FAULT=<code> answers that status,
//     PODINFO_FAULT_PERCENT=<0-100> limits it to that share of requests (default 100),
//     PODINFO_DELAY=<duration or seconds> delays every answer, PODINFO_UI_COLOR is echoed, and
//     the image tag is the version reported by GET /. Health endpoints never fault. A Service
//     with no Ready pod (a Deployment scaled to zero, or not available yet) answers 503
//     "no healthy upstream" and records no upstream request, like Envoy.
//   - Proxy, the cluster DNS: an HTTP forward proxy that resolves in-cluster names —
//     <svc>, <svc>.<ns>, <svc>.<ns>.svc and <svc>.<ns>.svc.cluster.local, with an optional
//     :port — to fixed targets registered by name (the mesh ingress "envoy", the load tester,
//     Prometheus) or else to the Service's podinfo backends, bypassing the ingress as a
//     direct in-cluster call does. Loopback addresses pass through unchanged. Programs that
//     honour HTTP_PROXY (curl, Go's net/http) reach the seed's host names through it.
//
// It also implements Gateway API for GatewayClasses of controllerName gitcanary.io/meshsim
// (ControllerName): it accepts such GatewayClasses and Gateways and the parents of HTTPRoutes
// attached to them (Accepted and ResolvedRefs at the route's generation), and its ingress
// routes by those HTTPRoutes before any TrafficSplit: hostnames, path, method, header and query
// matches with Gateway API's precedence, backend weights (smooth weighted round robin per
// rule), RequestMirror filters (a copy of the request, answer dropped) and the Set-Cookie
// headers of ResponseHeaderModifier filters. Requests routed by an HTTPRoute are recorded
// under the Envoy cluster names of Envoy-based gateways, <namespace>_<service>_<port>.
//
// It deliberately does not do: HTTPS or CONNECT to in-cluster names, header matches or
// mirroring for TrafficSplits (SMI has neither), other route kinds or filters, listener
// checks, real pod networking, or anything but HTTP/1.1. TrafficSplits
// are watched at the preferred served version of split.smi-spec.io: with the CRD's "None"
// conversion every object of every version is visible there, and weights are parsed whether
// they are strings (v1alpha1 Quantity) or integers (v1alpha2/3).
package meshsim
