package gitserver

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/pktline"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// negotiation answers the "have" lines of an upload-pack request as git's upload-pack does
// (gitprotocol-pack, "Packfile Negotiation"), in one of two modes:
//   - multi_ack_detailed, which the git CLI asks for: "ACK <id> common" for every have the
//     repository holds, "NAK" at the end of every round (a flush), and "ACK <last common>"
//     (or "NAK" when nothing was common) on "done";
//   - the basic mode, which go-git uses: "ACK <id>" for the first common have only, "NAK" at a
//     flush while nothing is common, and "NAK" on "done" when nothing was common.
//
// It never sends "ready" (the client negotiates until it sends "done"), so no-done is not
// advertised.
//
// Over smart HTTP every request is one round: wants, the haves the client already knows to be
// common, a new batch of haves, then a flush (the client expects the round's answers and sends
// another request) or "done" (it expects the final answer and the pack). Over SSH the rounds
// follow each other on one connection. Both are the same loop: answer each flush, keep reading,
// and send a pack only after "done"; the end of the request before "done" ends the response.
// go-git sends its haves, a flush and "done" in one request, which the loop also serves.
type negotiation struct {
	enc      *pktline.Encoder
	objects  storer.EncodedObjectStorer
	detailed bool
	// common lists the haves the repository holds, in the order the client sent them.
	common []plumbing.Hash
	seen   map[plumbing.Hash]bool
}

func newNegotiation(enc *pktline.Encoder, objects storer.EncodedObjectStorer, detailed bool) *negotiation {
	return &negotiation{enc: enc, objects: objects, detailed: detailed, seen: map[plumbing.Hash]bool{}}
}

// run reads have lines, flushes and "done" from sc and answers them. done is true when the client
// sent "done" and now expects the pack.
func (n *negotiation) run(sc *pktline.Scanner) (done bool, err error) {
	for sc.Scan() {
		line := bytes.TrimSuffix(sc.Bytes(), []byte("\n"))
		switch {
		case len(line) == 0:
			err = n.flush()
		case bytes.Equal(line, []byte("done")):
			return true, n.done()
		case bytes.HasPrefix(line, []byte("have ")):
			err = n.have(string(line[len("have "):]))
		default:
			err = fmt.Errorf("negotiation: unexpected line %q", line)
		}
		if err != nil {
			return false, err
		}
	}
	return false, sc.Err()
}

// have answers one have line.
func (n *negotiation) have(hex string) error {
	if len(hex) != 40 || plumbing.NewHash(hex).String() != hex {
		return fmt.Errorf("negotiation: bad have %q", hex)
	}
	h := plumbing.NewHash(hex)
	// Not HasEncodedObject: with ExclusiveAccess, go-git's filesystem storage answers it from
	// the loose objects only.
	if _, err := n.objects.EncodedObject(plumbing.AnyObject, h); err != nil {
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil
		}
		return fmt.Errorf("negotiation: look up have %s: %w", h, err)
	}
	if n.detailed {
		n.add(h)
		return n.enc.Encodef("ACK %s common\n", h)
	}
	if n.add(h) && len(n.common) == 1 {
		return n.enc.Encodef("ACK %s\n", h)
	}
	return nil
}

// add records a common have; it reports whether h was new.
func (n *negotiation) add(h plumbing.Hash) bool {
	if n.seen[h] {
		return false
	}
	n.seen[h] = true
	n.common = append(n.common, h)
	return true
}

// flush answers the end of a round.
func (n *negotiation) flush() error {
	if n.detailed || len(n.common) == 0 {
		return n.enc.Encodef("NAK\n")
	}
	return nil
}

// done answers the client's "done", before the pack.
func (n *negotiation) done() error {
	switch {
	case len(n.common) == 0:
		return n.enc.Encodef("NAK\n")
	case n.detailed:
		return n.enc.Encodef("ACK %s\n", n.common[len(n.common)-1])
	}
	return nil
}
