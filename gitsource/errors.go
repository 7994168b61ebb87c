package gitsource

import "errors"

// Sentinel errors. Errors returned by this package wrap one of these (with errors.Is) and carry a
// message that names the operation and the repository, with credentials removed.
var (
	// ErrNoChange is returned by Fetcher.Fetch when the reference still points at the commit of
	// the last checkout; the Checkout returned with it is that last checkout.
	ErrNoChange = errors.New("no change")
	// ErrAuthentication means the server refused the credentials (or asked for some).
	ErrAuthentication = errors.New("authentication failed")
	// ErrHostKey means the SSH host key is unknown or does not match known_hosts.
	ErrHostKey = errors.New("ssh host key not trusted")
	// ErrRepositoryNotFound means the server has no repository at that address.
	ErrRepositoryNotFound = errors.New("repository not found")
	// ErrRefNotFound means the branch, tag or commit does not exist in the repository.
	ErrRefNotFound = errors.New("reference not found")
	// ErrUnreachable means the host could not be reached (refused, unknown, reset).
	ErrUnreachable = errors.New("host unreachable")
	// ErrTimeout means a network call did not finish within its timeout.
	ErrTimeout = errors.New("timed out")
	// ErrPushRejected means a push was refused because the remote branch moved; fetch, rebuild on
	// the new head and push again.
	ErrPushRejected = errors.New("push rejected: remote branch moved")
	// ErrInvalidAuth means credentials are missing, malformed or do not fit the URL's scheme.
	ErrInvalidAuth = errors.New("invalid git credentials")
	// ErrInvalidURL means the repository URL cannot be used.
	ErrInvalidURL = errors.New("invalid repository url")
	// ErrInvalidRef means a Ref names none or several of branch, tag and commit, or a malformed
	// commit.
	ErrInvalidRef = errors.New("invalid git reference")
	// ErrInvalidSchedule means a sync schedule is not a cron spec or descriptor.
	ErrInvalidSchedule = errors.New("invalid sync schedule")
	// ErrSchedulerRunning is returned by Scheduler.Run when the scheduler already runs.
	ErrSchedulerRunning = errors.New("scheduler already running")
)
