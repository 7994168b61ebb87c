package gitsource

import (
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/stretchr/testify/require"
)

func TestResolveListsWithoutFetching(t *testing.T) {
	fx := newFixture(t)
	first := fx.commit(t, map[string]string{"README.md": "one\n"})
	for _, r := range []Remote{fx.httpRemote(), fx.sshRemote()} {
		c, err := NewClient(r)
		require.NoError(t, err)
		main := plumbing.NewBranchReferenceName("main")

		h, err := c.Resolve(testContext(t), main)
		require.NoError(t, err, r.URL)
		require.Equal(t, first, h.String(), r.URL)

		second := fx.commit(t, map[string]string{"README.md": "two\n"})
		h, err = c.Resolve(testContext(t), main)
		require.NoError(t, err, r.URL)
		require.Equal(t, second, h.String(), "the moved branch, %s", r.URL)
		first = second

		_, err = c.Resolve(testContext(t), plumbing.NewBranchReferenceName("nope"))
		require.ErrorIs(t, err, ErrRefNotFound, r.URL)
	}
}

func TestResolveErrors(t *testing.T) {
	fx := newFixture(t)
	require.NoError(t, fx.srv.CreateRepo("empty", "main"))
	tests := []struct {
		name    string
		remote  Remote
		wantErr error
	}{
		{name: "wrong password", remote: Remote{URL: fx.srv.HTTPURL("app"), Auth: Auth{Username: testUser, Password: "wrong"}}, wantErr: ErrAuthentication},
		{name: "missing repository", remote: Remote{URL: fx.srv.HTTPURL("nope"), Auth: fx.httpRemote().Auth}, wantErr: ErrRepositoryNotFound},
		{name: "empty repository", remote: Remote{URL: fx.srv.HTTPURL("empty"), Auth: fx.httpRemote().Auth}, wantErr: ErrRefNotFound},
		{name: "unreachable host", remote: Remote{URL: "http://" + closedAddr(t) + "/app.git"}, wantErr: ErrUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.remote)
			require.NoError(t, err)
			_, err = c.Resolve(testContext(t), plumbing.NewBranchReferenceName("main"))
			require.ErrorIs(t, err, tt.wantErr)
			mustNotContain(t, err.Error(), "wrong")
		})
	}
}
