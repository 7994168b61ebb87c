package revert

import (
	"fmt"
	"sort"

	"github.com/gitcanary/gitcanary/engine"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// Mode says how an edit restores the promoted revision.
type Mode string

// Modes of an Edit.
const (
	// ModeImages sets container images back, where they are defined.
	ModeImages Mode = "images"
	// ModePodTemplate restores the Deployment's whole spec.template from the promoted commit.
	ModePodTemplate Mode = "pod-template"
)

// Request is what Plan needs to know.
type Request struct {
	// Target is the name of the canary's target Deployment.
	Target string
	// Overlay is the overlay's folder (slash path relative to the repository root); its own
	// kustomization wins when several `images:` overrides could produce an image.
	Overlay string
	// Failed is the target's pod template as rendered at the failed commit.
	Failed *corev1.PodTemplateSpec
	// Promoted is the target's pod template as rendered at the last promoted commit.
	Promoted *corev1.PodTemplateSpec
	// Files are the repository's files at the failed commit (only YAML files are read).
	Files Files
	// PromotedFiles are the repository's files at the promoted commit; only read when more
	// than images changed.
	PromotedFiles Files
}

// Edit is the change that restores the promoted revision.
type Edit struct {
	// Mode says what kind of change it is.
	Mode Mode
	// Files holds the new content of every changed file.
	Files Files
	// Changes describe each change for the commit message, one line each.
	Changes []string
}

// Plan computes the edit of req.Files that renders req.Promoted as the target's template.
func Plan(req Request) (Edit, error) {
	if engine.PodTemplateHash(req.Failed) == engine.PodTemplateHash(req.Promoted) {
		return Edit{}, ErrNothingToRevert
	}
	files := yamlFiles(req.Files)
	var e Edit
	var err error
	if changes, ok := imageChanges(req.Failed, req.Promoted); ok {
		e.Mode = ModeImages
		e.Changes, err = planImages(files, req, changes)
	} else {
		e.Mode = ModePodTemplate
		e.Changes, err = planTemplate(files, req)
	}
	if err != nil {
		return Edit{}, err
	}
	e.Files = Files{}
	for _, f := range files {
		if !f.dirty && len(f.splice) == 0 {
			continue
		}
		b, err := f.content()
		if err != nil {
			return Edit{}, fmt.Errorf("%w: %v", ErrCannotRevert, err)
		}
		e.Files[f.path] = b
	}
	return e, nil
}

// imageChange is one container whose image differs.
type imageChange struct {
	container string
	from, to  imageRef
}

// imageChanges lists the containers whose image differs, and whether images are all that
// differs between the two templates.
func imageChanges(failed, promoted *corev1.PodTemplateSpec) ([]imageChange, bool) {
	f, p := failed.DeepCopy(), promoted.DeepCopy()
	var out []imageChange
	for _, pair := range [][2][]corev1.Container{{f.Spec.InitContainers, p.Spec.InitContainers}, {f.Spec.Containers, p.Spec.Containers}} {
		fc, pc := pair[0], pair[1]
		if len(fc) != len(pc) {
			return nil, false
		}
		for i := range fc {
			if fc[i].Name != pc[i].Name {
				return nil, false
			}
			if fc[i].Image != pc[i].Image {
				out = append(out, imageChange{container: fc[i].Name, from: parseImage(fc[i].Image), to: parseImage(pc[i].Image)})
			}
			fc[i].Image, pc[i].Image = "", ""
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].container < out[j].container })
	return out, len(out) > 0 && equality.Semantic.DeepEqual(f, p)
}
