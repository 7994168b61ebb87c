// Package engine is the canary state machine and the reconciler that runs it.
//
// Decide is pure: given a Canary, what the adapters observed this tick and the time, it returns
// the next status and the ordered actions to take. The reconciler observes, decides, acts and
// records through the small interfaces of ports.go, which the router, status and adapter packages
// implement. The engine imports no Kubernetes clientset.
package engine
