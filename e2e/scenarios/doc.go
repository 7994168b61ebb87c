// Package scenarios holds the end-to-end tests of gitcanary (build tag e2e): the seed
// walkthrough and its failure modes, run by the real gitcanary binary against the local
// environment of package env — a real kube-apiserver with kwok nodes, Prometheus, the mesh
// simulator, the load tester — with the in-process Git server as the source.
//
// Each test reads as Given / When / Then: given a Git repository holding the podinfo overlay
// and a controller syncing it, when something is pushed (or killed), then the cluster, the
// Canary's status and events, and the status branch show what the user must see. Waits are
// conditions with deadlines; a failing test prints the controller's log and the environment's.
package scenarios
