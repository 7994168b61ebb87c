package render

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Bundle is what one overlay renders to.
type Bundle struct {
	// Root is the absolute repository root; Overlay the overlay path relative to it.
	Root, Overlay string
	// Objects are all rendered objects, in kustomize's output order.
	Objects []*unstructured.Unstructured
	// Canaries, MetricTemplates and AlertProviders are the flagger.app objects, decoded.
	Canaries        []*v1beta1.Canary
	MetricTemplates []*v1beta1.MetricTemplate
	AlertProviders  []*v1beta1.AlertProvider
	// Workloads are the other objects: Deployments, HPAs, ConfigMaps, Services, ….
	Workloads []*unstructured.Unstructured
	// IntentionallyEmpty is set when the overlay renders no objects and its folder holds
	// EmptyMarker: applying it prunes what it applied before.
	IntentionallyEmpty bool
	// Warnings are references the bundle cannot satisfy but the cluster may (a MetricTemplate,
	// an AlertProvider or a target that is not part of this overlay), and analysis metrics
	// that cannot work as written (lint.go).
	Warnings []string
	// problems are the invalid objects found while decoding and validating.
	problems []error
}

// Digest identifies the rendered content: the same objects give the same digest whatever the
// commit, so commits that don't change an overlay's output cause no work for it.
func (b *Bundle) Digest() string {
	objs := make([]*unstructured.Unstructured, len(b.Objects))
	copy(objs, b.Objects)
	sort.SliceStable(objs, func(i, j int) bool { return objectID(objs[i]) < objectID(objs[j]) })
	h := sha256.New()
	for _, o := range objs {
		// encoding/json sorts map keys, so the encoding of an object is canonical.
		data, err := json.Marshal(o.Object)
		if err != nil {
			// Rendered objects always marshal (they were decoded from YAML); mix the error in
			// rather than pretend the content is unchanged.
			data = []byte(err.Error())
		}
		h.Write(data)
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// objectID returns "<apiVersion>/<kind> <namespace>/<name>".
func objectID(o *unstructured.Unstructured) string {
	return fmt.Sprintf("%s/%s %s/%s", o.GetAPIVersion(), o.GetKind(), o.GetNamespace(), o.GetName())
}

// ObjectName returns "<Kind> <namespace>/<name>" (or "<Kind> <name>" for cluster objects).
func ObjectName(o *unstructured.Unstructured) string {
	if o.GetNamespace() == "" {
		return o.GetKind() + " " + o.GetName()
	}
	return fmt.Sprintf("%s %s/%s", o.GetKind(), o.GetNamespace(), o.GetName())
}

// validate runs the validation of every flagger.app object and the cross-checks, and returns
// an *InvalidError when anything is invalid. Canaries without spec.provider are validated as
// canaries of defaultProvider when it is set; the Bundle keeps them as written.
func (b *Bundle) validate(defaultProvider string) error {
	for _, c := range b.Canaries {
		if c.Spec.Provider == "" && defaultProvider != "" {
			c = c.DeepCopy()
			c.Spec.Provider = defaultProvider
		}
		if err := v1beta1.ValidateCanary(c); err != nil {
			b.problems = append(b.problems, err)
		}
	}
	for _, t := range b.MetricTemplates {
		if err := v1beta1.ValidateMetricTemplate(t); err != nil {
			b.problems = append(b.problems, err)
		}
	}
	for _, a := range b.AlertProviders {
		if err := v1beta1.ValidateAlertProvider(a); err != nil {
			b.problems = append(b.problems, err)
		}
	}
	b.crossCheck()
	b.lint()
	if len(b.problems) == 0 {
		return nil
	}
	return &InvalidError{Overlay: b.Overlay, Errs: b.problems}
}
