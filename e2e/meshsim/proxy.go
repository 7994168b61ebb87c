package meshsim

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
)

// Target is a fixed in-cluster name served by a handler, such as the mesh ingress, the
// load tester or Prometheus.
type Target struct {
	// Port is the in-cluster port of the name; 0 accepts any port. A request to another port
	// is refused, as a real Service would refuse it.
	Port int
	// Handler serves the requests; ForwardTo makes one for a loopback address.
	Handler http.Handler
}

// Proxy is the cluster DNS: an HTTP forward proxy (set as HTTP_PROXY) that resolves
// in-cluster host names to Targets by Service name (any namespace), else to the podinfo
// backends of the Sim's Services. Loopback addresses are forwarded unchanged.
type Proxy struct {
	sim              *Sim
	targets          map[string]Target
	defaultNamespace string
	loopback         http.Handler
}

// NewProxy returns a Proxy over sim with the fixed targets keyed by Service name, e.g.
// "envoy", "flagger-loadtester", "flagger-prometheus". Bare names are in defaultNamespace.
func NewProxy(sim *Sim, targets map[string]Target, defaultNamespace string) *Proxy {
	if defaultNamespace == "" {
		defaultNamespace = "default"
	}
	return &Proxy{
		sim: sim, targets: targets, defaultNamespace: defaultNamespace,
		loopback: &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.Out.URL.Scheme = "http"
				pr.Out.Host = pr.In.Host
			},
		},
	}
}

// Resolve returns the handler for a request to hostport (the URL host of a proxy request).
func (p *Proxy) Resolve(hostport string) (http.Handler, error) {
	name, _, err := splitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	if isLoopback(name) {
		return p.loopback, nil
	}
	h, err := ParseHost(hostport, p.defaultNamespace)
	if err != nil {
		return nil, fmt.Errorf("resolve %q: %w", hostport, err)
	}
	if t, ok := p.targets[h.Service]; ok {
		port := h.Port
		if port == 0 {
			port = 80
		}
		if t.Port != 0 && t.Port != port {
			return nil, fmt.Errorf("resolve %q: connection refused on port %d", hostport, port)
		}
		return t.Handler, nil
	}
	return p.sim.ServiceHandler(h), nil
}

// ServeHTTP serves forward-proxy requests (absolute-form URLs). CONNECT is not supported:
// in-cluster names are plain HTTP.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect || r.URL.Host == "" {
		http.Error(w, "meshsim proxy: only absolute http:// URLs are supported", http.StatusNotImplemented)
		return
	}
	if r.URL.Scheme != "http" {
		http.Error(w, "meshsim proxy: scheme "+r.URL.Scheme+" is not supported", http.StatusNotImplemented)
		return
	}
	h, err := p.Resolve(r.URL.Host)
	if err != nil {
		http.Error(w, "meshsim proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	removeHopHeaders(r.Header)
	h.ServeHTTP(w, r)
}

// removeHopHeaders drops the proxy's own hop-by-hop headers before the request is served.
func removeHopHeaders(h http.Header) {
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "proxy-") {
			h.Del(k)
		}
	}
}

// ForwardTo returns a handler that forwards requests to the HTTP server at addr
// (host:port), keeping the Host header.
func ForwardTo(addr string) http.Handler {
	target := &url.URL{Scheme: "http", Host: addr}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
		},
	}
}
