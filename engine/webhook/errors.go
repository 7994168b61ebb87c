package webhook

import (
	"fmt"
	"net/http"

	"github.com/gitcanary/gitcanary/engine"
)

// StatusError is a webhook answer outside 2xx. Its text is the response body, as Flagger
// reports it in "Halt … failed <err>"; an empty body is replaced by the status line.
type StatusError struct {
	// Code is the HTTP status code.
	Code int
	// Body is the response body, trimmed.
	Body string
}

// Error returns the response body, or the status line when the body is empty.
func (e *StatusError) Error() string {
	if e.Body != "" {
		return e.Body
	}
	return fmt.Sprintf("%d %s", e.Code, http.StatusText(e.Code))
}

// retriable reports whether an answer is worth another attempt: 429 and 5xx except 501.
func (e *StatusError) retriable() bool {
	return e.Code == http.StatusTooManyRequests ||
		(e.Code >= http.StatusInternalServerError && e.Code != http.StatusNotImplemented)
}

// HookAnswer returns the status code and body, the evidence the engine keeps of a failed
// webhook (engine.HookAnswer).
func (e *StatusError) HookAnswer() (code int, body string) { return e.Code, e.Body }

var _ engine.HookAnswer = (*StatusError)(nil)
