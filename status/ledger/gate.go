package ledger

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"
)

// GatesDir holds the decisions users commit to the status branch, one file per canary and
// kind: gates/<namespace>/<name>/<kind>.yaml (see GateFile).
const GatesDir = "gates"

// GateKind is the kind of a decision; it names the gate file.
type GateKind string

// The decisions a gate file can hold. They answer the Canary's webhooks of the same type whose
// url is "git:" (abort answers rollback webhooks).
const (
	// GateConfirmRollout lets a waiting canary start its analysis (confirm-rollout).
	GateConfirmRollout GateKind = "confirm-rollout"
	// GateConfirmPromotion lets a canary waiting for promotion be promoted (confirm-promotion).
	GateConfirmPromotion GateKind = "confirm-promotion"
	// GateAbort rolls a canary under analysis back now (rollback).
	GateAbort GateKind = "abort"
)

// GateKinds lists the kinds in the order gitcanary reads them.
var GateKinds = []GateKind{GateConfirmRollout, GateConfirmPromotion, GateAbort}

// Bounds of a gate file: the branch is written by users, so its content is untrusted.
const (
	maxGateFile = 4 << 10
	maxGateNote = 1000
)

// revisionPattern is a full or abbreviated (7+ hex digits) SHA-1 or SHA-256 commit name.
var revisionPattern = regexp.MustCompile(`^[0-9a-f]{7,64}$`)

// GateFile is the content of gates/<namespace>/<name>/<kind>.yaml:
//
//	revision: 3f2a1c9e5b7d4a1f0c2e3d4b5a6978695a4b3c2d   # the source commit decided on
//	note: checked the dashboards                        # optional
//
// The revision is the source commit that started the canary's revision (the sourceCommit of its
// status file), in full or abbreviated to at least 7 hex digits. A decision applies to that
// revision only: a canary whose revision comes from another commit ignores it.
type GateFile struct {
	// Revision is the source commit the decision is about.
	Revision string `json:"revision" yaml:"revision"`
	// Note is free text kept in the ledger with the decision.
	Note string `json:"note,omitempty" yaml:"note,omitempty"`
}

// ParseGateKind checks a kind, as written in a gate file's name or on the command line.
func ParseGateKind(s string) (GateKind, error) {
	for _, k := range GateKinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown gate kind %q: want confirm-rollout, confirm-promotion or abort", s)
}

// GatePath is the path of a canary's gate file of one kind on the status branch.
func GatePath(namespace, name string, kind GateKind) string {
	return path.Join(GatesDir, namespace, name, string(kind)+".yaml")
}

// ParseGateFile reads a gate file strictly: unknown fields, a revision that is not 7 to 64
// lowercase hex digits, a note over 1,000 characters or a file over 4 KiB are errors.
func ParseGateFile(b []byte) (GateFile, error) {
	var f GateFile
	if len(b) > maxGateFile {
		return f, fmt.Errorf("gate file of %d bytes exceeds %d", len(b), maxGateFile)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return f, fmt.Errorf("parse gate file: %w", err)
	}
	return f, f.validate()
}

func (f GateFile) validate() error {
	if !revisionPattern.MatchString(f.Revision) {
		return fmt.Errorf("gate file: revision %q: want the source commit, 7 to 64 lowercase hex digits", f.Revision)
	}
	if len(f.Note) > maxGateNote {
		return fmt.Errorf("gate file: note of %d characters exceeds %d", len(f.Note), maxGateNote)
	}
	return nil
}

// MarshalGateFile returns the YAML of a gate file after checking it.
func MarshalGateFile(f GateFile) ([]byte, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	return yaml.Marshal(f)
}

// Names reports whether the decision is about the revision started by sourceCommit: the gate's
// revision is that commit or an abbreviation of it.
func (f GateFile) Names(sourceCommit string) bool {
	return len(f.Revision) >= 7 && strings.HasPrefix(strings.ToLower(sourceCommit), f.Revision)
}

// parseGatePath splits gates/<namespace>/<name>/<kind>.yaml; any other path, an invalid
// namespace, name or kind is an error.
func parseGatePath(p string) (namespace, name string, kind GateKind, err error) {
	parts := strings.Split(p, "/")
	if len(parts) != 4 || parts[0] != GatesDir || !strings.HasSuffix(parts[3], ".yaml") {
		return "", "", "", fmt.Errorf("not a gate file: want %s/<namespace>/<name>/<kind>.yaml", GatesDir)
	}
	if errs := validation.IsDNS1123Label(parts[1]); len(errs) > 0 {
		return "", "", "", fmt.Errorf("namespace %q: %s", parts[1], strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Subdomain(parts[2]); len(errs) > 0 {
		return "", "", "", fmt.Errorf("name %q: %s", parts[2], strings.Join(errs, "; "))
	}
	kind, err = ParseGateKind(strings.TrimSuffix(parts[3], ".yaml"))
	return parts[1], parts[2], kind, err
}
