package meshsim

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
)

// SplitGroup is the API group of SMI TrafficSplits.
const SplitGroup = "split.smi-spec.io"

// Options configures a Sim.
type Options struct {
	// DefaultNamespace is the namespace of bare host names such as "podinfo"; default "default".
	DefaultNamespace string
	// Logger receives the simulator's log; default discards.
	Logger *slog.Logger
	// DiscoveryInterval is how often the simulator looks for the TrafficSplit CRD until it
	// is served; default 1s.
	DiscoveryInterval time.Duration
}

// Sim is the simulated mesh: Envoy ingress, podinfo backends and Envoy metrics.
type Sim struct {
	opts    Options
	kube    kubernetes.Interface
	disco   discovery.DiscoveryInterface
	dyn     dynamic.Interface
	log     *slog.Logger
	metrics *metrics

	services corelisters.ServiceLister
	pods     corelisters.PodLister
	synced   []cache.InformerSynced

	mu        sync.RWMutex
	splits    map[string]Split   // by namespace/name
	apex      map[string]string  // namespace/spec.service → namespace/name
	pickers   map[string]*picker // by namespace/name of the split
	instances map[types.UID]*pod // simulated pods
	rr        map[string]*atomic.Uint64
	splitVer  atomic.Pointer[string] // TrafficSplit version watched, once found
	gw        *gateways              // Gateway API; nil without a Gateway API client
}

// New returns a Sim that talks to the API server of cfg. Call Start before serving.
func New(cfg *rest.Config, opts Options) (*Sim, error) {
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("create mesh simulator kube client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("create mesh simulator dynamic client: %w", err)
	}
	s, err := newSim(kube, dyn, opts)
	if err != nil {
		return nil, err
	}
	gw, err := gwclient.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("create mesh simulator Gateway API client: %w", err)
	}
	s.gw = &gateways{client: gw, disco: kube.Discovery(), log: s.log, every: s.opts.DiscoveryInterval}
	return s, nil
}

// newSim builds a Sim over the given clients, with the defaults of opts filled in.
func newSim(kube kubernetes.Interface, dyn dynamic.Interface, opts Options) (*Sim, error) {
	if opts.DefaultNamespace == "" {
		opts.DefaultNamespace = "default"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.DiscoveryInterval <= 0 {
		opts.DiscoveryInterval = time.Second
	}
	m, err := newMetrics()
	if err != nil {
		return nil, err
	}
	return &Sim{
		opts: opts, kube: kube, disco: kube.Discovery(), dyn: dyn, log: opts.Logger, metrics: m,
		splits:    map[string]Split{},
		apex:      map[string]string{},
		pickers:   map[string]*picker{},
		instances: map[types.UID]*pod{},
		rr:        map[string]*atomic.Uint64{},
	}, nil
}

// Start starts watching Services, Pods and (once their CRD is served) TrafficSplits until
// ctx is done. Use WaitForSync before serving.
func (s *Sim) Start(ctx context.Context) {
	f := informers.NewSharedInformerFactory(s.kube, 0)
	svcInf := f.Core().V1().Services()
	podInf := f.Core().V1().Pods()
	s.services = svcInf.Lister()
	s.pods = podInf.Lister()
	if _, err := podInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: s.forgetPod,
	}); err != nil {
		s.log.Error("watch pods", "err", err)
	}
	s.synced = []cache.InformerSynced{svcInf.Informer().HasSynced, podInf.Informer().HasSynced}
	f.Start(ctx.Done())
	go s.watchSplits(ctx)
	if s.gw != nil {
		go s.gw.start(ctx)
	}
}

// WaitForSync waits until the Service and Pod caches are synced or ctx is done.
func (s *Sim) WaitForSync(ctx context.Context) error {
	if !cache.WaitForCacheSync(ctx.Done(), s.synced...) {
		return fmt.Errorf("sync mesh simulator caches: %w", context.Cause(ctx))
	}
	return nil
}

// SplitVersion returns the TrafficSplit API version being watched, "" until its CRD is served.
func (s *Sim) SplitVersion() string {
	if v := s.splitVer.Load(); v != nil {
		return *v
	}
	return ""
}

// SplitFor returns the TrafficSplit the simulator routes by for the apex Service
// namespace/service, as last observed.
func (s *Sim) SplitFor(namespace, service string) (Split, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	key, ok := s.apex[namespace+"/"+service]
	if !ok {
		return Split{}, false
	}
	sp, ok := s.splits[key]
	return sp, ok
}

// MetricsHandler serves the Envoy metrics in the Prometheus text format.
func (s *Sim) MetricsHandler() http.Handler { return s.metrics.handler() }

// IngressHandler is the mesh ingress (Envoy): it routes by Host header through the apex
// Service's TrafficSplit and records Envoy metrics for the chosen cluster.
func (s *Sim) IngressHandler() http.Handler { return http.HandlerFunc(s.serveIngress) }

func (s *Sim) serveIngress(w http.ResponseWriter, r *http.Request) {
	h, err := ParseHost(r.Host, s.opts.DefaultNamespace)
	if err != nil {
		h = Host{} // not an in-cluster name: only an HTTPRoute's hostnames can route it
	}
	if s.gw != nil {
		if m := bestRule(s.gw.attachedRoutes(), r); m != nil {
			s.serveRoute(w, r, m.target(s.pickerFor(Split{Namespace: m.route.Namespace, Name: fmt.Sprintf("httproute/%s/%d", m.route.Name, m.rule)}).next))
			return
		}
	}
	if h.Service == "" {
		http.Error(w, fmt.Sprintf("no route for host %q", r.Host), http.StatusNotFound)
		return
	}
	cluster := h.Service
	if sp, ok := s.SplitFor(h.Namespace, h.Service); ok {
		i := s.pickerFor(sp).next(sp.Backends)
		if i < 0 {
			http.Error(w, "no healthy upstream", http.StatusServiceUnavailable)
			return
		}
		cluster = sp.Backends[i].Service
	}
	p, err := s.podFor(h.Namespace, cluster)
	if err != nil {
		s.log.Debug("no healthy upstream", "namespace", h.Namespace, "cluster", cluster, "err", err)
		http.Error(w, "no healthy upstream", http.StatusServiceUnavailable)
		return
	}
	rec := &statusRecorder{ResponseWriter: w}
	start := time.Now()
	p.ServeHTTP(rec, r)
	if rec.code != 0 {
		s.metrics.observe(h.Namespace, cluster, rec.code, time.Since(start))
	}
}

// ServiceHandler serves a direct in-cluster call to the Service of h (as a pod in the
// cluster would make it, bypassing the ingress): one of the Service's Ready pods answers.
func (s *Sim) ServiceHandler(h Host) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		svc, err := s.services.Services(h.Namespace).Get(h.Service)
		if err != nil {
			http.Error(w, fmt.Sprintf("could not resolve host %s.%s", h.Service, h.Namespace), http.StatusBadGateway)
			return
		}
		port := h.Port
		if port == 0 {
			port = 80
		}
		if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return int(p.Port) == port }) {
			http.Error(w, fmt.Sprintf("connection refused: %s.%s:%d", h.Service, h.Namespace, port), http.StatusBadGateway)
			return
		}
		p, err := s.podFor(h.Namespace, h.Service)
		if err != nil {
			http.Error(w, "connection refused: "+err.Error(), http.StatusBadGateway)
			return
		}
		p.ServeHTTP(w, r)
	})
}

// podFor picks the next Ready pod of Service namespace/name, round robin.
func (s *Sim) podFor(namespace, name string) (*pod, error) {
	svc, err := s.services.Services(namespace).Get(name)
	if err != nil {
		return nil, fmt.Errorf("get service %s/%s: %w", namespace, name, err)
	}
	if len(svc.Spec.Selector) == 0 {
		return nil, fmt.Errorf("service %s/%s has no selector", namespace, name)
	}
	all, err := s.pods.Pods(namespace).List(labels.SelectorFromSet(svc.Spec.Selector))
	if err != nil {
		return nil, fmt.Errorf("list pods of service %s/%s: %w", namespace, name, err)
	}
	ready := slices.DeleteFunc(all, func(p *corev1.Pod) bool { return !podReady(p) })
	if len(ready) == 0 {
		return nil, fmt.Errorf("service %s/%s has no ready pods", namespace, name)
	}
	slices.SortFunc(ready, func(a, b *corev1.Pod) int { return cmp.Compare(a.Name, b.Name) })
	n := s.counter(namespace + "/" + name).Add(1)
	return s.instance(ready[int((n-1)%uint64(len(ready)))])
}

// instance returns the simulated pod of p, keeping its request counter across calls.
func (s *Sim) instance(p *corev1.Pod) (*pod, error) {
	s.mu.RLock()
	inst, ok := s.instances[p.UID]
	s.mu.RUnlock()
	if ok {
		return inst, nil
	}
	b, err := BehaviourOf(&p.Spec)
	if err != nil {
		return nil, fmt.Errorf("pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if inst, ok := s.instances[p.UID]; ok {
		return inst, nil
	}
	inst = &pod{name: p.Name, behaviour: b}
	s.instances[p.UID] = inst
	return inst, nil
}

func (s *Sim) forgetPod(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	if p, ok := obj.(*corev1.Pod); ok {
		s.mu.Lock()
		delete(s.instances, p.UID)
		s.mu.Unlock()
	}
}

func (s *Sim) counter(key string) *atomic.Uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.rr[key]
	if !ok {
		c = &atomic.Uint64{}
		s.rr[key] = c
	}
	return c
}

func (s *Sim) pickerFor(sp Split) *picker {
	key := sp.Namespace + "/" + sp.Name
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pickers[key]
	if !ok {
		p = &picker{}
		s.pickers[key] = p
	}
	return p
}

func podReady(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// statusRecorder remembers the status code written through it.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}
