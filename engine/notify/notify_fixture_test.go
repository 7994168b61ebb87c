package notify

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/api/v1beta1/canarytest"
	"github.com/gitcanary/gitcanary/engine/metrics"
)

// post is one request a chat server received.
type post struct {
	host   string
	path   string
	header http.Header
	body   string
}

// chatServer records posts and answers with a fixed status and body.
type chatServer struct {
	*httptest.Server
	mu     sync.Mutex
	posts  []post
	status int
	answer string
	block  bool
}

func newChatServer(t *testing.T, status int, answer string) *chatServer {
	t.Helper()
	s := &chatServer{status: status, answer: answer}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.posts = append(s.posts, post{host: r.Host, path: r.URL.Path, header: r.Header.Clone(), body: string(b)})
		block := s.block
		s.mu.Unlock()
		if block {
			<-r.Context().Done()
			return
		}
		w.WriteHeader(s.status)
		_, _ = w.Write([]byte(s.answer))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *chatServer) received() []post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]post(nil), s.posts...)
}

// only returns the single post the server received.
func (s *chatServer) only(t *testing.T) post {
	t.Helper()
	got := s.received()
	require.Len(t, got, 1)
	return got[0]
}

type canaryOpt = canarytest.Option

// newCanary is canarytest's Canary with a 60 s progress deadline.
func newCanary(opts ...canaryOpt) *v1beta1.Canary {
	return canarytest.New(append([]canaryOpt{canarytest.ProgressDeadline(60)}, opts...)...)
}

func withAlerts(alerts ...v1beta1.CanaryAlert) canaryOpt {
	return func(c *v1beta1.Canary) { c.Spec.Analysis.Alerts = alerts }
}

func alert(name string, severity v1beta1.AlertSeverity, provider string) v1beta1.CanaryAlert {
	return v1beta1.CanaryAlert{Name: name, Severity: severity, ProviderRef: v1beta1.CrossNamespaceObjectReference{Name: provider}}
}

func newProvider(namespace, name string, kind v1beta1.AlertProviderType, address string, opts ...func(*v1beta1.AlertProvider)) *v1beta1.AlertProvider {
	p := &v1beta1.AlertProvider{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec:       v1beta1.AlertProviderSpec{Type: kind, Address: address},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func newSecret(namespace, name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

// newDispatcher serves the providers from an informer store and the Secrets from a fake
// clientset, as the controller wires them.
func newDispatcher(t *testing.T, opts Options, providers []*v1beta1.AlertProvider, secrets ...*corev1.Secret) *Dispatcher {
	t.Helper()
	store := cache.NewStore(cache.MetaNamespaceKeyFunc)
	for _, p := range providers {
		require.NoError(t, store.Add(p))
	}
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	for _, s := range secrets {
		require.NoError(t, indexer.Add(s))
	}
	return New(ProvidersFromStore(store), metrics.SecretsFromLister(corelisters.NewSecretLister(indexer)), opts)
}

// compactJSON normalises a JSON document for comparison.
func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(s), &v), "not JSON: %s", s)
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// secretData describes a Secret for table tests.
type secretData struct {
	namespace, name string
	data            map[string]string
}

func toSecrets(in []*secretData) []*corev1.Secret {
	out := make([]*corev1.Secret, 0, len(in))
	for _, s := range in {
		out = append(out, newSecret(s.namespace, s.name, s.data))
	}
	return out
}

func withProviderSecret(name string) func(*v1beta1.AlertProvider) {
	return func(p *v1beta1.AlertProvider) { p.Spec.SecretRef = &v1beta1.SecretReference{Name: name} }
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
