// Package loadtester is an HTTP load tester compatible with Flagger's (flagger-loadtester
// 0.38), so the webhooks of the seed walkthrough run unchanged against the e2e environment
// and the demo.
//
// Server owns the HTTP contract (reference §8.3):
//
//   - POST / with a Flagger webhook payload {name, namespace, phase, checksum, metadata}:
//     metadata.type "cmd" (the default) answers 202 at once and runs `sh -c <cmd>` in the
//     background, skipping a command that is still running for the same canary; "bash" runs
//     `bash -c <cmd>` and answers 200 (with the output when returnCmdOutput is "true") or 500
//     `command <cmd> failed: <output>: <error>`; "kubectl" runs kubectl with the given
//     arguments. Bad JSON → 400, no metadata → 400 "metadata not found in payload", no cmd →
//     400 "cmd not found in metadata", a namespace outside the allow-list regexp → 403.
//   - /gate/approve (200), /gate/halt (403), /gate/check, /gate/open, /gate/close and
//     /rollback/check, /rollback/open, /rollback/close: in-memory gates keyed by
//     <name>.<namespace> (rollback.<name>.<namespace>), closed until opened.
//   - GET /healthz → 200 OK.
//
// Server.Calls returns the requests it answered (path, payload, status) so that tests can check
// which webhook was called in which phase.
//
// Commands run with the environment given in Options (the e2e harness passes HTTP_PROXY
// pointing at the cluster DNS proxy, and a PATH with hey and kubectl), in their own process
// group that is killed on timeout, on Close, and — through Pdeathsig — when the process that
// runs the Server dies. Output kept per command is bounded.
//
// It deliberately does not implement the helm, concord and ngrinder task types (400), nor
// Flagger's panic on an unknown type (also 400 here).
package loadtester
