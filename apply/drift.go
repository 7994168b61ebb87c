package apply

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Change is an object that an apply changed in the cluster: created, or with fields the
// manifest sets that held other values. When the overlay's output was applied before unchanged
// (Result.Reapplied), every change is drift: someone edited or deleted the object by hand.
type Change struct {
	// Object is the changed object.
	Object ObjectRef
	// Fields are the paths, among those the manifest sets, whose values changed, sorted, such
	// as metadata.labels.app or spec.template.spec.containers[name=podinfo].image; list
	// elements are named by their name field when they have one. Empty when Created.
	Fields []string
	// Created is set when the object did not exist before the apply.
	Created bool
}

// String is "Deployment test/podinfo: spec.replicas, metadata.labels.app" or
// "Service test/podinfo: created".
func (c Change) String() string {
	if c.Created {
		return c.Object.String() + ": created"
	}
	return c.Object.String() + ": " + strings.Join(c.Fields, ", ")
}

// changeOf compares the object before an apply with the object the apply returned, on the
// fields the manifest sets. It returns false when nothing the manifest sets changed.
func changeOf(manifest, before, after *unstructured.Unstructured) (Change, bool) {
	ref := RefOf(manifest)
	if before == nil {
		return Change{Object: ref, Created: true}, true
	}
	if rv := before.GetResourceVersion(); rv != "" && rv == after.GetResourceVersion() {
		return Change{}, false // server-side apply changed nothing
	}
	var fields []string
	for k, v := range manifest.Object {
		if k == "apiVersion" || k == "kind" || k == "status" {
			continue
		}
		fields = diffFields(k, v, before.Object[k], after.Object[k], fields)
	}
	if len(fields) == 0 {
		return Change{}, false // only ownership or fields the manifest does not set changed
	}
	sort.Strings(fields)
	return Change{Object: ref, Fields: fields}, true
}

// diffFields appends the paths under path, among those the manifest value m sets, whose values
// differ between before (b) and after (a).
func diffFields(path string, m, b, a any, out []string) []string {
	switch mv := m.(type) {
	case map[string]any:
		bm, _ := b.(map[string]any)
		am, _ := a.(map[string]any)
		if bm == nil || am == nil {
			if !reflect.DeepEqual(b, a) {
				out = append(out, path)
			}
			return out
		}
		for k, v := range mv {
			out = diffFields(path+"."+k, v, bm[k], am[k], out)
		}
		return out
	case []any:
		if keyed, ok := byName(mv); ok {
			bl, bok := byNameOf(b)
			al, aok := byNameOf(a)
			if bok && aok {
				for _, name := range keyed {
					out = diffFields(fmt.Sprintf("%s[name=%s]", path, name), elementNamed(mv, name), bl[name], al[name], out)
				}
				return out
			}
		}
	}
	if !reflect.DeepEqual(b, a) {
		out = append(out, path)
	}
	return out
}

// byName returns the names of a list's elements when every element is an object with a
// distinct string name (containers, env, volumes): such lists are compared element by element.
func byName(list []any) ([]string, bool) {
	names := make([]string, 0, len(list))
	seen := map[string]bool{}
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		name, ok := m["name"].(string)
		if !ok || name == "" || seen[name] {
			return nil, false
		}
		seen[name] = true
		names = append(names, name)
	}
	return names, len(names) > 0
}

// byNameOf indexes a live list by its elements' names.
func byNameOf(v any) (map[string]any, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make(map[string]any, len(list))
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		if name, ok := m["name"].(string); ok {
			out[name] = m
		}
	}
	return out, true
}

func elementNamed(list []any, name string) any {
	for _, e := range list {
		if m, ok := e.(map[string]any); ok && m["name"] == name {
			return m
		}
	}
	return nil
}
