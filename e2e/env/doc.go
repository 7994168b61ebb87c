// Package env starts the real local environment that gitcanary's end-to-end tests and the
// demo run against: a Kubernetes control plane, Prometheus, the mesh simulator and the load
// tester, all on loopback, in seconds, without Docker.
//
// It owns, per environment (Start):
//
//   - a run directory with a CA, serving, admin and front-proxy certificates and a
//     service-account key pair made with crypto/x509 (PKI), an admin kubeconfig for the
//     built kubectl, and one log file per component;
//   - processes built by `make tools` (e2e/tools): etcd, kube-apiserver and Prometheus first;
//     after kube-apiserver's /readyz, kube-controller-manager, kube-scheduler and kwok, with
//     one fake node (kwok-node-0, no taints) that kwok keeps Ready and whose pods become
//     Running and Ready at once. Every wait polls with a deadline and fails fast, with the
//     log tail, when a process it depends on exits;
//   - the TrafficSplit CRD (split.smi-spec.io v1alpha1–v1alpha3), as the mesh would install it,
//     and the standard-channel Gateway API CRDs (GatewayClasses, Gateways, HTTPRoutes,
//     ReferenceGrants) of the sigs.k8s.io/gateway-api version pinned in go.mod, read from the
//     module cache, with the GatewayClass "meshsim" that the mesh simulator implements;
//   - in this process: the mesh simulator (meshsim.Sim: the seed's envoy.test:10000 ingress
//     and the podinfo backends, with Envoy metrics that Prometheus scrapes every second), the
//     load tester (loadtester.Server, the seed's http://flagger-loadtester.test/) and the
//     cluster DNS proxy (meshsim.Proxy). Give Env.ProxyURL as HTTP_PROXY to the controller
//     under test and it reaches the seed's in-cluster names — flagger-loadtester.<ns>,
//     podinfo-canary.<ns>:9898, envoy.<ns>:10000, flagger-prometheus:9090 — while
//     kube-apiserver, on a loopback address, is never proxied. The load tester's commands
//     get the same (CommandEnv), with kubectl and a hey wrapper first on PATH.
//
// Processes get their own process group and a parent-death SIGKILL (package proc), so
// nothing outlives the test binary even when it is killed; Stop sends SIGTERM to all of
// them at once and SIGKILL after a short grace, signalling only its own process groups.
//
// For tests, Main is the TestMain of an e2e package (one environment per package; logs of
// every component printed and the run directory kept when a test fails), Get returns that
// environment, Namespace gives each test its own namespace, Kubectl runs the built kubectl,
// WaitFor waits on a condition with a deadline, and HTTPClient reaches in-cluster names.
//
// It deliberately does not build the tools (see e2e/e2e.mk), run a kubelet or real
// containers (kwok fakes pods; what a pod "does" is simulated by meshsim), run the
// gitcanary controller (tests start it), or serve the Git repository (e2e/gitserver).
// The package builds without the e2e build tag so that a demo command can import it; the
// tests that start real processes carry `//go:build e2e`.
package env
