package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"go.yaml.in/yaml/v3"

	"github.com/gitcanary/gitcanary/gitsource"
)

// OverlaysDir holds one file per overlay of the sync loop: overlays/<id>.yaml, where id names the
// overlay's path as the inventory ConfigMap in the cluster does (gitcanary-inventory-<id>).
const OverlaysDir = "overlays"

// Overlay results, as the sync loop reports them.
const (
	OverlayApplied        = "Applied"
	OverlayFailed         = "Failed"
	OverlayDriftCorrected = "DriftCorrected"
)

// Overlay is the content of overlays/<id>.yaml: what the sync loop last did to one overlay.
type Overlay struct {
	// Path of the overlay in the source repository, such as apps/podinfo.
	Path string `json:"overlay" yaml:"overlay"`
	// Commit is the source commit whose output is applied.
	Commit string `json:"commit,omitempty" yaml:"commit,omitempty"`
	// Result is Applied, Failed or DriftCorrected.
	Result string `json:"result" yaml:"result"`
	// Reason is the failure of a Failed overlay (it keeps Commit applied).
	Reason string `json:"reason,omitempty" yaml:"reason,omitempty"`
	// Applied and Pruned count the objects of the last apply of a new output.
	Applied int `json:"applied" yaml:"applied"`
	Pruned  int `json:"pruned" yaml:"pruned"`
	// Drift lists what the last drift correction set back, one "Kind namespace/name: fields"
	// per object.
	Drift []string `json:"drift,omitempty" yaml:"drift,omitempty"`
	// Health is Progressing, Healthy or Unhealthy (empty: not checked); HealthMessage says why.
	Health        string `json:"health,omitempty" yaml:"health,omitempty"`
	HealthMessage string `json:"healthMessage,omitempty" yaml:"healthMessage,omitempty"`
	// Time of the record, in UTC.
	Time time.Time `json:"time" yaml:"time"`
}

// Trailers of an overlay record in a ledger commit, one block per overlay after the canaries'.
const (
	TrailerOverlay       = "Overlay"
	TrailerOverlayResult = "Overlay-Result"
	TrailerOverlayCommit = "Overlay-Commit"
)

// overlayPath is the file of an overlay on the branch.
func overlayPath(overlay string) string {
	sum := sha256.Sum256([]byte(overlay))
	return path.Join(OverlaysDir, hex.EncodeToString(sum[:6])+".yaml")
}

// resultText is a result for people: "Applied", "Failed: …", "Drift corrected".
func (o Overlay) resultText() string {
	switch o.Result {
	case OverlayFailed:
		return "Failed: " + oneLine(o.Reason)
	case OverlayDriftCorrected:
		return "Drift corrected"
	default:
		return o.Result
	}
}

// line is the overlay's summary in a commit message, such as "overlay apps/podinfo: Drift
// corrected (Deployment test/podinfo: spec.template.spec.containers[name=podinfo].image, source
// 3f2a1c9)".
func (o Overlay) line() string {
	var details []string
	if len(o.Drift) > 0 {
		details = append(details, strings.Join(o.Drift, "; "))
	}
	if o.Health == "Unhealthy" {
		details = append(details, "unhealthy: "+oneLine(o.HealthMessage))
	}
	if o.Commit != "" {
		details = append(details, "source "+gitsource.ShortSHA(o.Commit))
	}
	s := "overlay " + o.Path + ": " + o.resultText()
	if len(details) > 0 {
		s += " (" + strings.Join(details, ", ") + ")"
	}
	return s
}

// trailers are the overlay's trailer block.
func (o Overlay) trailers() string {
	s := fmt.Sprintf("%s: %s\n%s: %s\n", TrailerOverlay, oneLine(o.Path), TrailerOverlayResult, o.Result)
	if o.Commit != "" {
		s += fmt.Sprintf("%s: %s\n", TrailerOverlayCommit, o.Commit)
	}
	return s
}

// cells are the overlay's row in the STATUS.md table and in `gitcanary status overlays`.
func (o Overlay) cells() []string {
	t := ""
	if !o.Time.IsZero() {
		t = o.Time.UTC().Format(time.RFC3339)
	}
	result := o.resultText()
	if len(result) > 80 { // the whole reason is in the file and in -o yaml
		result = result[:77] + "..."
	}
	return []string{o.Path, gitsource.ShortSHA(o.Commit), result, strconv.Itoa(o.Applied), strconv.Itoa(o.Pruned), o.Health, t}
}

var overlayHeader = []string{"OVERLAY", "COMMIT", "RESULT", "APPLIED", "PRUNED", "HEALTH", "TIME"}

// sortOverlays sorts overlays by path.
func sortOverlays(os []Overlay) {
	sort.Slice(os, func(i, j int) bool { return os[i].Path < os[j].Path })
}

func marshalOverlay(o Overlay) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(o); err != nil {
		return nil, fmt.Errorf("encode overlay %s: %w", o.Path, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode overlay %s: %w", o.Path, err)
	}
	return b.Bytes(), nil
}

func parseOverlay(b []byte) (Overlay, error) {
	var o Overlay
	err := yaml.Unmarshal(b, &o)
	return o, err
}

// overlayEntries lists the blobs of overlays/*.yaml in a root tree (zero: none).
func overlayEntries(s storer.EncodedObjectStorer, root plumbing.Hash) ([]plumbing.Hash, error) {
	if root.IsZero() {
		return nil, nil
	}
	t, err := object.GetTree(s, root)
	if err != nil {
		return nil, err
	}
	dir, err := t.FindEntry(OverlaysDir)
	if err != nil || dir.Mode != filemode.Dir {
		return nil, nil
	}
	files, err := object.GetTree(s, dir.Hash)
	if err != nil {
		return nil, err
	}
	var out []plumbing.Hash
	for _, f := range files.Entries {
		if strings.HasSuffix(f.Name, ".yaml") && f.Mode.IsFile() {
			out = append(out, f.Hash)
		}
	}
	return out, nil
}

// readOverlays reads the overlay files of a root tree; unreadable ones are skipped. cache maps
// blob hashes to what was read before.
func readOverlays(s storer.EncodedObjectStorer, root plumbing.Hash, cache map[string]Overlay) ([]Overlay, map[string]Overlay, error) {
	blobs, err := overlayEntries(s, root)
	if err != nil {
		return nil, nil, fmt.Errorf("list overlay files: %w", err)
	}
	next := make(map[string]Overlay, len(blobs))
	out := make([]Overlay, 0, len(blobs))
	for _, h := range blobs {
		o, ok := cache[h.String()]
		if !ok {
			b, err := readBlob(s, h)
			if err != nil {
				return nil, nil, fmt.Errorf("read overlay file %s: %w", h, err)
			}
			if o, err = parseOverlay(b); err != nil || o.Path == "" {
				continue
			}
		}
		next[h.String()] = o
		out = append(out, o)
	}
	sortOverlays(out)
	return out, next, nil
}

// RecordOverlay queues what the sync loop did to an overlay for the next commit: its file
// overlays/<id>.yaml, its row in STATUS.md, a line and a trailer block in the commit message.
// Several records of one overlay in a batch keep the last. Like Record, it never blocks on Git.
func (l *Ledger) RecordOverlay(o Overlay) error {
	if o.Path == "" || o.Result == "" {
		return fmt.Errorf("%w: an overlay record needs a path and a result", ErrInvalidTransition)
	}
	if o.Time.IsZero() {
		o.Time = l.opts.Clock.Now()
	}
	o.Time = o.Time.UTC()
	o.Drift = append([]string(nil), o.Drift...)
	l.mu.Lock()
	l.pending.extra.overlays = append(l.pending.extra.overlays, o)
	l.mu.Unlock()
	l.poke()
	return nil
}

// lastOverlays keeps the last record of each overlay, in the order of their first record.
func lastOverlays(records []Overlay) []Overlay {
	idx := map[string]int{}
	var out []Overlay
	for _, o := range records {
		if i, ok := idx[o.Path]; ok {
			out[i] = o
			continue
		}
		idx[o.Path] = len(out)
		out = append(out, o)
	}
	return out
}

// Overlays reads every overlays/<id>.yaml of the snapshot, sorted by path.
func (s *Snapshot) Overlays() ([]Overlay, error) {
	out, _, err := readOverlays(s.repo.Storer, s.head.TreeHash, nil)
	return out, err
}

// overlayChange is what a commit writes of the overlays: the records of the batch, their files,
// and every overlay on the branch after the commit, for STATUS.md.
type overlayChange struct {
	records []Overlay
	files   map[string]plumbing.Hash
	all     []Overlay
}

// overlayFiles stores the files of the batch's overlay records and reads the other overlays on
// the branch.
func (l *Ledger) overlayFiles(baseTree plumbing.Hash, records []Overlay) (overlayChange, error) {
	s := l.branch.repo.Storer
	oc := overlayChange{records: records, files: map[string]plumbing.Hash{}}
	existing, cache, err := readOverlays(s, baseTree, l.branch.overlayRows)
	if err != nil {
		return oc, err
	}
	recorded := map[string]bool{}
	for _, o := range records {
		b, err := marshalOverlay(o)
		if err != nil {
			return oc, err
		}
		h, err := gitsource.StoreBlob(s, b)
		if err != nil {
			return oc, err
		}
		oc.files[overlayPath(o.Path)] = h
		cache[h.String()] = o
		recorded[o.Path] = true
		oc.all = append(oc.all, o)
	}
	for _, o := range existing {
		if !recorded[o.Path] {
			oc.all = append(oc.all, o)
		}
	}
	l.branch.overlayRows = cache
	return oc, nil
}
