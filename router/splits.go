package router

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/dynamic/dynamiclister"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/gitcanary/gitcanary/api/client"
)

// Splits gives the TrafficSplits of an SMI version as a shared informer caches them, with the
// writes of this process that the informer has not delivered yet (client.Cached).
type Splits interface {
	Cache(ctx context.Context, version string) (*client.Cached[*unstructured.Unstructured], error)
}

// SplitInformersOptions configures SplitInformers. The zero value watches every namespace.
type SplitInformersOptions struct {
	// Namespace restricts the informers to one namespace; empty means all.
	Namespace string
	// Resync is the informers' resync period; 0 means none.
	Resync time.Duration
	// Transform is applied to every object before it is cached (e.g. to drop managedFields).
	Transform cache.TransformFunc
	// SyncTimeout bounds the wait for a version's first list when a tick needs it; 0 means 30s.
	SyncTimeout time.Duration
}

// SplitInformers keeps one shared informer per TrafficSplit version in use: the versions given
// to Start, and any other the first time a canary's provider asks for it. A version the API
// server does not serve starts no informer; the call that asked fails with the server's answer
// and the next one asks again.
type SplitInformers struct {
	dyn     dynamic.Interface
	factory dynamicinformer.DynamicSharedInformerFactory
	opts    SplitInformersOptions

	// mu serialises first uses: a tick that starts a version waits for its first list while
	// holding it.
	mu        sync.Mutex
	stop      <-chan struct{}
	informers map[string]informers.GenericInformer
	caches    map[string]*client.Cached[*unstructured.Unstructured]
}

var _ Splits = (*SplitInformers)(nil)

// ErrNotStarted is returned by SplitInformers.Cache before Start.
var ErrNotStarted = errors.New("TrafficSplit informers not started")

// NewSplitInformers returns the TrafficSplit informers over dyn; nothing runs before Start.
func NewSplitInformers(dyn dynamic.Interface, opts SplitInformersOptions) *SplitInformers {
	if opts.SyncTimeout <= 0 {
		opts.SyncTimeout = 30 * time.Second
	}
	return &SplitInformers{
		dyn:       dyn,
		factory:   dynamicinformer.NewFilteredDynamicSharedInformerFactory(dyn, opts.Resync, opts.Namespace, nil),
		opts:      opts,
		informers: map[string]informers.GenericInformer{},
		caches:    map[string]*client.Cached[*unstructured.Unstructured]{},
	}
}

// Start lets the informers run until ctx ends, and starts and syncs the informer of each of
// versions that the API server serves. It fails only when ctx ends first.
func (s *SplitInformers) Start(ctx context.Context, versions ...string) error {
	s.mu.Lock()
	s.stop = ctx.Done()
	s.mu.Unlock()
	for _, v := range versions {
		if _, err := s.Cache(ctx, v); err != nil && ctx.Err() != nil {
			return err
		}
	}
	return nil
}

// Cache returns the cached TrafficSplits of an SMI version, starting the version's informer
// and waiting for its first list (at most SyncTimeout) on first use.
func (s *SplitInformers) Cache(ctx context.Context, version string) (*client.Cached[*unstructured.Unstructured], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.caches[version]; ok {
		return c, nil
	}
	if s.stop == nil {
		return nil, ErrNotStarted
	}
	gvr := SplitResource(version)
	inf, err := s.informer(ctx, version)
	if err != nil {
		return nil, err
	}
	wait, cancel := context.WithTimeout(ctx, s.opts.SyncTimeout)
	defer cancel()
	if !cache.WaitForCacheSync(wait.Done(), inf.Informer().HasSynced) {
		return nil, fmt.Errorf("TrafficSplit %s informer not synced after %v: %w", version, s.opts.SyncTimeout, wait.Err())
	}
	lister := dynamiclister.New(inf.Informer().GetIndexer(), gvr)
	c := client.NewCached(gvr.GroupResource(), func(namespace, name string) (*unstructured.Unstructured, error) {
		return lister.Namespace(namespace).Get(name)
	})
	s.caches[version] = c
	return c, nil
}

// informer returns the running informer of a version, starting it when the API server serves
// the version. Its caller holds mu.
func (s *SplitInformers) informer(ctx context.Context, version string) (informers.GenericInformer, error) {
	if inf, ok := s.informers[version]; ok {
		return inf, nil
	}
	gvr := SplitResource(version)
	// One request, once per version: an informer of a version that is not served would retry
	// its list for ever.
	if _, err := s.dyn.Resource(gvr).Namespace(s.opts.Namespace).List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
		return nil, fmt.Errorf("list TrafficSplits %s: %w", version, err)
	}
	inf := s.factory.ForResource(gvr)
	if s.opts.Transform != nil {
		if err := inf.Informer().SetTransform(s.opts.Transform); err != nil {
			return nil, fmt.Errorf("TrafficSplit %s informer: %w", version, err)
		}
	}
	s.factory.Start(s.stop)
	s.informers[version] = inf
	return inf, nil
}
