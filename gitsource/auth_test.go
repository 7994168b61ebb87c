package gitsource

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

func TestAuthFromSecretData(t *testing.T) {
	identity, signer := newIdentity(t)
	_, other := newIdentity(t)
	encrypted := encryptedIdentity(t, "pass-phrase")
	knownHosts := []byte("github.com " + string(authorizedLine(signer)))
	tests := []struct {
		name    string
		data    map[string][]byte
		want    Auth
		wantErr string
	}{
		{name: "basic auth", data: map[string][]byte{"username": []byte("u"), "password": []byte("p")},
			want: Auth{Username: "u", Password: "p"}},
		{name: "bearer token", data: map[string][]byte{"bearerToken": []byte("tok")}, want: Auth{BearerToken: "tok"}},
		{name: "ssh", data: map[string][]byte{"identity": identity, "identity.pub": authorizedLine(signer), "known_hosts": knownHosts},
			want: Auth{Identity: identity, KnownHosts: knownHosts}},
		{name: "encrypted identity with passphrase", data: map[string][]byte{"identity": encrypted, "password": []byte("pass-phrase")},
			want: Auth{Identity: encrypted, Password: "pass-phrase"}},
		{name: "ca bundle under the legacy key", data: map[string][]byte{"caFile": []byte("PEM")}, want: Auth{CABundle: []byte("PEM")}},
		{name: "unknown keys are ignored", data: map[string][]byte{"other": []byte("x")}, want: Auth{}},
		{name: "encrypted identity without passphrase", data: map[string][]byte{"identity": encrypted},
			wantErr: "identity is encrypted and password (its passphrase) is empty"},
		{name: "wrong passphrase", data: map[string][]byte{"identity": encrypted, "password": []byte("nope-nope")},
			wantErr: "identity is not a usable private key"},
		{name: "garbage identity", data: map[string][]byte{"identity": []byte("not a key")}, wantErr: "identity is not a usable private key"},
		{name: "identity.pub of another key", data: map[string][]byte{"identity": identity, "identity.pub": authorizedLine(other)},
			wantErr: "identity.pub does not match identity"},
		{name: "identity.pub garbage", data: map[string][]byte{"identity": identity, "identity.pub": []byte("nope")},
			wantErr: "identity.pub does not parse"},
		{name: "known_hosts garbage", data: map[string][]byte{"known_hosts": []byte("github.com ssh-ed25519 !!!")},
			wantErr: "known_hosts does not parse"},
		{name: "password and bearer token", data: map[string][]byte{"password": []byte("p"), "bearerToken": []byte("t")},
			wantErr: "both password and bearerToken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AuthFromSecretData(tt.data)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, ErrInvalidAuth)
				require.ErrorContains(t, err, tt.wantErr)
				mustNotContain(t, err.Error(), "pass-phrase", "nope-nope")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func encryptedIdentity(t *testing.T, passphrase string) []byte {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(passphrase))
	require.NoError(t, err)
	return pem.EncodeToMemory(block)
}

func TestAuthNeverPrintsSecrets(t *testing.T) {
	identity, _ := newIdentity(t)
	a := Auth{Username: "bob", Password: testPassword, BearerToken: testToken, Identity: identity}
	for _, s := range []string{
		fmt.Sprint(a), fmt.Sprintf("%v %+v %#v %s %q", a, a, a, a, a), fmt.Sprint(&a), fmt.Sprint(a.MarshalLog()),
	} {
		mustNotContain(t, s, append([]string{testPassword, testToken}, a.secrets()...)...)
		require.Contains(t, s, "username=bob")
		require.Contains(t, s, "password=<redacted>")
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "https password", in: "https://bob:hunter2@example.com/a.git", want: "https://<redacted>@example.com/a.git"},
		{name: "https token as user", in: "https://ghp_abcdef@example.com/a.git", want: "https://<redacted>@example.com/a.git"},
		{name: "ssh user stays", in: "ssh://git@example.com/a.git", want: "ssh://git@example.com/a.git"},
		{name: "ssh password", in: "ssh://git:pw@example.com/a.git", want: "ssh://git:<redacted>@example.com/a.git"},
		{name: "no userinfo", in: "https://example.com/a.git", want: "https://example.com/a.git"},
		{name: "scp-like", in: "git@example.com:a.git", want: "git@example.com:a.git"},
		{name: "unparsable with password", in: "https://bob:pw@exa mple.com/%zz", want: "https://<redacted>@exa mple.com/%zz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, RedactURL(tt.in))
		})
	}
}

func TestNewClientCredentialsInURL(t *testing.T) {
	c, err := NewClient(Remote{URL: "https://bob:" + testPassword + "@example.com/a.git"})
	require.NoError(t, err)
	require.Equal(t, "https://example.com/a.git", c.url)
	require.Equal(t, "https://<redacted>@example.com/a.git", c.String())
	require.Contains(t, c.auth.String(), "bob")
	mustNotContain(t, c.auth.String(), testPassword)
	err = c.wrap(t.Context(), "fetch from", errors.New("server said "+testPassword))
	mustNotContain(t, err.Error(), testPassword)
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		push bool
		want error
	}{
		{name: "http 401", err: fmt.Errorf("%w: x", transport.ErrAuthenticationRequired), want: ErrAuthentication},
		{name: "http 403", err: transport.ErrAuthorizationFailed, want: ErrAuthentication},
		{name: "ssh auth", err: errors.New("ssh: handshake failed: ssh: unable to authenticate"), want: ErrAuthentication},
		{name: "host key", err: errors.New("ssh: handshake failed: knownhosts: key mismatch"), want: ErrHostKey},
		{name: "repository", err: transport.ErrRepositoryNotFound, want: ErrRepositoryNotFound},
		{name: "empty repository", err: transport.ErrEmptyRemoteRepository, want: ErrRefNotFound},
		{name: "missing ref", err: errors.New(`couldn't find remote ref "refs/heads/x"`), want: ErrRefNotFound},
		{name: "refused", err: errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), want: ErrUnreachable},
		{name: "dns", err: errors.New("dial tcp: lookup nope: no such host"), want: ErrUnreachable},
		{name: "timeout", err: errors.New("read tcp: i/o timeout"), want: ErrTimeout},
		{name: "require remote refs", err: errors.New("remote ref refs/heads/s required to be a but is b"), want: ErrPushRejected},
		{name: "server cas", err: errors.New("command error on refs/heads/s: fetch first"), want: ErrPushRejected},
		{name: "client non-ff", err: errors.New("non-fast-forward update: refs/heads/s"), want: ErrPushRejected},
		{name: "push with unknown remote head", err: errors.New("object not found"), push: true, want: ErrPushRejected},
		{name: "fetch with missing object", err: errors.New("object not found"), want: nil},
		{name: "other", err: errors.New("something else"), want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classify(tt.err)
			if tt.push {
				got = classifyPush(tt.err)
			}
			require.Equal(t, tt.want, got)
		})
	}
}
