package revert

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// planTemplate restores the target Deployment's spec.template from its file at the promoted
// commit.
func planTemplate(files []*yamlFile, req Request) ([]string, error) {
	f, doc, err := findDeployment(files, req.Target)
	if err != nil {
		return nil, err
	}
	promoted, ok := req.PromotedFiles[f.path]
	if !ok {
		return nil, fmt.Errorf("%w: %s, which defines Deployment %s, did not exist at the promoted commit", ErrCannotRevert, f.path, req.Target)
	}
	pf := yamlFiles(Files{f.path: promoted})
	if len(pf) == 0 {
		return nil, fmt.Errorf("%w: %s does not parse at the promoted commit", ErrCannotRevert, f.path)
	}
	_, pdoc, err := findDeployment(pf, req.Target)
	if err != nil {
		return nil, fmt.Errorf("%s at the promoted commit: %w", f.path, err)
	}
	spec, tmpl := at(root(doc), "spec"), at(root(pdoc), "spec", "template")
	if tmpl == nil || spec == nil {
		return nil, fmt.Errorf("%w: Deployment %s in %s has no spec.template", ErrCannotRevert, req.Target, f.path)
	}
	for i := 0; i+1 < len(spec.Content); i += 2 {
		if spec.Content[i].Value == "template" {
			spec.Content[i+1] = tmpl
			f.dirty = true
			return []string{fmt.Sprintf("%s: Deployment %s spec.template restored from the promoted commit", f.path, req.Target)}, nil
		}
	}
	return nil, fmt.Errorf("%w: Deployment %s in %s has no spec.template", ErrCannotRevert, req.Target, f.path)
}

// findDeployment finds the one document of kind Deployment named name.
func findDeployment(files []*yamlFile, name string) (*yamlFile, *yaml.Node, error) {
	var file *yamlFile
	var found *yaml.Node
	n := 0
	for _, f := range files {
		for _, doc := range f.docs {
			r := root(doc)
			if scalar(r, "kind") == "Deployment" && scalar(at(r, "metadata"), "name") == name {
				file, found = f, doc
				n++
			}
		}
	}
	switch n {
	case 0:
		return nil, nil, fmt.Errorf("%w: no YAML file defines Deployment %s", ErrCannotRevert, name)
	case 1:
		return file, found, nil
	}
	return nil, nil, fmt.Errorf("%w: %d YAML files define a Deployment %s", ErrCannotRevert, n, name)
}
