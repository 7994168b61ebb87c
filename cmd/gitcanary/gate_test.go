package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/gitcanary/gitcanary/gitsource"
	"github.com/gitcanary/gitcanary/status/ledger"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

func TestGateCommands(t *testing.T) {
	srv, auth := ledgerServer(t)
	url := srv.HTTPURL("config")
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	require.NoError(t, os.WriteFile(filepath.Join(home, ".gitconfig"), []byte("[user]\n\tname = Alice\n\temail = alice@example.com\n"), 0o600))

	code, stdout, stderr := runCmd(t, "approve", "test/podinfo", "--repo", url, "--auth-dir", auth, "--note", "dashboards fine")
	require.Equal(t, exitOK, code, stderr)
	require.Regexp(t, `^approved the rollout of test/podinfo revision 3f2a1c9e5b7d: gates/test/podinfo/confirm-rollout.yaml committed to gitcanary/status as [0-9a-f]{7}\n$`, stdout)

	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKey(priv, "bob")
	require.NoError(t, err)
	keyFile := filepath.Join(t.TempDir(), "id_ed25519")
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600))
	pub, err := ssh.NewPublicKey(priv.Public())
	require.NoError(t, err)
	code, stdout, stderr = runCmd(t, "promote", "test/podinfo", "--revision", "ABCDEF1", "--repo", url, "--auth-dir", auth,
		"--author", "Bob <bob@example.com>", "--signing-key", keyFile)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "approved the promotion of test/podinfo revision abcdef1")

	allowed, err := ledger.ParseAllowedSigners([]byte("bob@example.com " + string(ssh.MarshalAuthorizedKey(pub))))
	require.NoError(t, err)
	remote := gitsource.Remote{URL: url, Auth: gitsource.Auth{Username: statusUser, Password: statusPassword}}
	gates, err := ledger.NewGates(remote, ledger.GatesOptions{AllowedSigners: allowed})
	require.NoError(t, err)
	require.NoError(t, gates.Refresh(context.Background()))
	rollout, ok := gates.Lookup("test", "podinfo", ledger.GateConfirmRollout)
	require.True(t, ok)
	require.Equal(t, ledger.GateFile{Revision: "3f2a1c9e5b7d", Note: "dashboards fine"}, rollout.GateFile)
	require.Equal(t, "Alice <alice@example.com> (unsigned)", rollout.Decider.String())
	promotion, ok := gates.Lookup("test", "podinfo", ledger.GateConfirmPromotion)
	require.True(t, ok)
	require.Equal(t, "abcdef1", promotion.Revision)
	require.Equal(t, "bob@example.com", promotion.Decider.Signer.Principal)

	code, _, stderr = runCmd(t, "abort", "test/podinfo", "--repo", url, "--auth-dir", auth)
	require.Equal(t, exitOK, code, stderr)
	_, ok = gates.Lookup("test", "podinfo", ledger.GateAbort)
	require.False(t, ok, "read before the abort")
	require.NoError(t, gates.Refresh(context.Background()))
	_, ok = gates.Lookup("test", "podinfo", ledger.GateAbort)
	require.True(t, ok)
}

func TestGateCommandErrors(t *testing.T) {
	srv, auth := ledgerServer(t)
	url := srv.HTTPURL("config")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	bad := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bad, "username"), []byte(statusUser), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(bad, "password"), []byte("wrong"), 0o600))
	garbageKey := filepath.Join(t.TempDir(), "key")
	require.NoError(t, os.WriteFile(garbageKey, []byte("garbage"), 0o600))
	author := "--author=Alice <alice@example.com>"
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "no repo", args: []string{"approve", "test/podinfo"}, wantCode: exitUsage, wantErr: "--repo is required"},
		{name: "no canary", args: []string{"approve", "--repo", url}, wantCode: exitUsage, wantErr: "want exactly one NAMESPACE/NAME"},
		{name: "not namespace/name", args: []string{"promote", "podinfo", "--repo", url}, wantCode: exitUsage, wantErr: `"podinfo" is not NAMESPACE/NAME`},
		{name: "no author anywhere", args: []string{"approve", "test/podinfo", "--repo", url, "--auth-dir", auth}, wantCode: exitFailure, wantErr: "no --author and no user.email"},
		{name: "bad author", args: []string{"approve", "test/podinfo", "--repo", url, "--author", "alice"}, wantCode: exitFailure, wantErr: `--author "alice"`},
		{name: "bad revision", args: []string{"approve", "test/podinfo", "--repo", url, "--auth-dir", auth, author, "--revision", "main"}, wantCode: exitFailure, wantErr: "7 to 64 lowercase hex digits"},
		{name: "unknown canary", args: []string{"approve", "test/nope", "--repo", url, "--auth-dir", auth, author}, wantCode: exitFailure, wantErr: "status/test/nope.yaml is not on the status branch"},
		{name: "wrong password", args: []string{"abort", "test/podinfo", "--repo", url, "--auth-dir", bad, author}, wantCode: exitFailure, wantErr: "authentication failed"},
		{name: "bad signing key", args: []string{"abort", "test/podinfo", "--repo", url, "--auth-dir", auth, author, "--signing-key", garbageKey}, wantCode: exitFailure, wantErr: "--signing-key " + garbageKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, tt.args...)
			require.Equal(t, tt.wantCode, code, stderr)
			require.Contains(t, stderr, tt.wantErr)
			require.NotContains(t, stderr, "wrong", "no password in the output")
		})
	}
}
