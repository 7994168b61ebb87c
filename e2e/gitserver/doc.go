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
//   - shallow fetches (deepen N) are answered with the shallow boundary, and a client's shallow
//     commits that a deeper fetch reaches are unshallowed;
//   - the haves a client sends are negotiated as git's upload-pack does — multi_ack_detailed for
//     the git CLI (rounds of haves, "ACK <id> common", NAK per round, the pack after "done"),
//     the basic mode for go-git — so incremental fetches are small;
//   - pushes may be thin packs with deltas against objects only the server has (the git CLI's
//     default): they are resolved against the repository and stored as a complete pack; a
//     pack that cannot be resolved is refused with "unpack failed" and every command
//     "unpacker error";
//   - every accepted reference update is recorded (see Server.RefUpdates), so tests can check that
//     no update ever dropped a commit, and DenyNonFastForwards makes the server refuse such updates.
//
// Main types: Server (Start, Stop, Restart, Close, the URL helpers), Options, Change (a set of file
// edits that CommitFiles commits and pushes over HTTP) and RefUpdate.
//
// It serves go-git and the git CLI (protocol v0, over HTTP and SSH; both are tested). It
// deliberately does not implement, and so does not advertise: protocol v2, multi_ack (without
// _detailed), no-done and "ready", side-band progress, thin packs on fetch, deepen-since,
// deepen-not and --deepen (deepen-relative), report-status-v2, hooks, or any authorisation finer
// than "authenticated or not". It listens on loopback only.
package gitserver
