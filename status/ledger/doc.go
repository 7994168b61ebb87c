// Package ledger writes the status ledger: what happened to every canary, as plain files and
// commits on a Git branch (default gitcanary/status), readable on any Git host and surviving the
// loss of the cluster.
//
// The controller feeds Ledger.Record with a Transition per Canary status change (phase, weight,
// failed checks, source commit, target revision, events, metric results with their thresholds).
// Ledger.Run batches transitions that arrive within Options.Window into one commit that updates
//   - status/<namespace>/<name>.yaml — a Status: the canary's last status, its last events and
//     its last metric results;
//   - STATUS.md — a Markdown table with the columns of `kubectl get canaries` (NAMESPACE, NAME,
//     STATUS, WEIGHT, LASTTRANSITIONTIME) plus SOURCE, rebuilt from every status file on the
//     branch, so several writers share it.
//
// The sync loop's overlays are recorded too (Ledger.RecordOverlay): overlays/<id>.yaml per
// overlay (id as in the overlay's inventory ConfigMap, gitcanary-inventory-<id>) with the commit
// applied, the result (Applied, Failed with the reason, DriftCorrected with what was set back),
// the objects applied and pruned, the health and the time; STATUS.md gains an Overlays table
// when the branch records any; the commit gets one line and one trailer block (Overlay,
// Overlay-Result, Overlay-Commit) per overlay, after the canaries'.
//
// Commit messages summarise ("test/podinfo: Succeeded (promoted ghcr.io/stefanprodan/podinfo:6.0.1,
// source 3f2a1c9)"; several canaries get a summary subject and one body line each) and carry one
// block of trailers per canary: Canary, Phase, Source-Commit, and when the canary's last
// analysis step had a failed check Failed-Check, Check-Query and Metrics-Server (Checks turns a
// Canary's status.analysis.checks into the metric and webhook results a transition carries). Commits may be signed with OpenPGP
// or SSH (Git's gpg.format=ssh: an SSHSIG signature in namespace "git"); NewSigner picks the
// kind from a signing-key Secret's data, and VerifyCommitSSH and VerifyCommitOpenPGP check a
// signed commit against AllowedSigners (SSH keys in Git's allowedSignersFile format, OpenPGP
// public keys from AddOpenPGPKeys) as `git verify-commit` does.
//
// Pushes never force. Each commit is built on the head just fetched and pushed only if the branch
// still points there; when another writer moved it, the ledger fetches the new head, rebuilds its
// files on top (it owns status/ and STATUS.md, and within status/ only the files of the canaries
// in the batch; everything else on the branch is kept) and tries again with backoff. While Git
// is unreachable transitions stay queued, in order, and are committed when it returns; the queue
// is bounded, and what it refuses is counted in the canary's file and commit (see
// Options.MaxQueue), never dropped silently. The queue lives in memory: after a restart the
// controller records each canary's current status again.
//
// Gates are decisions users commit to the same branch, gates/<namespace>/<name>/<kind>.yaml
// (kind confirm-rollout, confirm-promotion or abort; GateFile names the source commit decided
// on): CommitDecision writes one (`gitcanary approve|promote|abort`), Gates reads them with their
// deciders (the author of the commit that wrote the file and, for SSH- or OpenPGP-signed
// commits, the verified signer), Gatekeeper answers a Canary's Git gates (webhooks with url
// "git:") from them, and Ledger.ConsumeGate records a decision acted on and removes its file in
// the next commit.
//
// Snapshot reads a ledger back (for `gitcanary status` and the status page): the statuses, the
// table rows, the overlays (Overlays), the history of one canary by its Canary trailer, its file at each of those commits
// (Timeline) and the gate decisions.
//
// The package does not watch Canaries or decide what a transition is (the controller does), and
// does not talk to Git directly: gitsource.Client carries credentials, timeouts and redaction.
package ledger
