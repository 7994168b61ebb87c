//go:build e2e

package scenarios

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/client-go/rest"
)

// apiRecorder is a reverse proxy in front of the kube-apiserver that records every request a
// controller makes: the controller's kubeconfig points at the proxy, and the proxy forwards
// with the environment's admin credentials. It sees exactly the controller's requests, with
// their paths, which client-go's request metrics (method, code and host only) cannot tell.
type apiRecorder struct {
	t   *testing.T
	srv *httptest.Server

	mu   sync.Mutex
	reqs []apiRequest
}

// apiRequest is one recorded request.
type apiRequest struct {
	// At is when the request arrived.
	At time.Time
	// Agent is the client's User-Agent.
	Agent string
	// Verb is get, list, watch, create, update, patch, apply (a server-side apply patch),
	// delete, or discovery for the non-resource paths.
	Verb string
	// Resource is the resource with its subresource ("canaries/status"); Namespace and Name
	// are empty when the path has none.
	Resource, Namespace, Name string
	// Code is the HTTP status of the answer.
	Code int
}

// String is "<verb> <resource> <namespace>/<name> <code>".
func (r apiRequest) String() string {
	return fmt.Sprintf("%s %s %s/%s %d", r.Verb, r.Resource, r.Namespace, r.Name, r.Code)
}

// isWrite reports whether the request changes an object.
func (r apiRequest) isWrite() bool {
	switch r.Verb {
	case "create", "update", "patch", "apply", "delete":
		return true
	}
	return false
}

// isInformer reports whether the request is an informer's list or watch: their cost does not
// depend on ticks.
func (r apiRequest) isInformer() bool { return r.Verb == "list" || r.Verb == "watch" }

// isEvent reports whether the request writes a Kubernetes Event.
func (r apiRequest) isEvent() bool { return r.Resource == "events" }

// startAPIRecorder starts the proxy to the API server of cfg.
func startAPIRecorder(t *testing.T, cfg *rest.Config) *apiRecorder {
	t.Helper()
	upstream, err := url.Parse(cfg.Host)
	require.NoError(t, err)
	transport, err := rest.TransportFor(cfg)
	require.NoError(t, err)
	a := &apiRecorder{t: t}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(upstream)
			r.Out.Host = upstream.Host
		},
		Transport:     transport,
		FlushInterval: -1, // watches stream
	}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := classify(r)
		proxy.ServeHTTP(&codeWriter{ResponseWriter: w, done: func(code int) {
			rec.Code = code
			a.mu.Lock()
			a.reqs = append(a.reqs, rec)
			a.mu.Unlock()
		}}, r)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

// kubeconfig writes a kubeconfig for the proxy and returns its path.
func (a *apiRecorder) kubeconfig() string {
	path := filepath.Join(a.t.TempDir(), "kubeconfig")
	data := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: recorder
  cluster:
    server: %s
users:
- name: controller
  user: {}
contexts:
- name: recorder
  context:
    cluster: recorder
    user: controller
current-context: recorder
`, a.srv.URL)
	require.NoError(a.t, os.WriteFile(path, []byte(data), 0o600))
	return path
}

// between returns the requests that arrived in [from, to), oldest first.
func (a *apiRecorder) between(from, to time.Time) []apiRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []apiRequest
	for _, r := range a.reqs {
		if !r.At.Before(from) && r.At.Before(to) {
			out = append(out, r)
		}
	}
	return out
}

// codeWriter reports the status code of an answer once, when its header is written (at once
// for a watch, which streams until it ends).
type codeWriter struct {
	http.ResponseWriter
	done func(code int)
	once sync.Once
}

func (w *codeWriter) WriteHeader(code int) {
	w.once.Do(func() { w.done(code) })
	w.ResponseWriter.WriteHeader(code)
}

func (w *codeWriter) Write(b []byte) (int, error) {
	w.once.Do(func() { w.done(http.StatusOK) })
	return w.ResponseWriter.Write(b)
}

func (w *codeWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// classify reads the verb, resource, namespace and name of an API request from its method
// and path: /api/v1/… and /apis/<group>/<version>/…, [namespaces/<ns>/]<resource>[/<name>[/<sub>]].
func classify(r *http.Request) apiRequest {
	rec := apiRequest{At: time.Now(), Agent: r.UserAgent()}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(segs) >= 3 && segs[0] == "api":
		segs = segs[2:]
	case len(segs) >= 4 && segs[0] == "apis":
		segs = segs[3:]
	default:
		rec.Verb, rec.Resource = "discovery", r.URL.Path
		return rec
	}
	if len(segs) >= 3 && segs[0] == "namespaces" {
		rec.Namespace, segs = segs[1], segs[2:]
	}
	rec.Resource = segs[0]
	if len(segs) >= 2 {
		rec.Name = segs[1]
	}
	if len(segs) >= 3 {
		rec.Resource += "/" + segs[2]
	}
	rec.Verb = verbOf(r, rec.Name != "")
	return rec
}

func verbOf(r *http.Request, named bool) string {
	switch r.Method {
	case http.MethodGet:
		switch {
		case r.URL.Query().Get("watch") == "true" || r.URL.Query().Get("watch") == "1":
			return "watch"
		case named:
			return "get"
		default:
			return "list"
		}
	case http.MethodPost:
		return "create"
	case http.MethodPut:
		return "update"
	case http.MethodPatch:
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/apply-patch") {
			return "apply"
		}
		return "patch"
	case http.MethodDelete:
		return "delete"
	}
	return strings.ToLower(r.Method)
}
