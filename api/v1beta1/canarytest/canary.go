package canarytest

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// UID is the UID of the Canary New returns.
const UID types.UID = "canary-uid"

// Option changes the Canary New builds.
type Option = func(*v1beta1.Canary)

// New returns Canary test/podinfo (TypeMeta and UID set) targeting Deployment podinfo, with
// service port 9898 and an analysis of interval 1m, threshold 5, maxWeight 50 and stepWeight
// 5, changed by opts in order.
func New(opts ...Option) *v1beta1.Canary {
	c := &v1beta1.Canary{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1beta1.SchemeGroupVersion.String(), Kind: "Canary"},
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Namespace: "test", UID: UID},
		Spec: v1beta1.CanarySpec{
			TargetRef: v1beta1.LocalObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "podinfo"},
			Service:   v1beta1.CanaryService{Port: 9898},
			Analysis:  &v1beta1.CanaryAnalysis{Interval: "1m", Threshold: 5, MaxWeight: 50, StepWeight: 5},
		},
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Namespace moves the Canary to namespace ns.
func Namespace(ns string) Option { return func(c *v1beta1.Canary) { c.Namespace = ns } }

// Provider sets spec.provider.
func Provider(p string) Option { return func(c *v1beta1.Canary) { c.Spec.Provider = p } }

// Interval sets spec.analysis.interval.
func Interval(d string) Option { return func(c *v1beta1.Canary) { c.Spec.Analysis.Interval = d } }

// ProgressDeadline sets spec.progressDeadlineSeconds.
func ProgressDeadline(seconds int32) Option {
	return func(c *v1beta1.Canary) { c.Spec.ProgressDeadlineSeconds = &seconds }
}

// Phase sets status.phase.
func Phase(p v1beta1.CanaryPhase) Option { return func(c *v1beta1.Canary) { c.Status.Phase = p } }
