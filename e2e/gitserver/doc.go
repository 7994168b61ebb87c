// Package gitserver is a real Git server that runs inside a test process (or the demo) and serves
// bare repositories from a temporary directory over TCP on loopback.
//
// It speaks the Git smart HTTP protocol, optionally behind HTTP basic auth or a bearer token, and
// the Git SSH protocol (github.com/gliderlabs/ssh) with its own host key and a list of authorised
// client public keys. Both are built on go-git's protocol packages; nothing shells out to git. The
// repositories are ordinary bare repositories on disk, so they can also be reached with file://
// URLs.
//
// The server goes a little beyond go-git's own server-side transport so that clients behave as they
// would against a real Git host:
//   - reference updates are compare-and-swap under a per-repository lock: a push whose old value is
//     stale is refused ("fetch first"), so concurrent pushers cannot overwrite each other;
//   - shallow fetches (deepen N) are answered with the shallow boundary;
//   - the haves a client sends are honoured, so incremental fetches are small;
//   - every accepted reference update is recorded (see Server.RefUpdates), so tests can check that
//     no update ever dropped a commit, and DenyNonFastForwards makes the server refuse such updates.
//
// Main types: Server (Start, Stop, Restart, Close, the URL helpers), Options, Change (a set of file
// edits that CommitFiles commits and pushes over HTTP) and RefUpdate.
//
// It deliberately does not implement: protocol v2, multi_ack negotiation (a client gets one NAK and
// a pack computed from all the haves it sent, which is what go-git sends in one round), side-band
// progress, thin packs, hooks, or any authorisation finer than "authenticated or not". It listens on
// loopback only. It is meant for go-git clients; other Git clients may work but are not tested.
package gitserver
