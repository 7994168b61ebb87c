package ledger

import (
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/e2e/gitserver"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

const sha = "3f2a1c9e5b7d4a1f0c2e3d4b5a6978695a4b3c2d"

func TestParseGateFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    GateFile
		wantErr string
	}{
		{name: "full revision and note", content: "revision: " + sha + "\nnote: dashboards look fine\n", want: GateFile{Revision: sha, Note: "dashboards look fine"}},
		{name: "abbreviated revision", content: "revision: 3f2a1c9\n", want: GateFile{Revision: "3f2a1c9"}},
		{name: "no revision", content: "note: yes\n", wantErr: `revision "": want the source commit`},
		{name: "too short", content: "revision: 3f2a1c\n", wantErr: "7 to 64 lowercase hex digits"},
		{name: "upper case", content: "revision: 3F2A1C9\n", wantErr: "7 to 64 lowercase hex digits"},
		{name: "not hex", content: "revision: main\n", wantErr: "7 to 64 lowercase hex digits"},
		{name: "unknown field", content: "revision: 3f2a1c9\napprover: alice\n", wantErr: "field approver not found"},
		{name: "not a mapping", content: "- revision\n", wantErr: "parse gate file"},
		{name: "note too long", content: "revision: 3f2a1c9\nnote: " + strings.Repeat("x", 1001) + "\n", wantErr: "note of 1001 characters exceeds 1000"},
		{name: "file too big", content: "revision: 3f2a1c9\n#" + strings.Repeat("x", 5000) + "\n", wantErr: "exceeds 4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseGateFile([]byte(tt.content))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestGateFileNames(t *testing.T) {
	require.True(t, GateFile{Revision: sha}.Names(sha))
	require.True(t, GateFile{Revision: "3f2a1c9"}.Names(sha))
	require.True(t, GateFile{Revision: "3f2a1c9"}.Names(strings.ToUpper(sha)))
	require.False(t, GateFile{Revision: "3f2a1c9"}.Names("aaaaaaa"+sha[7:]))
	require.False(t, GateFile{Revision: "3f2a1c9"}.Names(""), "an unknown revision is never decided")
	require.False(t, GateFile{Revision: "3f2a1"}.Names(sha), "too short to name a commit")
}

func TestParseGatePath(t *testing.T) {
	tests := []struct {
		path    string
		wantErr string
	}{
		{path: "gates/test/podinfo/confirm-rollout.yaml"},
		{path: "gates/test/podinfo/abort.yaml"},
		{path: "gates/test/podinfo/approve.yaml", wantErr: `unknown gate kind "approve"`},
		{path: "gates/test/podinfo.yaml", wantErr: "not a gate file"},
		{path: "gates/test/podinfo/x/abort.yaml", wantErr: "not a gate file"},
		{path: "gates/Test/podinfo/abort.yaml", wantErr: `namespace "Test"`},
		{path: "gates/test/Pod_info/abort.yaml", wantErr: `name "Pod_info"`},
		{path: "gates/test/podinfo/abort.yml", wantErr: "not a gate file"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			_, _, _, err := parseGatePath(tt.path)
			if tt.wantErr == "" {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, tt.wantErr)
			}
		})
	}
}

// TestGatesDecidersAndConsumption commits decisions as users would (one SSH-signed by an
// allowed signer, one unsigned, one by a key not allowed, invalid files), lets the ledger commit
// on top, reads them back with their deciders, and consumes two in a ledger commit.
func TestGatesDecidersAndConsumption(t *testing.T) {
	srv := newServer(t)
	ctx := testContext(t)
	alice, mallory := newSSHKey(t, "ed25519", ""), newSSHKey(t, "ed25519", "")
	allowed, err := ParseAllowedSigners([]byte("alice@example.com " + alice.line + "\n"))
	require.NoError(t, err)
	aliceSigner, err := NewSigner(map[string][]byte{"identity": alice.pem})
	require.NoError(t, err)
	mallorySigner, err := NewSigner(map[string][]byte{"identity": mallory.pem})
	require.NoError(t, err)
	l := waitingLedger(t, srv)
	aliceCommit := decide(t, srv, Decision{Namespace: "test", Name: "podinfo", Kind: GateConfirmRollout, Note: "looks good"},
		Signature{Name: "Alice", Email: "alice@example.com"}, aliceSigner)
	bobCommit := decide(t, srv, Decision{Namespace: "test", Name: "podinfo", Kind: GateConfirmPromotion, Revision: "3f2a1c9"},
		Signature{Name: "Bob", Email: "bob@example.com"}, nil)
	decide(t, srv, Decision{Namespace: "test", Name: "other", Kind: GateAbort, Revision: "aaaaaaa"},
		Signature{Name: "Alice", Email: "alice@example.com"}, mallorySigner)
	_, err = srv.CommitFiles(ctx, repoName, DefaultBranch, gitserver.Change{Files: map[string][]byte{
		"gates/test/broken/abort.yaml":         []byte("revision: main\n"),
		"gates/test/podinfo/approve.yaml":      []byte("revision: 3f2a1c9\n"),
		"gates/README.md":                      []byte("decisions live here\n"),
		"gates/test/podinfo/nested/abort.yaml": []byte("revision: 3f2a1c9\n"),
	}})
	require.NoError(t, err)
	for i := 0; i < 3; i++ { // the ledger goes on committing on top of the decisions
		require.NoError(t, l.Record(transition("test", "checkout", "Progressing", 5*(i+1), "Advance")))
		require.NoError(t, l.Flush(ctx))
	}

	g, err := NewGates(remoteOf(srv), GatesOptions{AllowedSigners: allowed})
	require.NoError(t, err)
	require.NoError(t, g.Refresh(ctx))
	require.Len(t, g.All(), 3, "the invalid files are ignored")
	rollout, ok := g.Lookup("test", "podinfo", GateConfirmRollout)
	require.True(t, ok)
	require.Equal(t, GateFile{Revision: sha, Note: "looks good"}, rollout.GateFile, "the revision defaults to the status file's sourceCommit")
	require.Equal(t, Decider{Commit: aliceCommit, Name: "Alice", Email: "alice@example.com",
		Signer: CommitSigner{Principal: "alice@example.com", Fingerprint: ssh.FingerprintSHA256(alice.signer.PublicKey())}}, rollout.Decider)
	promotion, ok := g.Lookup("test", "podinfo", GateConfirmPromotion)
	require.True(t, ok)
	require.Equal(t, "Bob <bob@example.com> (unsigned)", promotion.Decider.String())
	require.Equal(t, bobCommit, promotion.Decider.Commit)
	abort, ok := g.Lookup("test", "other", GateAbort)
	require.True(t, ok)
	require.Empty(t, abort.Decider.Signer.Principal, "a key outside the allowed signers verifies nobody")
	require.Contains(t, abort.Decider.String(), "signature not verified: signer not allowed: key SHA256:")
	_, ok = g.Lookup("test", "podinfo", GateAbort)
	require.False(t, ok)

	// Bob changes his mind before the ledger consumes his decision: the newer one is kept.
	decide(t, srv, Decision{Namespace: "test", Name: "podinfo", Kind: GateConfirmPromotion, Revision: "3f2a1c9e"},
		Signature{Name: "Bob", Email: "bob@example.com"}, nil)
	l.ConsumeGate(rollout)
	l.ConsumeGate(promotion)
	require.NoError(t, l.Record(transition("test", "podinfo", "Progressing", 0, "New revision detected! Scaling up podinfo.test")))
	require.NoError(t, l.Flush(ctx))

	s := branchHistory(t, srv, DefaultBranch)
	h, err := s.History("test/podinfo")
	require.NoError(t, err)
	require.Contains(t, h[0].Summary, "rollout approved by Alice <alice@example.com> (signed by alice@example.com, SHA256:")
	require.Contains(t, h[0].Summary, "promotion approved by Bob <bob@example.com> (unsigned)")
	require.Contains(t, s.head.Message, "Gate: confirm-rollout "+sha+"\nDecided-By: Alice <alice@example.com>\nDecision-Commit: "+aliceCommit+"\nSigned-By: alice@example.com SHA256:")
	_, err = s.head.File(GatePath("test", "podinfo", GateConfirmRollout))
	require.Error(t, err, "the consumed decision is removed")
	_, err = s.head.File(GatePath("test", "podinfo", GateConfirmPromotion))
	require.NoError(t, err, "a decision rewritten after it was read is kept")
	_, err = s.head.File(GatePath("test", "other", GateAbort))
	require.NoError(t, err)
	_, err = s.head.File("gates/README.md")
	require.NoError(t, err, "other files under gates/ are kept")

	// A restarted reader sees what Git holds, nothing more.
	g2, err := NewGates(remoteOf(srv), GatesOptions{AllowedSigners: allowed})
	require.NoError(t, err)
	require.NoError(t, g2.Refresh(ctx))
	_, ok = g2.Lookup("test", "podinfo", GateConfirmRollout)
	require.False(t, ok)
	p, ok := g2.Lookup("test", "podinfo", GateConfirmPromotion)
	require.True(t, ok)
	require.Equal(t, "3f2a1c9e", p.Revision)
	require.Equal(t, s.Commit(), g2.Head())
}

func TestConsumeGateAloneCommits(t *testing.T) {
	srv := newServer(t)
	ctx := testContext(t)
	l := newLedger(t, srv, Options{Window: time.Millisecond})
	require.NoError(t, l.Record(transition("test", "podinfo", "Progressing", 10, "Advance podinfo.test canary weight 10")))
	require.NoError(t, l.Flush(ctx))
	_, _, err := CommitDecision(ctx, remoteOf(srv), Decision{Namespace: "test", Name: "podinfo", Kind: GateAbort},
		DecisionOptions{Author: Signature{Name: "Carol", Email: "carol@example.com"}})
	require.NoError(t, err)
	g, err := NewGates(remoteOf(srv), GatesOptions{})
	require.NoError(t, err)
	require.NoError(t, g.Refresh(ctx))
	abort, ok := g.Lookup("test", "podinfo", GateAbort)
	require.True(t, ok)
	l.ConsumeGate(abort)
	require.NoError(t, l.Flush(ctx))
	s := branchHistory(t, srv, DefaultBranch)
	require.Equal(t, "test/podinfo: Progressing (weight 10, source 3f2a1c9, aborted by Carol <carol@example.com> (unsigned))",
		strings.SplitN(s.head.Message, "\n", 2)[0])
	_, err = s.head.File(GatePath("test", "podinfo", GateAbort))
	require.Error(t, err)
	_, err = s.head.File("gates")
	require.Error(t, err, "empty directories go with the file")
	st, err := s.Statuses()
	require.NoError(t, err)
	require.Len(t, st, 1)
	require.Equal(t, "Progressing", st[0].Phase, "the status file is unchanged")
}

func TestCommitDecisionErrors(t *testing.T) {
	srv := newServer(t)
	ctx := testContext(t)
	_, _, err := CommitDecision(ctx, remoteOf(srv), Decision{Namespace: "test", Name: "podinfo", Kind: GateAbort}, DecisionOptions{})
	require.ErrorContains(t, err, "the status branch does not exist: pass the source commit")
	_, _, err = CommitDecision(ctx, remoteOf(srv), Decision{Namespace: "test", Name: "podinfo", Kind: "approve", Revision: "3f2a1c9"}, DecisionOptions{})
	require.ErrorContains(t, err, `unknown gate kind "approve"`)
	_, _, err = CommitDecision(ctx, remoteOf(srv), Decision{Namespace: "Test", Name: "podinfo", Kind: GateAbort, Revision: "3f2a1c9"}, DecisionOptions{})
	require.ErrorIs(t, err, ErrInvalidTransition)
	_, _, err = CommitDecision(ctx, remoteOf(srv), Decision{Namespace: "test", Name: "podinfo", Kind: GateAbort, Revision: "HEAD"}, DecisionOptions{})
	require.ErrorContains(t, err, "7 to 64 lowercase hex digits")
	l := newLedger(t, srv, Options{})
	require.NoError(t, l.Record(transition("test", "other", "Progressing", 10, "Advance")))
	require.NoError(t, l.Flush(ctx))
	_, _, err = CommitDecision(ctx, remoteOf(srv), Decision{Namespace: "test", Name: "podinfo", Kind: GateAbort}, DecisionOptions{})
	require.ErrorContains(t, err, "status/test/podinfo.yaml is not on the status branch")
	commit, gf, err := CommitDecision(ctx, remoteOf(srv), Decision{Namespace: "test", Name: "podinfo", Kind: GateAbort, Revision: "3f2a1c9"}, DecisionOptions{})
	require.NoError(t, err)
	require.Equal(t, "3f2a1c9", gf.Revision)
	require.Equal(t, commit, branchHistory(t, srv, DefaultBranch).Commit())
	require.Equal(t, 1, requireNoForcePush(t, srv, DefaultBranch), "the decision fast-forwards the ledger's commit")
}

func TestNote(t *testing.T) {
	srv := newServer(t)
	ctx := testContext(t)
	l := newLedger(t, srv, Options{})
	require.NoError(t, l.Record(transition("test", "podinfo", "Failed", 0, "Canary failed! Scaling down podinfo.test")))
	require.NoError(t, l.Flush(ctx))
	require.NoError(t, l.Note(Note{Namespace: "test", Name: "podinfo", Text: "not reverted: the overlay changed\nsince the failed revision",
		Trailers: []KeyValue{{Key: "Revert-Refused", Value: "apps/podinfo at 1234567 renders differently"}}}))
	require.ErrorIs(t, l.Note(Note{Namespace: "Test", Name: "podinfo"}), ErrInvalidTransition)
	require.NoError(t, l.Flush(ctx))
	s := branchHistory(t, srv, DefaultBranch)
	require.Equal(t, "test/podinfo: Failed (rolled back ghcr.io/stefanprodan/podinfo:6.0.1, source 3f2a1c9, not reverted: the overlay changed since the failed revision)\n\n"+
		"Canary: test/podinfo\nPhase: Failed\nSource-Commit: "+sha+"\nRevert-Refused: apps/podinfo at 1234567 renders differently\n", s.head.Message)
	h, err := s.History("test/podinfo")
	require.NoError(t, err)
	require.Len(t, h, 2, "the note's commit is in the canary's history")
}

func TestLastRollback(t *testing.T) {
	srv := newServer(t)
	ctx := testContext(t)
	l := newLedger(t, srv, Options{})
	record := func(phase, src string) {
		tr := transition("test", "podinfo", phase, 0, phase)
		tr.SourceCommit = src
		require.NoError(t, l.Record(tr))
		require.NoError(t, l.Flush(ctx))
	}
	record("Initialized", "aaaaaaa")
	record("Progressing", "ddddddd")
	record("Failed", "ddddddd")
	s := branchHistory(t, srv, DefaultBranch)
	r, ok, err := s.LastRollback("test/podinfo")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, Rollback{Promoted: "aaaaaaa", Failed: "ddddddd", LedgerCommit: s.Commit()}, r, "never promoted: the initial revision")

	record("Progressing", "bbbbbbb")
	record("Succeeded", "bbbbbbb")
	record("Initialized", "ccccccc") // a restarted controller records the canary again
	record("Waiting", "eeeeeee")
	record("Progressing", "eeeeeee")
	record("Progressing", "fffffff") // a newer commit re-applied the overlay mid-analysis
	record("Failed", "fffffff")
	s = branchHistory(t, srv, DefaultBranch)
	r, ok, err = s.LastRollback("test/podinfo")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, Rollback{Promoted: "bbbbbbb", Failed: "eeeeeee", LedgerCommit: s.Commit()}, r,
		"the failed revision is the commit that started the analysis")
	_, ok, err = s.LastRollback("test/other")
	require.NoError(t, err)
	require.False(t, ok)
}
