package revert

import (
	"fmt"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"
)

// planImages sets every changed image back where it is defined: a kustomize images override
// that produces it, else the container's image in the Deployment's YAML.
func planImages(files []*yamlFile, req Request, changes []imageChange) ([]string, error) {
	var out []string
	done := map[string]bool{} // "from→to" already expressed by an override
	for _, c := range changes {
		key := c.from.String() + "→" + c.to.String()
		if done[key] {
			continue
		}
		change, ok, err := editOverride(files, req.Overlay, c)
		if err != nil {
			return nil, err
		}
		if ok {
			done[key] = true
			out = append(out, change)
			continue
		}
		change, err = editLiteral(files, req.Target, c)
		if err != nil {
			return nil, err
		}
		out = append(out, change)
	}
	return out, nil
}

// override is one entry of a kustomization's images.
type override struct {
	file   *yamlFile
	entry  *yaml.Node
	strong bool // it sets the tag or digest the failed image has
}

// editOverride changes the kustomize images entry that produces c.from so that it produces
// c.to. ok is false when no entry produces it.
func editOverride(files []*yamlFile, overlay string, c imageChange) (string, bool, error) {
	var found []override
	for _, f := range files {
		if !f.isKustomization() {
			continue
		}
		for _, doc := range f.docs {
			images := field(root(doc), "images")
			if images == nil || images.Kind != yaml.SequenceNode {
				continue
			}
			for _, e := range images.Content {
				name := scalar(e, "newName")
				if name == "" {
					name = scalar(e, "name")
				}
				if name != c.from.name {
					continue
				}
				tag, digest := scalar(e, "newTag"), scalar(e, "digest")
				if (tag != "" && tag != c.from.tag) || (digest != "" && digest != c.from.digest) {
					continue
				}
				found = append(found, override{file: f, entry: e, strong: tag != "" || digest != ""})
			}
		}
	}
	o, ok, err := pickOverride(found, overlay, c)
	if !ok || err != nil {
		return "", ok, err
	}
	if c.to.tag == "" && c.to.digest == "" {
		return "", false, fmt.Errorf("%w: the promoted image %s has neither tag nor digest", ErrCannotRevert, c.to)
	}
	var parts []string
	if c.to.name != c.from.name {
		setKey(o.file, o.entry, "newName", c.to.name)
		parts = append(parts, "newName "+c.to.name)
	}
	if c.to.digest != "" {
		setKey(o.file, o.entry, "digest", c.to.digest)
		deleteKey(o.file, o.entry, "newTag")
		parts = append(parts, "digest "+c.to.digest)
	} else {
		setKey(o.file, o.entry, "newTag", c.to.tag)
		deleteKey(o.file, o.entry, "digest")
		parts = append(parts, "newTag "+c.to.tag)
	}
	return fmt.Sprintf("%s: images %s: %s (was %s)", o.file.path, scalar(o.entry, "name"), strings.Join(parts, ", "), c.from), true, nil
}

// pickOverride chooses among the entries producing an image: those that set its tag or digest,
// then the overlay's own kustomization; several left is ambiguous.
func pickOverride(found []override, overlay string, c imageChange) (override, bool, error) {
	if len(found) == 0 {
		return override{}, false, nil
	}
	narrow := func(keep func(override) bool) {
		var out []override
		for _, o := range found {
			if keep(o) {
				out = append(out, o)
			}
		}
		if len(out) > 0 {
			found = out
		}
	}
	narrow(func(o override) bool { return o.strong })
	narrow(func(o override) bool { return path.Dir(o.file.path) == path.Clean(overlay) })
	if len(found) > 1 {
		var where []string
		for _, o := range found {
			where = append(where, o.file.path)
		}
		return override{}, false, fmt.Errorf("%w: image %s of container %s is set by images overrides in %s",
			ErrCannotRevert, c.from, c.container, strings.Join(where, ", "))
	}
	return found[0], true, nil
}

// editLiteral sets the image of container c in the one Deployment whose YAML has it.
func editLiteral(files []*yamlFile, target string, c imageChange) (string, error) {
	type hit struct {
		file  *yamlFile
		image *yaml.Node
		name  string
	}
	var hits, named []hit
	for _, f := range files {
		for _, doc := range f.docs {
			r := root(doc)
			if scalar(r, "kind") != "Deployment" {
				continue
			}
			for _, list := range []string{"initContainers", "containers"} {
				ctrs := at(r, "spec", "template", "spec", list)
				if ctrs == nil || ctrs.Kind != yaml.SequenceNode {
					continue
				}
				for _, ctr := range ctrs.Content {
					img := field(ctr, "image")
					if scalar(ctr, "name") != c.container || img == nil || img.Kind != yaml.ScalarNode || img.Value != c.from.String() {
						continue
					}
					h := hit{file: f, image: img, name: scalar(at(r, "metadata"), "name")}
					hits = append(hits, h)
					if h.name == target {
						named = append(named, h)
					}
				}
			}
		}
	}
	if len(named) > 0 {
		hits = named
	}
	switch len(hits) {
	case 0:
		return "", fmt.Errorf("%w: no images override and no Deployment YAML sets image %s of container %s", ErrCannotRevert, c.from, c.container)
	case 1:
	default:
		return "", fmt.Errorf("%w: image %s of container %s is set in %d Deployments (%s, %s, …)", ErrCannotRevert,
			c.from, c.container, len(hits), hits[0].file.path, hits[1].file.path)
	}
	h := hits[0]
	h.file.set(h.image, c.to.String())
	return fmt.Sprintf("%s: Deployment %s container %s image %s (was %s)", h.file.path, h.name, c.container, c.to, c.from), nil
}

// setKey sets key in mapping m: in place when it exists as a scalar, else as a new entry.
func setKey(f *yamlFile, m *yaml.Node, key, value string) {
	if v := field(m, key); v != nil && v.Kind == yaml.ScalarNode {
		f.set(v, value)
		return
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value})
	f.dirty = true
}

// deleteKey removes key from mapping m.
func deleteKey(f *yamlFile, m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			f.dirty = true
			return
		}
	}
}
