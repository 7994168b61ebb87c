package webhook

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/api/v1beta1/canarytest"
)

// reply is one scripted answer of the hook server.
type reply struct {
	status int
	body   string
}

// call is what the hook server saw.
type call struct {
	path        string
	contentType string
	payload     v1beta1.CanaryWebhookPayload
	raw         map[string]any
}

// hookServer records every call and answers with the scripted replies in order, repeating the
// last one.
type hookServer struct {
	*httptest.Server
	mu      sync.Mutex
	calls   []call
	replies []reply
	block   bool
}

func newHookServer(t *testing.T, replies ...reply) *hookServer {
	t.Helper()
	s := &hookServer{replies: replies}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func newTLSHookServer(t *testing.T, replies ...reply) *hookServer {
	t.Helper()
	s := &hookServer{replies: replies}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // rejected handshakes are expected
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *hookServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := call{path: r.URL.Path, contentType: r.Header.Get("Content-Type")}
	_ = json.Unmarshal(body, &c.payload)
	_ = json.Unmarshal(body, &c.raw)
	s.mu.Lock()
	n := len(s.calls)
	s.calls = append(s.calls, c)
	rp := reply{status: http.StatusOK}
	if len(s.replies) > 0 {
		rp = s.replies[min(n, len(s.replies)-1)]
	}
	block := s.block
	s.mu.Unlock()
	if block {
		<-r.Context().Done()
		return
	}
	w.WriteHeader(rp.status)
	_, _ = w.Write([]byte(rp.body))
}

func (s *hookServer) seen() []call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]call(nil), s.calls...)
}

// fastClient retries without real waiting.
func fastClient(opts Options) *Client {
	opts.MinBackoff, opts.MaxBackoff = time.Millisecond, 4*time.Millisecond
	return New(opts)
}

type canaryOpt = canarytest.Option

// newCanary is canarytest's Canary progressing a new revision whose config is tracked.
func newCanary(opts ...canaryOpt) *v1beta1.Canary {
	return canarytest.New(append([]canaryOpt{canarytest.Phase(v1beta1.CanaryPhaseProgressing), func(c *v1beta1.Canary) {
		c.Status.LastAppliedSpec = "5d9f7c8b6"
		c.Status.TrackedConfigs = map[string]string{"configmap/podinfo-config": "a1b2c3d4e5f60718"}
	}}, opts...)...)
}

func withHooks(hooks ...v1beta1.CanaryWebhook) canaryOpt {
	return func(c *v1beta1.Canary) { c.Spec.Analysis.Webhooks = hooks }
}
