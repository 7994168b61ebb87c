package render

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/resmap"
)

// decode turns kustomize's output into a Bundle. The flagger.app objects are decoded strictly:
// an unknown or duplicated field is a problem of that object, reported with its path. The JSON
// of all objects together may not exceed maxBytes.
func decode(root, overlay string, m resmap.ResMap, maxBytes int64) (*Bundle, error) {
	b := &Bundle{Root: root, Overlay: overlay}
	var size int64
	for _, r := range m.Resources() {
		data, err := r.MarshalJSON()
		if err != nil {
			return nil, &KustomizeError{Overlay: overlay, Err: fmt.Errorf("encode %s %s: %w", r.GetKind(), r.GetName(), err)}
		}
		if size += int64(len(data)); size > maxBytes {
			return nil, &LimitError{File: overlay, What: fmt.Sprintf("the rendered objects up to %s %s take %d bytes", r.GetKind(), r.GetName(), size),
				Max: maxBytes, Unit: "bytes of rendered objects per overlay", Flag: FlagRenderedBytes}
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(data); err != nil {
			return nil, &KustomizeError{Overlay: overlay, Err: fmt.Errorf("decode %s %s: %w", r.GetKind(), r.GetName(), err)}
		}
		b.Objects = append(b.Objects, obj)
		b.classify(obj, data)
	}
	return b, nil
}

// classify sorts one object into the Bundle's typed lists.
func (b *Bundle) classify(obj *unstructured.Unstructured, data []byte) {
	gvk := obj.GroupVersionKind()
	if gvk.Group != v1beta1.GroupName {
		b.Workloads = append(b.Workloads, obj)
		return
	}
	if gvk.Version != v1beta1.SchemeGroupVersion.Version {
		b.problems = append(b.problems, &v1beta1.ValidationError{Kind: gvk.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName(),
			Errs: field.ErrorList{field.NotSupported(field.NewPath("apiVersion"), obj.GetAPIVersion(), []string{v1beta1.SchemeGroupVersion.String()})}})
		return
	}
	switch gvk.Kind {
	case v1beta1.CanaryKind:
		c := &v1beta1.Canary{}
		if b.strict(obj, data, c) {
			b.Canaries = append(b.Canaries, c)
		}
	case v1beta1.MetricTemplateKind:
		t := &v1beta1.MetricTemplate{}
		if b.strict(obj, data, t) {
			b.MetricTemplates = append(b.MetricTemplates, t)
		}
	case v1beta1.AlertProviderKind:
		a := &v1beta1.AlertProvider{}
		if b.strict(obj, data, a) {
			b.AlertProviders = append(b.AlertProviders, a)
		}
	default:
		b.problems = append(b.problems, &v1beta1.ValidationError{Kind: gvk.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName(),
			Errs: field.ErrorList{field.NotSupported(field.NewPath("kind"), gvk.Kind, []string{v1beta1.CanaryKind, v1beta1.MetricTemplateKind, v1beta1.AlertProviderKind})}})
	}
}

// fieldInError extracts the field path of a strict decoding error, e.g. `unknown field "spec.x"`.
var fieldInError = regexp.MustCompile(`field "([^"]+)"`)

// strict decodes data into out, recording unknown, duplicate and mistyped fields as problems of
// the object. It reports whether out is usable.
func (b *Bundle) strict(obj *unstructured.Unstructured, data []byte, out any) bool {
	strictErrs, err := json.UnmarshalStrict(data, out)
	var errs field.ErrorList
	for _, se := range strictErrs {
		path, detail := "", se.Error()
		if m := fieldInError.FindStringSubmatchIndex(detail); m != nil {
			path, detail = detail[m[2]:m[3]], strings.TrimSpace(detail[:m[0]])+" field"
		}
		errs = append(errs, &field.Error{Type: field.ErrorTypeInvalid, Field: path, BadValue: field.OmitValueType{}, Detail: detail})
	}
	if err != nil {
		errs = append(errs, field.Invalid(field.NewPath("spec"), "", fmt.Sprintf("does not decode: %v", err)))
	}
	if len(errs) > 0 {
		b.problems = append(b.problems, &v1beta1.ValidationError{Kind: obj.GetKind(), Namespace: obj.GetNamespace(), Name: obj.GetName(), Errs: errs})
	}
	return err == nil && len(strictErrs) == 0
}
