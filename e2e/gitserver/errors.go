package gitserver

import "errors"

// Sentinel errors of the server and its helpers.
var (
	// ErrRepoExists is returned by CreateRepo when the repository already exists.
	ErrRepoExists = errors.New("repository already exists")
	// ErrRepoNotFound is returned when a repository does not exist.
	ErrRepoNotFound = errors.New("repository not found")
	// ErrInvalidRepoName is returned for names that are empty, absolute or climb out of the
	// server's directory.
	ErrInvalidRepoName = errors.New("invalid repository name")
	// ErrNotRunning is returned by Stop when the server is already stopped.
	ErrNotRunning = errors.New("git server not running")
	// ErrRunning is returned by Restart when the server is already running.
	ErrRunning = errors.New("git server already running")
)
