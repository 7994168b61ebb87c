package controller

import (
	"context"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/status/ledger"
)

// ledgerEventHistory is how many events of a canary wait for its next transition.
const ledgerEventHistory = 50

// journal collects, per canary, the events and metric values of the engine's ticks, and turns
// each status change the informer sees into a ledger transition carrying them.
type journal struct {
	history int
	sink    func(ledger.Transition)
	images  func(namespace, deployment string) string

	mu      sync.Mutex
	events  map[string][]ledger.Event
	metrics map[string][]ledger.MetricResult
	last    map[string]v1beta1.CanaryStatus
}

// newJournal returns a journal handing transitions to sink, with the target images read by images.
func newJournal(history int, sink func(ledger.Transition), images func(namespace, deployment string) string) *journal {
	return &journal{history: history, sink: sink, images: images, events: map[string][]ledger.Event{},
		metrics: map[string][]ledger.MetricResult{}, last: map[string]v1beta1.CanaryStatus{}}
}

// recorder wraps the engine's Recorder: every event is also kept for the canary's next transition.
func (j *journal) recorder(next engine.Recorder) engine.Recorder {
	return recorderFunc(func(ctx context.Context, c *v1beta1.Canary, eventType, message string) {
		j.mu.Lock()
		evs := append(j.events[c.Namespace+"/"+c.Name], ledger.Event{Time: time.Now().UTC(), Type: eventType, Reason: "Synced", Message: message})
		if len(evs) > j.history {
			evs = evs[len(evs)-j.history:]
		}
		j.events[c.Namespace+"/"+c.Name] = evs
		j.mu.Unlock()
		next.Event(ctx, c, eventType, message)
	})
}

// telemetry wraps the engine's Telemetry: the metric checks of a tick, as the engine judged
// them, are kept with their thresholds for the canary's next transition.
func (j *journal) telemetry(next engine.Telemetry) engine.Telemetry {
	return telemetryFunc(func(c *v1beta1.Canary, r engine.TickReport) {
		if len(r.Checks) > 0 {
			results := make([]ledger.MetricResult, 0, len(r.Checks))
			for _, ck := range r.Checks {
				results = append(results, metricResult(c, ck))
			}
			j.mu.Lock()
			j.metrics[c.Namespace+"/"+c.Name] = results
			j.mu.Unlock()
		}
		next.Record(c, r)
	})
}

// metricResult turns one engine check into the ledger's form, with the metric's thresholdRange.
func metricResult(c *v1beta1.Canary, ck engine.MetricCheck) ledger.MetricResult {
	res := ledger.MetricResult{Name: ck.Name, Value: ck.Value, Passed: ck.Failure == ""}
	if ck.Err != nil {
		res.Error = ck.Failure // the query failed: the event says how
	}
	if c.Spec.Analysis == nil {
		return res
	}
	for _, m := range c.Spec.Analysis.Metrics {
		if m.Name == ck.Name && m.ThresholdRange != nil {
			res.Min, res.Max = m.ThresholdRange.Min, m.ThresholdRange.Max
		}
	}
	return res
}

// watch feeds the journal from the Canary informer: a transition for each change of phase,
// weight, failed checks, iterations or revision, and for every Canary when the controller starts.
func (j *journal) watch(inf cache.SharedIndexInformer) {
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { j.observe(obj.(*v1beta1.Canary)) },
		UpdateFunc: func(_, obj any) { j.observe(obj.(*v1beta1.Canary)) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if c, ok := obj.(*v1beta1.Canary); ok {
				j.forget(c.Namespace + "/" + c.Name)
			}
		},
	})
}

func (j *journal) observe(c *v1beta1.Canary) { j.emit(c, false) }

// record queues a transition of c's current status now, with the events gathered so far, even
// when the status did not change (a Git gate started waiting for another revision: the status
// branch must name it).
func (j *journal) record(c *v1beta1.Canary) { j.emit(c, true) }

func (j *journal) emit(c *v1beta1.Canary, force bool) {
	if c.Status.Phase == "" {
		return
	}
	key := c.Namespace + "/" + c.Name
	j.mu.Lock()
	prev, seen := j.last[key]
	st := c.Status
	if !force && seen && prev.Phase == st.Phase && prev.CanaryWeight == st.CanaryWeight && prev.FailedChecks == st.FailedChecks &&
		prev.Iterations == st.Iterations && prev.LastAppliedSpec == st.LastAppliedSpec {
		j.mu.Unlock()
		return
	}
	j.last[key] = st
	t := ledger.Transition{
		Namespace: c.Namespace, Name: c.Name, Phase: string(st.Phase), Weight: st.CanaryWeight,
		FailedChecks: st.FailedChecks, TargetRevision: st.LastAppliedSpec, Time: st.LastTransitionTime.Time,
		Events: j.events[key], Metrics: j.metrics[key],
	}
	delete(j.events, key)
	delete(j.metrics, key)
	sink, images := j.sink, j.images
	j.mu.Unlock()
	if images != nil {
		if img := images(c.Namespace, c.Spec.TargetRef.Name); img != "" {
			t.TargetRevision = img
		}
	}
	if sink != nil {
		sink(t)
	}
}

func (j *journal) forget(key string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.events, key)
	delete(j.metrics, key)
	delete(j.last, key)
}

// imagesOf returns the images of a Deployment's containers, from the informer cache.
func imagesOf(store cache.Store) func(namespace, name string) string {
	return func(namespace, name string) string {
		obj, ok, err := store.GetByKey(namespace + "/" + name)
		if err != nil || !ok {
			return ""
		}
		var images []string
		for _, ctr := range deploymentContainers(obj) {
			images = append(images, ctr.Image)
		}
		return strings.Join(images, ",")
	}
}

type recorderFunc func(ctx context.Context, c *v1beta1.Canary, eventType, message string)

func (f recorderFunc) Event(ctx context.Context, c *v1beta1.Canary, eventType, message string) {
	f(ctx, c, eventType, message)
}

type telemetryFunc func(c *v1beta1.Canary, r engine.TickReport)

func (f telemetryFunc) Record(c *v1beta1.Canary, r engine.TickReport) { f(c, r) }

func deploymentContainers(obj any) []corev1.Container {
	d, ok := obj.(*appsv1.Deployment)
	if !ok {
		return nil
	}
	return d.Spec.Template.Spec.Containers
}
