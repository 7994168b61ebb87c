package metrics

import (
	"encoding/json"
	"io"
	"log"
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
)

// promRequest is what the fake Prometheus saw of one query.
type promRequest struct {
	query  string
	header http.Header
}

// fakeProm is an httptest Prometheus answering every query with one canned reply.
type fakeProm struct {
	*httptest.Server
	mu     sync.Mutex
	seen   []promRequest
	status int
	body   string
	block  bool // block until the client gives up
}

func vectorBody(values ...string) string {
	type sample struct {
		Metric map[string]string `json:"metric"`
		Value  [2]any            `json:"value"`
	}
	result := make([]sample, 0, len(values))
	for i, v := range values {
		result = append(result, sample{Metric: map[string]string{"pod": string(rune('a' + i))}, Value: [2]any{1700000000.0, v}})
	}
	b, _ := json.Marshal(map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": result}})
	return string(b)
}

const matrixBody = `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000000,"1"],[1700000060,"2"]]}]}}`

const scalarBody = `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"42"]}}`

func newFakeProm(t *testing.T, status int, body string) *fakeProm {
	t.Helper()
	p := &fakeProm{status: status, body: body}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.Close)
	return p
}

func newFakePromTLS(t *testing.T, status int, body string) *fakeProm {
	t.Helper()
	p := &fakeProm{status: status, body: body}
	p.Server = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	p.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshake is expected
	p.StartTLS()
	t.Cleanup(p.Close)
	return p
}

func (p *fakeProm) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v1/query" {
		http.NotFound(w, r)
		return
	}
	_ = r.ParseForm()
	p.mu.Lock()
	p.seen = append(p.seen, promRequest{query: r.Form.Get("query"), header: r.Header.Clone()})
	p.mu.Unlock()
	if p.block {
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(p.status)
	_, _ = w.Write([]byte(p.body))
}

func (p *fakeProm) requests() []promRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]promRequest(nil), p.seen...)
}

func (p *fakeProm) lastQuery(t *testing.T) string {
	t.Helper()
	seen := p.requests()
	require.NotEmpty(t, seen, "Prometheus received no query")
	return seen[len(seen)-1].query
}

type canaryOpt = canarytest.Option

func newCanary(opts ...canaryOpt) *v1beta1.Canary { return canarytest.New(opts...) }

func withMetricsServer(addr string) canaryOpt {
	return func(c *v1beta1.Canary) { c.Spec.MetricsServer = addr }
}

type templateOpt func(*v1beta1.MetricTemplate)

func newTemplate(namespace, name, address, query string, opts ...templateOpt) *v1beta1.MetricTemplate {
	t := &v1beta1.MetricTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: v1beta1.MetricTemplateSpec{
			Provider: v1beta1.MetricTemplateProvider{Type: v1beta1.PrometheusProvider, Address: address},
			Query:    query,
		},
	}
	for _, o := range opts {
		o(t)
	}
	return t
}

func withSecretRef(name string) templateOpt {
	return func(t *v1beta1.MetricTemplate) {
		t.Spec.Provider.SecretRef = &v1beta1.SecretReference{Name: name}
	}
}

func newSecret(namespace, name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

// newQuerier returns a Querier over an informer store holding the templates and a fake
// clientset holding the Secrets.
func newQuerier(t *testing.T, opts Options, templates []*v1beta1.MetricTemplate, secrets ...*corev1.Secret) *Querier {
	t.Helper()
	store := cache.NewStore(cache.MetaNamespaceKeyFunc)
	for _, mt := range templates {
		require.NoError(t, store.Add(mt))
	}
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	for _, s := range secrets {
		require.NoError(t, indexer.Add(s))
	}
	return New(TemplatesFromStore(store), SecretsFromLister(corelisters.NewSecretLister(indexer)), opts)
}
