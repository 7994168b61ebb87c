package ledger

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"k8s.io/utils/clock"
)

// maxGates bounds the gate files read from one commit (the branch is untrusted input).
const maxGates = 10000

// Gate is a decision found on the status branch.
type Gate struct {
	// Namespace of the Canary.
	Namespace string
	// Name of the Canary.
	Name string
	// Kind of decision, from the file name.
	Kind GateKind
	// GateFile is the file's content.
	GateFile
	// Blob is the hash of the file's content: the ledger removes the file only while it still
	// holds this content, so a newer decision written meanwhile is kept.
	Blob string
	// Decider is who committed the decision.
	Decider Decider
}

// Key is "<namespace>/<name>".
func (g Gate) Key() string { return g.Namespace + "/" + g.Name }

// Path is the gate file's path on the status branch.
func (g Gate) Path() string { return GatePath(g.Namespace, g.Name, g.Kind) }

// Decider is who committed a decision: the author of the commit that wrote the gate file's
// content and, when that commit is SSH- or OpenPGP-signed by an allowed signer, the verified
// signer. The author alone is what the committer claims; only Signer is verified.
type Decider struct {
	// Commit wrote the gate file's content; empty when it is older than the history read.
	Commit string
	// Name of the commit's author.
	Name string
	// Email of the commit's author.
	Email string
	// Signer is the verified SSH or OpenPGP signer; its Principal is empty when the commit is
	// not signed by an allowed signer.
	Signer CommitSigner
	// SignatureError says why a signature on the commit was not verified; empty when the commit
	// is unsigned or verified.
	SignatureError string
}

// String is how events and the ledger name the decider, such as
// "Alice <alice@example.com> (signed by alice@example.com, SHA256:…)".
func (d Decider) String() string {
	if d.Commit == "" {
		return "unknown (the gate file is older than the history read)"
	}
	who := d.Name + " <" + d.Email + ">"
	switch {
	case d.Signer.Principal != "":
		return who + " (signed by " + d.Signer.Principal + ", " + d.Signer.Fingerprint + ")"
	case d.SignatureError != "":
		return who + " (signature not verified: " + d.SignatureError + ")"
	}
	return who + " (unsigned)"
}

// gateReader reads the gates of status branch commits, remembering the decider of each gate
// file content it has seen.
type gateReader struct {
	depth    int // commits of history searched for the commit that wrote a gate file
	allowed  *AllowedSigners
	deciders map[string]Decider // by path and blob
	// clock dates the OpenPGP key checks; nil is the real clock.
	clock clock.PassiveClock
}

// read returns the valid gates of head's tree, one error per invalid gate file (naming it), and
// how many gates lack a decider. history says whether head's parents were fetched: without them
// a decider not found before is left unknown and counted as missing.
func (r *gateReader) read(head *object.Commit, history bool) (gates []Gate, errs []error, missing int) {
	root, err := head.Tree()
	if err != nil {
		return nil, []error{fmt.Errorf("read gates of %s: %w", head.Hash, err)}, 0
	}
	dir, err := root.Tree(GatesDir)
	if errors.Is(err, object.ErrDirectoryNotFound) {
		return nil, nil, 0
	}
	if err != nil {
		return nil, []error{fmt.Errorf("read %s of %s: %w", GatesDir, head.Hash, err)}, 0
	}
	seen := map[string]bool{}
	err = dir.Files().ForEach(func(f *object.File) error {
		if len(gates)+len(errs) >= maxGates {
			errs = append(errs, fmt.Errorf("%s: more than %d files, the rest is ignored", GatesDir, maxGates))
			return io.EOF
		}
		p := GatesDir + "/" + f.Name
		g, err := r.gate(head, p, f, history)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
			return nil
		}
		gates = append(gates, g)
		seen[p+"@"+g.Blob] = true
		if _, known := r.deciders[p+"@"+g.Blob]; !known {
			missing++
		}
		return nil
	})
	if err != nil && !errors.Is(err, io.EOF) {
		errs = append(errs, fmt.Errorf("read %s of %s: %w", GatesDir, head.Hash, err))
	}
	for k := range r.deciders {
		if !seen[k] {
			delete(r.deciders, k)
		}
	}
	return gates, errs, missing
}

// gate reads one gate file and, when history was fetched, finds its decider.
func (r *gateReader) gate(head *object.Commit, p string, f *object.File, history bool) (Gate, error) {
	ns, name, kind, err := parseGatePath(p)
	if err != nil {
		return Gate{}, err
	}
	if !f.Mode.IsFile() || f.Mode == filemode.Symlink {
		return Gate{}, fmt.Errorf("not a regular file")
	}
	if f.Size > maxGateFile {
		return Gate{}, fmt.Errorf("gate file of %d bytes exceeds %d", f.Size, maxGateFile)
	}
	content, err := f.Contents()
	if err != nil {
		return Gate{}, err
	}
	gf, err := ParseGateFile([]byte(content))
	if err != nil {
		return Gate{}, err
	}
	g := Gate{Namespace: ns, Name: name, Kind: kind, GateFile: gf, Blob: f.Hash.String()}
	key := p + "@" + g.Blob
	d, ok := r.deciders[key]
	if !ok && history {
		d = r.decider(head, p, f.Hash.String())
		r.deciders[key] = d
	}
	g.Decider = d
	return g, nil
}

// decider walks first parents from head to the commit that wrote blob at p.
func (r *gateReader) decider(head *object.Commit, p, blob string) Decider {
	c := head
	for i := 0; i < r.depth; i++ {
		parent, err := c.Parent(0)
		if err != nil {
			if errors.Is(err, object.ErrParentNotFound) {
				return r.describe(c) // a root commit wrote it
			}
			return Decider{} // beyond the history fetched
		}
		if f, err := parent.File(p); err != nil || f.Hash.String() != blob {
			return r.describe(c)
		}
		c = parent
	}
	return Decider{}
}

// describe names the author of c and checks its SSH or OpenPGP signature. OpenPGP keys are
// checked for expiry and revocation at the time (the reader's clock) of the first read of the
// gate file's content.
func (r *gateReader) describe(c *object.Commit) Decider {
	d := Decider{Commit: c.Hash.String(), Name: c.Author.Name, Email: c.Author.Email}
	var s CommitSigner
	var err error
	switch {
	case c.PGPSignature == "":
		return d
	case IsSSHSignature(c.PGPSignature):
		s, err = VerifyCommitSSH(c, r.allowed)
	case IsOpenPGPSignature(c.PGPSignature):
		now := time.Now()
		if r.clock != nil {
			now = r.clock.Now()
		}
		s, err = VerifyCommitOpenPGP(c, r.allowed, now)
	default:
		d.SignatureError = "only SSH and OpenPGP signatures are verified"
		return d
	}
	if err != nil {
		d.SignatureError = strings.TrimPrefix(err.Error(), "verify commit "+c.Hash.String()+": ")
	} else {
		d.Signer = s
	}
	return d
}
