// Package receiver is gitcanary's push receiver: an HTTP handler that Git hosts call when a
// branch is pushed, so that the controller syncs at once instead of at its next poll.
//
// It accepts four formats, each on its own path so that a request cannot choose a weaker check:
//   - /hook/github: GitHub (X-GitHub-Event: push, X-Hub-Signature-256: sha256=<HMAC-SHA256 of
//     the body>, X-GitHub-Delivery); a ping is answered and does nothing;
//   - /hook/gitlab: GitLab (X-Gitlab-Event: Push Hook or Tag Push Hook, X-Gitlab-Token: the
//     secret itself, X-Gitlab-Event-UUID);
//   - /hook/gitea: Gitea and Forgejo (X-Gitea-Event or X-Forgejo-Event: push,
//     X-Gitea-Signature or X-Forgejo-Signature: hex HMAC-SHA256 of the body, X-Gitea-Delivery
//     or X-Forgejo-Delivery);
//   - /hook/generic: any sender (X-Gitcanary-Timestamp: Unix seconds, X-Gitcanary-Signature:
//     sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">, body {"ref": "refs/heads/main"}).
//
// Every request is verified before its body is read as JSON: signatures and tokens are compared
// in constant time with the one secret (Options.Secret, read once from a Secret by the
// controller). A request without its signature or token is refused with 401, one with a wrong
// one, a generic request whose timestamp is more than Options.MaxAge away, and a delivery seen
// before (a replay) with 403; each refusal is logged and never syncs. Bodies are bounded
// (Options.MaxBody, 413 beyond). A verified push of the synced branch or tag triggers a sync
// (Options.Sync), rate-limited: pushes closer than Options.MinInterval to the last triggered
// sync are deferred to the end of the interval and coalesced into one, never dropped. A push of
// the status branch refreshes the Git gates (Options.Gates); pushes of other refs are answered
// and ignored.
//
// The package does not fetch, sync or listen by itself; the controller serves Handler on its
// own address (-receiver-address) and passes the scheduler's Trigger.
package receiver
