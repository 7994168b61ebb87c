package outbound

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Redacted replaces what a message may not show.
const Redacted = "<redacted>"

// MaxRedirects is how many same-host redirects a request follows.
const MaxRedirects = 5

// ErrCrossHostRedirect is a redirect to another scheme or host: not followed, since it would
// resend the request, its body and its credentials elsewhere.
var ErrCrossHostRedirect = errors.New("redirect to another host not followed")

// ErrTooLarge is an answer longer than its bound.
var ErrTooLarge = errors.New("answer too large")

// CheckRedirect is an http.Client CheckRedirect that follows up to MaxRedirects redirects
// within the scheme and host of the first request and refuses any other.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		return fmt.Errorf("%w: %s redirected to %s", ErrCrossHostRedirect, URL(first.String()), URL(req.URL.String()))
	}
	if len(via) >= MaxRedirects {
		return fmt.Errorf("stopped after %d redirects", len(via))
	}
	return nil
}

// LimitBody makes a response body fail with ErrTooLarge once more than max bytes were read.
func LimitBody(resp *http.Response, max int64) {
	resp.Body = &limitedBody{rc: resp.Body, left: max, max: max}
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
	max  int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, fmt.Errorf("%w: over %d bytes", ErrTooLarge, b.max)
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, fmt.Errorf("%w: over %d bytes", ErrTooLarge, b.max)
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// URL returns a URL reduced to its scheme and host, followed by "/<redacted>" when it had more
// (user information, a path, a query or a fragment): for chat webhooks the path is the
// credential. A string that does not parse as an absolute URL is Redacted whole.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return Redacted
	}
	s := u.Scheme + "://" + u.Host
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		s += "/" + Redacted
	}
	return s
}

// urlInText finds URLs in free text, such as the message of a *url.Error.
var urlInText = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"']+`)

// Text returns s with every URL reduced by URL and every non-empty secret replaced.
func Text(s string, secrets ...string) string {
	return Scrub(urlInText.ReplaceAllStringFunc(s, URL), secrets...)
}

// Scrub returns s with every non-empty secret replaced.
func Scrub(s string, secrets ...string) string {
	for _, v := range secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, Redacted)
		}
	}
	return s
}

// URLParts returns the parts of a URL that URL hides (user information, path, query,
// fragment), to Scrub them from text that quotes them, such as an answer echoing its request.
func URLParts(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return []string{raw}
	}
	var parts []string
	if u.User != nil {
		parts = append(parts, u.User.String())
	}
	if len(u.EscapedPath()) > 1 {
		parts = append(parts, u.EscapedPath(), u.Path)
	}
	return append(parts, u.RawQuery, u.Fragment)
}

// Redact returns err unchanged when its message shows no URL and none of the secrets;
// otherwise an error with the redacted message that still matches what err matches with
// errors.Is, but does not unwrap to err.
func Redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	red := Text(msg, secrets...)
	if red == msg {
		return err
	}
	return &redactedError{msg: red, orig: err}
}

type redactedError struct {
	msg  string
	orig error
}

func (e *redactedError) Error() string { return e.msg }

// Is keeps errors.Is(err, context.DeadlineExceeded) and sentinels working.
func (e *redactedError) Is(target error) bool { return errors.Is(e.orig, target) }
