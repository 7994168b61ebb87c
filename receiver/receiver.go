package receiver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/utils/clock"
)

// Options configure a Receiver. Secret and Sync are required; zero values of the others take
// the defaults given per field.
type Options struct {
	// Secret is the HMAC key of GitHub, Gitea/Forgejo and generic signatures, and GitLab's
	// token.
	Secret []byte
	// Branch is the synced branch; Tag the synced tag instead. Pushes of other refs do not
	// sync (with neither, as when a commit is pinned, no push does).
	Branch, Tag string
	// StatusBranch is the ledger's branch: a push of it calls Gates.
	StatusBranch string
	// Sync asks for a sync now (gitsource.Scheduler.Trigger, which coalesces).
	Sync func(reason string)
	// Gates asks for the Git gates to be read now; nil ignores pushes of the status branch.
	Gates func()
	// MinInterval is the least time between two syncs the receiver triggers (default 1s); a
	// push within it is deferred to its end, several are coalesced.
	MinInterval time.Duration
	// MaxBody bounds a request's body (default 4 MiB; GitHub's push payloads are far smaller).
	MaxBody int64
	// MaxAge bounds how far a generic notification's timestamp may be from now (default 5m).
	MaxAge time.Duration
	// Clock tells the time and defers triggers (default: the real clock).
	Clock clock.WithDelayedExecution
	// Log receives one line per notification, refused ones included.
	Log logr.Logger
}

// Receiver verifies push notifications and triggers syncs; Handler serves it.
type Receiver struct {
	opts    Options
	seen    *replays
	limiter *limiter
}

// New checks the options and returns a Receiver.
func New(opts Options) (*Receiver, error) {
	switch {
	case len(opts.Secret) == 0:
		return nil, errors.New("push receiver: no secret")
	case opts.Sync == nil:
		return nil, errors.New("push receiver: no sync to trigger")
	}
	if opts.MinInterval <= 0 {
		opts.MinInterval = time.Second
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 4 << 20
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = 5 * time.Minute
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	return &Receiver{opts: opts, seen: newReplays(opts.Clock, maxDeliveries, deliveryTTL),
		limiter: &limiter{clock: opts.Clock, min: opts.MinInterval, fire: opts.Sync}}, nil
}

// Deliveries are remembered for replay detection: at most maxDeliveries, each for deliveryTTL
// (GitHub, GitLab and Gitea sign no time; a generic notification older than MaxAge is refused
// by its timestamp anyway). A replay the receiver no longer remembers can only cause a sync of
// what is in Git.
const (
	maxDeliveries = 10000
	deliveryTTL   = 24 * time.Hour
)

// Handler serves /hook/github, /hook/gitlab, /hook/gitea and /hook/generic.
func (r *Receiver) Handler() http.Handler {
	mux := http.NewServeMux()
	for path, f := range formats {
		mux.Handle("POST /hook/"+path, r.serve(f))
	}
	return mux
}

// serve handles one format: read the bounded body, verify, reject replays, then act on the
// event and ref.
func (r *Receiver) serve(f format) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		log := r.opts.Log.WithValues("format", f.name, "remote", req.RemoteAddr)
		body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, r.opts.MaxBody))
		if err != nil {
			log.Info("push notification refused", "reason", "body too large or unreadable", "error", err.Error())
			http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
		if err := f.verify(r, req.Header, body); err != nil {
			r.refuse(w, log, err)
			return
		}
		n := f.notification(req.Header)
		log = log.WithValues("event", n.event, "delivery", n.delivery)
		if n.delivery != "" && !r.seen.add(f.name+"/"+n.delivery) {
			r.refuse(w, log, ErrReplayed)
			return
		}
		if !n.push {
			log.V(1).Info("push notification ignored: not a push event")
			fmt.Fprintf(w, "ignored: event %q\n", n.event)
			return
		}
		var payload struct {
			Ref string `json:"ref"`
		}
		if err := json.Unmarshal(body, &payload); err != nil || payload.Ref == "" {
			log.Info("push notification refused", "reason", "no ref in the body")
			http.Error(w, "the body is not a push payload with a ref", http.StatusBadRequest)
			return
		}
		r.act(w, log.WithValues("ref", payload.Ref), f.name, payload.Ref)
	})
}

// refuse answers a request that failed verification: 401 without credentials, 403 otherwise.
func (r *Receiver) refuse(w http.ResponseWriter, log logr.Logger, err error) {
	code := http.StatusForbidden
	if errors.Is(err, ErrUnsigned) {
		code = http.StatusUnauthorized
	}
	log.Info("push notification refused", "reason", err.Error(), "status", code)
	http.Error(w, err.Error(), code)
}

// act syncs for a push of the synced ref, refreshes the gates for the status branch, and
// ignores other refs.
func (r *Receiver) act(w http.ResponseWriter, log logr.Logger, format, ref string) {
	w.WriteHeader(http.StatusAccepted)
	switch {
	case r.synced(ref):
		r.limiter.trigger("push notification (" + format + ")")
		log.Info("push notification: sync triggered")
		fmt.Fprintln(w, "sync triggered")
	case r.opts.StatusBranch != "" && ref == "refs/heads/"+r.opts.StatusBranch:
		if r.opts.Gates != nil {
			r.opts.Gates()
		}
		log.Info("push notification of the status branch: gates read again")
		fmt.Fprintln(w, "gates refreshed")
	default:
		log.V(1).Info("push notification ignored: another ref")
		fmt.Fprintf(w, "ignored: %s is not synced\n", ref)
	}
}

// synced reports whether ref is the synced branch or tag.
func (r *Receiver) synced(ref string) bool {
	switch {
	case r.opts.Branch != "":
		return ref == "refs/heads/"+r.opts.Branch
	case r.opts.Tag != "":
		return ref == "refs/tags/"+strings.TrimPrefix(r.opts.Tag, "refs/tags/")
	default:
		return false
	}
}
