// Package walkthrough runs the seed walkthrough's moving parts for the e2e scenarios and the
// demo: the podinfo overlay adapted to a namespace, its edits (a new image, a faulty version,
// the built-in Envoy metrics), a Git repository on the in-process Git server, and the real
// gitcanary controller binary as a child process, with its events read back from its log the
// way the seed reads Flagger's (kubectl logs … | jq .msg).
//
// It does not start the cluster (package env does) and asserts nothing: tests and the demo
// decide what to check and print.
package walkthrough
