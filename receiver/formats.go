package receiver

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// notification is what a verified request says: whether it is a push, of which ref, and the
// delivery id that identifies it for replay detection.
type notification struct {
	push     bool   // a push (or tag push) event; other events are answered and ignored
	event    string // the event as the host named it
	delivery string // empty when the host sends none
}

// format verifies a request of one Git host and reads its event headers.
type format struct {
	name string
	// verify checks the signature or token of body; it returns ErrUnsigned, ErrBadSignature
	// or ErrStale.
	verify func(r *Receiver, h http.Header, body []byte) error
	// notification reads the event and delivery headers of a verified request.
	notification func(h http.Header) notification
}

var formats = map[string]format{
	"github": {name: "GitHub", verify: verifyGitHub, notification: func(h http.Header) notification {
		e := h.Get("X-GitHub-Event")
		return notification{push: e == "push", event: e, delivery: h.Get("X-GitHub-Delivery")}
	}},
	"gitlab": {name: "GitLab", verify: verifyGitLab, notification: func(h http.Header) notification {
		e := h.Get("X-Gitlab-Event")
		return notification{push: e == "Push Hook" || e == "Tag Push Hook", event: e, delivery: h.Get("X-Gitlab-Event-UUID")}
	}},
	"gitea": {name: "Gitea/Forgejo", verify: verifyGitea, notification: func(h http.Header) notification {
		e, d := h.Get("X-Gitea-Event"), h.Get("X-Gitea-Delivery")
		if e == "" {
			e, d = h.Get("X-Forgejo-Event"), h.Get("X-Forgejo-Delivery")
		}
		return notification{push: e == "push", event: e, delivery: d}
	}},
	"generic": {name: "generic", verify: verifyGeneric, notification: func(h http.Header) notification {
		// The signature covers the timestamp: together they identify a delivery.
		return notification{push: true, event: "push", delivery: h.Get(GenericSignatureHeader)}
	}},
}

// Headers of the generic format.
const (
	GenericTimestampHeader = "X-Gitcanary-Timestamp"
	GenericSignatureHeader = "X-Gitcanary-Signature"
)

// verifyGitHub checks X-Hub-Signature-256: "sha256=" and the hex HMAC-SHA256 of the body.
func verifyGitHub(r *Receiver, h http.Header, body []byte) error {
	sig := h.Get("X-Hub-Signature-256")
	if sig == "" {
		return ErrUnsigned
	}
	hexSum, ok := strings.CutPrefix(sig, "sha256=")
	if !ok {
		return ErrBadSignature
	}
	return r.checkHMAC(hexSum, body)
}

// verifyGitLab checks X-Gitlab-Token, which GitLab sends as it was configured: the secret.
func verifyGitLab(r *Receiver, h http.Header, _ []byte) error {
	token := h.Get("X-Gitlab-Token")
	if token == "" {
		return ErrUnsigned
	}
	if subtle.ConstantTimeCompare([]byte(token), r.opts.Secret) != 1 {
		return ErrBadSignature
	}
	return nil
}

// verifyGitea checks X-Gitea-Signature (or Forgejo's X-Forgejo-Signature): the hex
// HMAC-SHA256 of the body.
func verifyGitea(r *Receiver, h http.Header, body []byte) error {
	sig := h.Get("X-Gitea-Signature")
	if sig == "" {
		sig = h.Get("X-Forgejo-Signature")
	}
	if sig == "" {
		return ErrUnsigned
	}
	return r.checkHMAC(sig, body)
}

// verifyGeneric checks the timestamp's age, then the signature: "sha256=" and the hex
// HMAC-SHA256 of "<timestamp>.<body>".
func verifyGeneric(r *Receiver, h http.Header, body []byte) error {
	sig, ts := h.Get(GenericSignatureHeader), h.Get(GenericTimestampHeader)
	if sig == "" {
		return ErrUnsigned
	}
	hexSum, ok := strings.CutPrefix(sig, "sha256=")
	if !ok {
		return ErrBadSignature
	}
	if err := r.checkHMAC(hexSum, append([]byte(ts+"."), body...)); err != nil {
		return err
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s %q", ErrStale, GenericTimestampHeader, ts)
	}
	if age := r.opts.Clock.Since(time.Unix(secs, 0)); age > r.opts.MaxAge || age < -r.opts.MaxAge {
		return fmt.Errorf("%w: %s is %s away from now (at most %s)", ErrStale, GenericTimestampHeader, age.Round(time.Second), r.opts.MaxAge)
	}
	return nil
}

// checkHMAC compares, in constant time, a hex HMAC-SHA256 with the one of msg under the secret.
func (r *Receiver) checkHMAC(hexSum string, msg []byte) error {
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return ErrBadSignature
	}
	mac := hmac.New(sha256.New, r.opts.Secret)
	mac.Write(msg)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrBadSignature
	}
	return nil
}

// Sign returns the headers of a generic notification of body sent at t, signed with secret;
// senders in Go (and the tests) use it.
func Sign(secret, body []byte, t time.Time) http.Header {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	h := http.Header{}
	h.Set(GenericTimestampHeader, ts)
	h.Set(GenericSignatureHeader, "sha256="+hex.EncodeToString(mac.Sum(nil)))
	return h
}
