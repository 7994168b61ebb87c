package ledger

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"golang.org/x/crypto/ssh"
)

// AllowedSigners are the keys whose signatures are verified, with who they sign for: SSH keys
// and their principals, in the format of Git's gpg.ssh.allowedSignersFile (ssh-keygen(1),
// ALLOWED SIGNERS), one line per key,
//
//	principals [namespaces="git,..."] keytype base64-key [comment]
//
// where principals is a comma-separated list of names or patterns (usually e-mail addresses)
// — the options cert-authority, valid-after and valid-before are refused rather than ignored —
// and OpenPGP public keys, added by AddOpenPGPKeys. The zero value allows no one.
type AllowedSigners struct {
	entries []allowedSigner
	openpgp openpgp.EntityList
}

type allowedSigner struct {
	principals []string
	key        ssh.PublicKey
	namespaces []string // empty: every namespace
}

// ParseAllowedSigners reads an allowed-signers file. Empty lines and lines starting with # are
// skipped; an invalid line is an error naming its number.
func ParseAllowedSigners(b []byte) (*AllowedSigners, error) {
	var a AllowedSigners
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, err := parseAllowedSigner(line)
		if err != nil {
			return nil, fmt.Errorf("allowed signers line %d: %w", n, err)
		}
		a.entries = append(a.entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read allowed signers: %w", err)
	}
	return &a, nil
}

func parseAllowedSigner(line string) (allowedSigner, error) {
	principals, rest, ok := strings.Cut(line, " ")
	if !ok {
		principals, rest, _ = strings.Cut(line, "\t")
	}
	var e allowedSigner
	for _, p := range strings.Split(strings.Trim(principals, `"`), ",") {
		if p = strings.TrimSpace(p); p != "" {
			e.principals = append(e.principals, p)
		}
	}
	if len(e.principals) == 0 {
		return e, fmt.Errorf("no principal")
	}
	key, _, options, _, err := ssh.ParseAuthorizedKey([]byte(strings.TrimSpace(rest)))
	if err != nil {
		return e, fmt.Errorf("key of %s: %w", principals, err)
	}
	e.key = key
	for _, o := range options {
		name, value, _ := strings.Cut(o, "=")
		switch strings.ToLower(name) {
		case "namespaces":
			e.namespaces = strings.Split(strings.Trim(value, `"`), ",")
		default:
			return e, fmt.Errorf("option %q is not supported", name)
		}
	}
	return e, nil
}

// Principal returns the first principal that key may sign for in namespace, and whether there
// is one.
func (a *AllowedSigners) Principal(key ssh.PublicKey, namespace string) (string, bool) {
	if a == nil {
		return "", false
	}
	want := key.Marshal()
	for _, e := range a.entries {
		if !bytes.Equal(e.key.Marshal(), want) || !allowsNamespace(e.namespaces, namespace) {
			continue
		}
		return e.principals[0], true
	}
	return "", false
}

func allowsNamespace(patterns []string, namespace string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if ok, _ := path.Match(strings.TrimSpace(p), namespace); ok {
			return true
		}
	}
	return false
}

// CommitSigner is who signed a commit, as far as its SSH or OpenPGP signature shows.
type CommitSigner struct {
	// Principal is the allowed signer the key belongs to, such as alice@example.com: the
	// allowed signers' principal of an SSH key, the primary identity's e-mail address of an
	// OpenPGP key.
	Principal string
	// Fingerprint names the key: "SHA256:…" for SSH keys, as ssh-keygen prints it;
	// "OpenPGP:" and the primary key's fingerprint in uppercase hex for OpenPGP keys, as GnuPG
	// prints it without spaces (VerifyCommitOpenPGP).
	Fingerprint string
}

// VerifyCommitSSH checks a commit's SSH signature (Git's gpg.format=ssh, namespace "git") and
// returns its signer. It returns ErrBadSSHSignature when the commit has no SSH signature or the
// signature does not verify, and ErrUntrustedSigner (with the signer's fingerprint filled in)
// when the key is not in allowed.
func VerifyCommitSSH(c *object.Commit, allowed *AllowedSigners) (CommitSigner, error) {
	if !IsSSHSignature(c.PGPSignature) {
		return CommitSigner{}, fmt.Errorf("verify commit %s: %w: not SSH-signed", c.Hash, ErrBadSSHSignature)
	}
	msg, err := encodeWithoutSignature(c)
	if err != nil {
		return CommitSigner{}, fmt.Errorf("verify commit %s: %w", c.Hash, err)
	}
	key, err := VerifySSHSignature([]byte(c.PGPSignature), msg, GitSSHNamespace)
	if err != nil {
		return CommitSigner{}, fmt.Errorf("verify commit %s: %w", c.Hash, err)
	}
	s := CommitSigner{Fingerprint: ssh.FingerprintSHA256(key)}
	p, ok := allowed.Principal(key, GitSSHNamespace)
	if !ok {
		return s, fmt.Errorf("verify commit %s: %w: key %s", c.Hash, ErrUntrustedSigner, s.Fingerprint)
	}
	s.Principal = p
	return s, nil
}

// encodeWithoutSignature is what a commit's signature signs: the commit object without its
// gpgsig header.
func encodeWithoutSignature(c *object.Commit) ([]byte, error) {
	enc := &plumbing.MemoryObject{}
	if err := c.EncodeWithoutSignature(enc); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	r, err := enc.Reader()
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return b, nil
}
