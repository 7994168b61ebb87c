// Package gitsource is where gitcanary meets the Git repository it syncs from: fetching one
// reference with go-git, deciding when to sync, and telling which overlays changed.
//
// It owns:
//   - Remote, Auth and Client: how to reach a repository over HTTPS/HTTP (basic auth or bearer
//     token, extra CA bundle), SSH (private key, host key checked against known_hosts with
//     golang.org/x/crypto/ssh/knownhosts — never skipped unless InsecureIgnoreHostKey is set,
//     which logs a warning) and file://. AuthFromSecretData reads a Kubernetes Secret's data with
//     Flux's key names. Every network call has a timeout. Errors wrap the sentinels of errors.go
//     (ErrAuthentication, ErrHostKey, ErrRefNotFound, ErrUnreachable, ErrTimeout, ...) and never
//     contain credentials: URLs are redacted and secret values scrubbed, and the go-git error is
//     not kept in the chain.
//   - Fetcher: fetches a branch, tag or commit (shallow by default) into a bare cache repository
//     and checks the commit's tree out into a directory, writing only the files that changed
//     since the previous commit; a fetch that finds the same commit returns ErrNoChange and
//     writes nothing. The cache is compacted every few commits; Close releases its open files.
//   - Scheduler: runs a sync on a cron schedule (seconds optional, descriptors such as
//     "@every 30s") and on Trigger, never two syncs at once, with an injected clock.
//
// It deliberately does not render, apply, detect which overlays changed (package gitsync owns
// the digests of the overlays' rendered output), or write to Git: pushing is offered by Client for the
// status ledger (package status/ledger), which owns what it writes. It has no Kubernetes client:
// the controller reads the Secret and hands its data to AuthFromSecretData.
//
// Every transport is pure Go: file:// repositories are served by go-git's in-process server
// (transport.go) rather than its default file transport, which runs a Git installation's
// git-upload-pack program.
package gitsource
