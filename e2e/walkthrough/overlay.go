package walkthrough

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// OverlayPath is where the podinfo overlay lives in the walkthrough's repository.
const OverlayPath = "apps/podinfo"

// Overlay is the set of files of the podinfo overlay, by path in the repository.
type Overlay map[string][]byte

// PodinfoOverlay reads manifests/examples/podinfo from the repository at root and adapts it to
// namespace: the overlay's namespace and the in-cluster host names of its webhooks become the
// namespace's, the analysis interval becomes interval, and the Namespace object is left out
// (whoever runs the walkthrough owns the namespace).
func PodinfoOverlay(root, namespace, interval string) (Overlay, error) {
	dir := filepath.Join(root, "manifests", "examples", "podinfo")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read the podinfo example: %w", err)
	}
	o := Overlay{}
	for _, e := range entries {
		if e.Name() == "namespace.yaml" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read the podinfo example: %w", err)
		}
		text := string(data)
		text = strings.ReplaceAll(text, "  - namespace.yaml\n", "")
		text = strings.ReplaceAll(text, "namespace: test", "namespace: "+namespace)
		text = strings.ReplaceAll(text, ".test", "."+namespace)
		text = strings.ReplaceAll(text, "interval: 1m", "interval: "+interval)
		o[OverlayPath+"/"+e.Name()] = []byte(text)
	}
	return o, nil
}

// Edit rewrites one file of the overlay (a name such as "deployment.yaml") and returns the
// overlay, for chaining.
func (o Overlay) Edit(file string, edit func(string) string) Overlay {
	name := OverlayPath + "/" + file
	o[name] = []byte(edit(string(o[name])))
	return o
}

// podinfoImage matches podinfo's image reference, whatever its tag.
var podinfoImage = regexp.MustCompile(`(ghcr\.io/stefanprodan/podinfo:)[^\s"]+`)

// SetImage returns an edit of deployment.yaml that sets podinfo's image tag and, optionally,
// environment variables (name, value pairs) that the mesh simulator's podinfo obeys, such as
// PODINFO_FAULT=500 and PODINFO_FAULT_PERCENT=30 for a faulty version.
func SetImage(tag string, env ...string) func(string) string {
	return func(text string) string {
		text = podinfoImage.ReplaceAllString(text, "${1}"+tag)
		if len(env) > 0 {
			var extra strings.Builder
			for i := 0; i+1 < len(env); i += 2 {
				extra.WriteString("            - name: " + env[i] + "\n              value: \"" + env[i+1] + "\"\n")
			}
			text = strings.Replace(text, "          env:\n", "          env:\n"+extra.String(), 1)
		}
		return text
	}
}

// BuiltinMetrics is an edit of canary.yaml that replaces the MetricTemplate checks with
// gitcanary's built-in Envoy metrics (request-success-rate ≥ 99 %, request-duration ≤ 500 ms),
// which word their Halt events as the seed shows them.
func BuiltinMetrics(text string) string {
	start := strings.Index(text, "    metrics:\n")
	end := strings.Index(text, "    webhooks:\n")
	if start < 0 || end < start {
		return text
	}
	return text[:start] + `    metrics:
    - name: request-success-rate
      thresholdRange:
        min: 99
      interval: 30s
    - name: request-duration
      thresholdRange:
        max: 500
      interval: 30s
` + text[end:]
}

// renames are the places of the podinfo overlay that name its objects, its app label, its
// in-cluster host names and its MetricTemplates.
var renames = []struct {
	pattern *regexp.Regexp
	with    string
}{
	{regexp.MustCompile(`(?m)^(\s*(?:- )?name: )podinfo$`), "${1}NAME"},
	{regexp.MustCompile(`(?m)^(\s*app: )podinfo$`), "${1}NAME"},
	{regexp.MustCompile(`(Host: |//)podinfo([.-])`), "${1}NAME${2}"},
	{regexp.MustCompile(`(?m)^(  name: )(error-rate|latency)$`), "${1}NAME-${2}"},
	{regexp.MustCompile(`(templateRef:\n\s+name: )(error-rate|latency)`), "${1}NAME-${2}"},
}

// Named returns a copy of the podinfo overlay at apps/<name> whose objects are called name
// instead of podinfo: the Deployment, its app label and selector, the HPA, the Canary and its
// references, the host names of its webhooks, and its MetricTemplates (<name>-error-rate,
// <name>-latency). Several of them live side by side in one namespace. The image stays
// podinfo's.
func (o Overlay) Named(name string) Overlay {
	out := Overlay{}
	for path, data := range o {
		text := string(data)
		for _, r := range renames {
			text = r.pattern.ReplaceAllString(text, strings.ReplaceAll(r.with, "NAME", name))
		}
		out["apps/"+name+strings.TrimPrefix(path, OverlayPath)] = []byte(text)
	}
	return out
}
