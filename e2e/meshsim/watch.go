package meshsim

import (
	"context"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
)

// watchSplits waits until the TrafficSplit CRD is served, then keeps the split tables in
// step with the API server until ctx is done.
func (s *Sim) watchSplits(ctx context.Context) {
	t := time.NewTicker(s.opts.DiscoveryInterval)
	defer t.Stop()
	for {
		if v := s.preferredSplitVersion(); v != "" {
			s.startSplitInformer(ctx, v)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// preferredSplitVersion returns the preferred served version of split.smi-spec.io with a
// trafficsplits resource, or "".
func (s *Sim) preferredSplitVersion() string {
	groups, err := s.disco.ServerGroups()
	if err != nil {
		s.log.Debug("discover API groups", "err", err)
		return ""
	}
	for _, g := range groups.Groups {
		if g.Name != SplitGroup {
			continue
		}
		versions := []string{g.PreferredVersion.Version}
		for _, v := range g.Versions {
			versions = append(versions, v.Version)
		}
		for _, v := range versions {
			if s.servesSplits(v) {
				return v
			}
		}
	}
	return ""
}

func (s *Sim) servesSplits(version string) bool {
	rl, err := s.disco.ServerResourcesForGroupVersion(SplitGroup + "/" + version)
	if err != nil {
		return false
	}
	for _, r := range rl.APIResources {
		if r.Name == "trafficsplits" {
			return true
		}
	}
	return false
}

func (s *Sim) startSplitInformer(ctx context.Context, version string) {
	gvr := schema.GroupVersionResource{Group: SplitGroup, Version: version, Resource: "trafficsplits"}
	f := dynamicinformer.NewFilteredDynamicSharedInformerFactory(s.dyn, 0, metav1.NamespaceAll, nil)
	inf := f.ForResource(gvr).Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    s.setSplit,
		UpdateFunc: func(_, obj any) { s.setSplit(obj) },
		DeleteFunc: s.deleteSplit,
	}); err != nil {
		s.log.Error("watch TrafficSplits", "version", version, "err", err)
		return
	}
	f.Start(ctx.Done())
	s.splitVer.Store(&version)
	s.log.Info("watching TrafficSplits", "version", version)
}

func (s *Sim) setSplit(obj any) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	sp, err := SplitFromUnstructured(u)
	if err != nil {
		s.log.Error("ignore TrafficSplit", "namespace", u.GetNamespace(), "name", u.GetName(), "err", err)
		return
	}
	key := sp.Namespace + "/" + sp.Name
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.splits[key]; ok && s.apex[old.Namespace+"/"+old.Service] == key {
		delete(s.apex, old.Namespace+"/"+old.Service)
	}
	s.splits[key] = sp
	s.apex[sp.Namespace+"/"+sp.Service] = key
	s.log.Debug("TrafficSplit observed", "split", key, "backends", sp.Backends)
}

func (s *Sim) deleteSplit(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	key := u.GetNamespace() + "/" + u.GetName()
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.splits[key]; ok && s.apex[old.Namespace+"/"+old.Service] == key {
		delete(s.apex, old.Namespace+"/"+old.Service)
	}
	delete(s.splits, key)
	delete(s.pickers, key)
}
