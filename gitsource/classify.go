package gitsource

import (
	"context"
	"errors"
	"fmt"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// wrap turns a go-git error into "<op> <repository>: <sentinel>: <detail>", with the detail
// scrubbed of credentials. Only the sentinel (and a context error) can be unwrapped: the go-git
// error itself is not kept, so no caller can print an unscrubbed message by unwrapping.
func (c *Client) wrap(ctx context.Context, op string, err error) error {
	return c.wrapAs(ctx, op, err, classify(err))
}

// wrapAs is wrap with the sentinel already chosen (nil: none).
func (c *Client) wrapAs(ctx context.Context, op string, err, kind error) error {
	detail := strings.TrimSpace(scrub(err.Error(), c.secrets))
	if kind == nil && ctx.Err() != nil {
		kind = ErrTimeout
	}
	e := &gitError{msg: op + " " + c.display + ": "}
	switch {
	case kind == ErrTimeout:
		e.msg += fmt.Sprintf("%s after %s: ", kind, c.timeout)
		e.kinds = []error{kind, context.DeadlineExceeded}
	case kind != nil:
		if !strings.Contains(detail, kind.Error()) {
			e.msg += kind.Error() + ": "
		}
		e.kinds = []error{kind}
	}
	e.msg += strings.TrimPrefix(detail, "unexpected client error: ")
	return e
}

// gitError is an error with a scrubbed message that unwraps to sentinels only.
type gitError struct {
	msg   string
	kinds []error
}

func (e *gitError) Error() string   { return e.msg }
func (e *gitError) Unwrap() []error { return e.kinds }

// classifyPush is classify for push errors: go-git reports a remote head it does not have locally
// (the branch moved) as a missing object.
func classifyPush(err error) error {
	if kind := classify(err); kind != nil {
		return kind
	}
	if strings.Contains(strings.ToLower(err.Error()), "object not found") {
		return ErrPushRejected
	}
	return nil
}

// classify maps a go-git or network error to a sentinel of this package, or nil.
func classify(err error) error {
	msg := strings.ToLower(err.Error())
	var noRef git.NoMatchingRefSpecError
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed),
		strings.Contains(msg, "unable to authenticate"), strings.Contains(msg, "authentication required"):
		return ErrAuthentication
	case strings.Contains(msg, "knownhosts:"), strings.Contains(msg, "host key"):
		return ErrHostKey
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return ErrRepositoryNotFound
	case errors.As(err, &noRef), errors.Is(err, transport.ErrEmptyRemoteRepository),
		strings.Contains(msg, "couldn't find remote ref"), strings.Contains(msg, "reference not found"):
		return ErrRefNotFound
	case strings.Contains(msg, "required to be"), strings.Contains(msg, "non-fast-forward"),
		strings.Contains(msg, "fetch first"), strings.Contains(msg, "stale info"),
		strings.Contains(msg, "failed to update ref"):
		return ErrPushRejected
	case errors.Is(err, context.DeadlineExceeded), strings.Contains(msg, "i/o timeout"),
		strings.Contains(msg, "deadline exceeded"):
		return ErrTimeout
	case strings.Contains(msg, "connection refused"), strings.Contains(msg, "no such host"),
		strings.Contains(msg, "network is unreachable"), strings.Contains(msg, "connection reset"),
		strings.Contains(msg, "no route to host"), strings.Contains(msg, "broken pipe"),
		strings.HasSuffix(msg, ": eof"), msg == "eof":
		return ErrUnreachable
	}
	return nil
}
