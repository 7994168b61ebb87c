package receiver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/stretchr/testify/require"
	testingclock "k8s.io/utils/clock/testing"
)

var (
	secret = []byte("s3cret-of-the-hook")
	now    = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
)

// probe counts syncs and gate refreshes, and keeps the log.
type probe struct {
	mu           sync.Mutex
	syncs, gates int
	log          []string
}

func (p *probe) sync(string) { p.mu.Lock(); p.syncs++; p.mu.Unlock() }
func (p *probe) gate()       { p.mu.Lock(); p.gates++; p.mu.Unlock() }
func (p *probe) counts() (int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.syncs, p.gates
}

func newReceiver(t *testing.T, clk *testingclock.FakeClock, change ...func(*Options)) (*Receiver, *probe) {
	t.Helper()
	p := &probe{}
	opts := Options{Secret: secret, Branch: "main", StatusBranch: "gitcanary/status", Sync: p.sync, Gates: p.gate, Clock: clk,
		MaxBody: 1024, Log: funcr.New(func(_, args string) { p.mu.Lock(); p.log = append(p.log, args); p.mu.Unlock() }, funcr.Options{})}
	for _, c := range change {
		c(&opts)
	}
	r, err := New(opts)
	require.NoError(t, err)
	return r, p
}

func hexHMAC(msg string) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(msg))
	return hex.EncodeToString(mac.Sum(nil))
}

const pushMain = `{"ref":"refs/heads/main","after":"3f2a1c9e5b7d4a1f0c2e3d4b5a6978695a4b3c2d"}`

// signed builds the request of a format for body, signed with the right secret.
func signed(format, body, delivery string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/hook/"+format, strings.NewReader(body))
	switch format {
	case "github":
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-GitHub-Delivery", delivery)
		req.Header.Set("X-Hub-Signature-256", "sha256="+hexHMAC(body))
	case "gitlab":
		req.Header.Set("X-Gitlab-Event", "Push Hook")
		req.Header.Set("X-Gitlab-Event-UUID", delivery)
		req.Header.Set("X-Gitlab-Token", string(secret))
	case "gitea":
		req.Header.Set("X-Gitea-Event", "push")
		req.Header.Set("X-Gitea-Delivery", delivery)
		req.Header.Set("X-Gitea-Signature", hexHMAC(body))
	case "forgejo":
		req = httptest.NewRequest(http.MethodPost, "/hook/gitea", strings.NewReader(body))
		req.Header.Set("X-Forgejo-Event", "push")
		req.Header.Set("X-Forgejo-Delivery", delivery)
		req.Header.Set("X-Forgejo-Signature", hexHMAC(body))
	case "generic":
		for k, v := range Sign(secret, []byte(body), now) {
			req.Header[k] = v
		}
	}
	return req
}

func serve(r *Receiver, req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	r.Handler().ServeHTTP(w, req)
	return w
}

// TestSignedPushesSync: a signed push of the synced branch in each format triggers a sync.
func TestSignedPushesSync(t *testing.T) {
	for _, format := range []string{"github", "gitlab", "gitea", "forgejo", "generic"} {
		t.Run(format, func(t *testing.T) {
			r, p := newReceiver(t, testingclock.NewFakeClock(now))
			w := serve(r, signed(format, pushMain, "d-1"))
			require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
			require.Equal(t, "sync triggered\n", w.Body.String())
			syncs, gates := p.counts()
			require.Equal(t, 1, syncs)
			require.Zero(t, gates)
		})
	}
}

// TestRefusedRequestsNeverSync: each way a request can fail verification, with its status code
// and a log line, and no sync.
func TestRefusedRequestsNeverSync(t *testing.T) {
	tests := []struct {
		name   string
		req    func() *http.Request
		code   int
		reason string
	}{
		{name: "GitHub unsigned", code: http.StatusUnauthorized, reason: "unsigned request", req: func() *http.Request {
			req := signed("github", pushMain, "d-1")
			req.Header.Del("X-Hub-Signature-256")
			return req
		}},
		{name: "GitHub wrong signature", code: http.StatusForbidden, reason: "wrong signature", req: func() *http.Request {
			req := signed("github", pushMain, "d-1")
			req.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("0", 64))
			return req
		}},
		{name: "GitHub signature without its prefix", code: http.StatusForbidden, reason: "wrong signature", req: func() *http.Request {
			req := signed("github", pushMain, "d-1")
			req.Header.Set("X-Hub-Signature-256", hexHMAC(pushMain))
			return req
		}},
		{name: "GitHub body changed after signing", code: http.StatusForbidden, reason: "wrong signature", req: func() *http.Request {
			req := signed("github", pushMain, "d-1")
			forged := signed("github", strings.Replace(pushMain, "main", "prod", 1), "d-1")
			forged.Header = req.Header
			return forged
		}},
		{name: "GitLab without token", code: http.StatusUnauthorized, reason: "unsigned request", req: func() *http.Request {
			req := signed("gitlab", pushMain, "d-1")
			req.Header.Del("X-Gitlab-Token")
			return req
		}},
		{name: "GitLab wrong token", code: http.StatusForbidden, reason: "wrong signature", req: func() *http.Request {
			req := signed("gitlab", pushMain, "d-1")
			req.Header.Set("X-Gitlab-Token", "guess")
			return req
		}},
		{name: "Gitea wrong signature", code: http.StatusForbidden, reason: "wrong signature", req: func() *http.Request {
			req := signed("gitea", pushMain, "d-1")
			req.Header.Set("X-Gitea-Signature", "not hex")
			return req
		}},
		{name: "Forgejo unsigned", code: http.StatusUnauthorized, reason: "unsigned request", req: func() *http.Request {
			req := signed("forgejo", pushMain, "d-1")
			req.Header.Del("X-Forgejo-Signature")
			return req
		}},
		{name: "generic stale", code: http.StatusForbidden, reason: "stale or missing timestamp", req: func() *http.Request {
			req := httptest.NewRequest(http.MethodPost, "/hook/generic", strings.NewReader(pushMain))
			for k, v := range Sign(secret, []byte(pushMain), now.Add(-6*time.Minute)) {
				req.Header[k] = v
			}
			return req
		}},
		{name: "generic from the future", code: http.StatusForbidden, reason: "stale or missing timestamp", req: func() *http.Request {
			req := httptest.NewRequest(http.MethodPost, "/hook/generic", strings.NewReader(pushMain))
			for k, v := range Sign(secret, []byte(pushMain), now.Add(6*time.Minute)) {
				req.Header[k] = v
			}
			return req
		}},
		{name: "generic timestamp changed after signing", code: http.StatusForbidden, reason: "wrong signature", req: func() *http.Request {
			req := signed("generic", pushMain, "")
			req.Header.Set(GenericTimestampHeader, "1777636740") // a minute earlier than signed
			return req
		}},
		{name: "generic signed with another secret", code: http.StatusForbidden, reason: "wrong signature", req: func() *http.Request {
			req := httptest.NewRequest(http.MethodPost, "/hook/generic", strings.NewReader(pushMain))
			for k, v := range Sign([]byte("other"), []byte(pushMain), now) {
				req.Header[k] = v
			}
			return req
		}},
		{name: "body too large", code: http.StatusRequestEntityTooLarge, reason: "body too large", req: func() *http.Request {
			return signed("github", `{"ref":"refs/heads/main","pad":"`+strings.Repeat("x", 2048)+`"}`, "d-1")
		}},
		{name: "not a push payload", code: http.StatusBadRequest, reason: "no ref", req: func() *http.Request {
			return signed("github", `{"zen":"hello"}`, "d-1")
		}},
		{name: "GET", code: http.StatusMethodNotAllowed, req: func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/hook/github", nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, p := newReceiver(t, testingclock.NewFakeClock(now))
			w := serve(r, tt.req())
			require.Equal(t, tt.code, w.Code, w.Body.String())
			syncs, gates := p.counts()
			require.Zero(t, syncs+gates)
			if tt.reason != "" {
				require.Len(t, p.log, 1)
				require.Contains(t, p.log[0], `"msg"="push notification refused"`)
				require.Contains(t, p.log[0], tt.reason)
				require.NotContains(t, p.log[0], string(secret))
			}
		})
	}
}

// TestReplayedDeliveriesAreRefused: a delivery seen before is refused in every format, the
// generic one by its signature.
func TestReplayedDeliveriesAreRefused(t *testing.T) {
	for _, format := range []string{"github", "gitlab", "gitea", "generic"} {
		t.Run(format, func(t *testing.T) {
			clk := testingclock.NewFakeClock(now)
			r, p := newReceiver(t, clk)
			require.Equal(t, http.StatusAccepted, serve(r, signed(format, pushMain, "d-1")).Code)
			clk.Step(time.Minute)
			w := serve(r, signed(format, pushMain, "d-1"))
			require.Equal(t, http.StatusForbidden, w.Code)
			require.Contains(t, w.Body.String(), "replayed delivery")
			syncs, _ := p.counts()
			require.Equal(t, 1, syncs)
		})
	}
}

// TestOtherRefsAndEvents: a push of another branch is ignored, one of the status branch reads
// the gates again, a ping and a tag push of a branch-synced controller do not sync; a
// controller syncing a tag syncs on its tag.
func TestOtherRefsAndEvents(t *testing.T) {
	r, p := newReceiver(t, testingclock.NewFakeClock(now))
	w := serve(r, signed("github", `{"ref":"refs/heads/feature"}`, "d-1"))
	require.Equal(t, http.StatusAccepted, w.Code)
	require.Equal(t, "ignored: refs/heads/feature is not synced\n", w.Body.String())

	w = serve(r, signed("gitea", `{"ref":"refs/heads/gitcanary/status"}`, "d-2"))
	require.Equal(t, "gates refreshed\n", w.Body.String())

	ping := signed("github", `{"zen":"Keep it logically awesome."}`, "d-3")
	ping.Header.Set("X-GitHub-Event", "ping")
	w = serve(r, ping)
	require.Equal(t, http.StatusOK, w.Code)

	w = serve(r, signed("gitlab", `{"ref":"refs/tags/v1.0.0"}`, "d-4"))
	require.Contains(t, w.Body.String(), "ignored")
	syncs, gates := p.counts()
	require.Equal(t, []int{0, 1}, []int{syncs, gates})

	tagged, p := newReceiver(t, testingclock.NewFakeClock(now), func(o *Options) { o.Branch, o.Tag = "", "v1.0.0" })
	req := signed("gitlab", `{"ref":"refs/tags/v1.0.0"}`, "d-5")
	req.Header.Set("X-Gitlab-Event", "Tag Push Hook")
	require.Equal(t, "sync triggered\n", serve(tagged, req).Body.String())
	syncs, _ = p.counts()
	require.Equal(t, 1, syncs)
}

// TestBurstIsRateLimitedNotDropped: pushes within MinInterval of a triggered sync are coalesced
// into one sync at the end of the interval.
func TestBurstIsRateLimitedNotDropped(t *testing.T) {
	clk := testingclock.NewFakeClock(now)
	r, p := newReceiver(t, clk, func(o *Options) { o.MinInterval = 2 * time.Second })
	for i := range 5 {
		require.Equal(t, http.StatusAccepted, serve(r, signed("github", pushMain, "burst-"+string(rune('a'+i)))).Code)
	}
	syncs, _ := p.counts()
	require.Equal(t, 1, syncs, "the first at once")
	clk.Step(time.Second)
	syncs, _ = p.counts()
	require.Equal(t, 1, syncs, "the others wait for the interval")
	clk.Step(time.Second)
	syncs, _ = p.counts()
	require.Equal(t, 2, syncs, "and are coalesced into one")

	clk.Step(10 * time.Second)
	serve(r, signed("github", pushMain, "later"))
	syncs, _ = p.counts()
	require.Equal(t, 3, syncs, "a push after the interval syncs at once")
}

func TestNewRequiresSecretAndSync(t *testing.T) {
	_, err := New(Options{Sync: func(string) {}})
	require.ErrorContains(t, err, "no secret")
	_, err = New(Options{Secret: secret})
	require.ErrorContains(t, err, "no sync")
}
