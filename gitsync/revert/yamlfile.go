package revert

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Files are repository files by slash path relative to the repository root.
type Files map[string][]byte

// maxFile bounds the YAML files read (the repository is untrusted input).
const maxFile = 4 << 20

// yamlFile is one parsed YAML file and the in-place edits planned on it.
type yamlFile struct {
	path   string
	raw    []byte
	docs   []*yaml.Node // document nodes
	splice []splice
	dirty  bool // a document changed structurally: re-encode instead of splicing
}

// splice replaces one scalar token in place.
type splice struct {
	node       *yaml.Node
	old, value string
}

// yamlFiles parses the YAML files among files, in path order; files that do not parse are
// skipped (they cannot be what rendered the target).
func yamlFiles(files Files) []*yamlFile {
	paths := make([]string, 0, len(files))
	for p := range files {
		if ext := path.Ext(p); (ext == ".yaml" || ext == ".yml" || path.Base(p) == "Kustomization") && len(files[p]) <= maxFile {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var out []*yamlFile
	for _, p := range paths {
		f := &yamlFile{path: p, raw: files[p]}
		dec := yaml.NewDecoder(bytes.NewReader(f.raw))
		ok := true
		for {
			var doc yaml.Node
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				ok = false
				break
			}
			f.docs = append(f.docs, &doc)
		}
		if ok {
			out = append(out, f)
		}
	}
	return out
}

// isKustomization reports whether the file is a kustomization.
func (f *yamlFile) isKustomization() bool {
	switch path.Base(f.path) {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
		return true
	}
	return false
}

// content returns the file with its edits applied: scalars spliced in place, or the whole file
// re-encoded when a document changed structurally.
func (f *yamlFile) content() ([]byte, error) {
	if f.dirty {
		var b bytes.Buffer
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		for _, d := range f.docs {
			if err := enc.Encode(d); err != nil {
				return nil, fmt.Errorf("encode %s: %w", f.path, err)
			}
		}
		if err := enc.Close(); err != nil {
			return nil, fmt.Errorf("encode %s: %w", f.path, err)
		}
		return b.Bytes(), nil
	}
	starts := lineStarts(f.raw)
	type cut struct {
		at, n int
		text  string
	}
	cuts := make([]cut, 0, len(f.splice))
	for _, s := range f.splice {
		at, n, err := tokenAt(f.raw, starts, s.node, s.old)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.path, err)
		}
		cuts = append(cuts, cut{at: at, n: n, text: quoteLike(s.node, s.value)})
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].at > cuts[j].at })
	out := append([]byte(nil), f.raw...)
	for _, c := range cuts {
		out = append(out[:c.at], append([]byte(c.text), out[c.at+c.n:]...)...)
	}
	return out, nil
}

func lineStarts(b []byte) []int {
	starts := []int{0}
	for i, c := range b {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// tokenAt finds the bytes of a scalar's token: its value, within quotes for quoted styles.
// old is the scalar's value as parsed.
func tokenAt(raw []byte, starts []int, n *yaml.Node, old string) (int, int, error) {
	if n.Line < 1 || n.Line > len(starts) {
		return 0, 0, fmt.Errorf("line %d: out of range", n.Line)
	}
	at := starts[n.Line-1] + n.Column - 1
	want := old
	switch n.Style {
	case 0:
	case yaml.DoubleQuotedStyle:
		want = `"` + old + `"`
	case yaml.SingleQuotedStyle:
		want = `'` + old + `'`
	default:
		return 0, 0, fmt.Errorf("line %d: %q is not a plain or quoted scalar", n.Line, old)
	}
	if at < 0 || at > len(raw) || !bytes.HasPrefix(raw[at:], []byte(want)) {
		return 0, 0, fmt.Errorf("line %d: %q is not written as a simple scalar", n.Line, old)
	}
	return at, len(want), nil
}

// quoteLike writes value in the style of the scalar it replaces.
func quoteLike(n *yaml.Node, value string) string {
	switch n.Style {
	case yaml.DoubleQuotedStyle:
		return `"` + value + `"`
	case yaml.SingleQuotedStyle:
		return `'` + value + `'`
	}
	if strings.ContainsAny(value, "#'\"{}[],&*!|>%@`") || strings.Contains(value, ": ") {
		return `"` + value + `"`
	}
	return value
}

// set plans value for the scalar n.
func (f *yamlFile) set(n *yaml.Node, value string) {
	f.splice = append(f.splice, splice{node: n, old: n.Value, value: value})
	n.Value = value
}

// root is the mapping of a document, or nil.
func root(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
		return doc.Content[0]
	}
	return nil
}

// field returns the value node of key in mapping m, or nil.
func field(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// scalar returns the value of key in m when it is a scalar, else "".
func scalar(m *yaml.Node, key string) string {
	if v := field(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// at follows a path of keys from mapping m.
func at(m *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		m = field(m, k)
	}
	return m
}
