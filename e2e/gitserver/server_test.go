package gitserver

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"testing"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

func TestCloneOverEveryTransport(t *testing.T) {
	s, client := startServer(t, Options{})
	tests := []struct {
		name string
		url  string
		auth transport.AuthMethod
	}{
		{name: "http basic auth", url: s.HTTPURL("demo"), auth: &githttp.BasicAuth{Username: testUser, Password: testPassword}},
		{name: "ssh key", url: s.SSHURL("demo"), auth: sshAuth(client, s.HostKey())},
		{name: "file", url: s.FileURL("demo")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := clone(t, tt.url, tt.auth, 0)
			require.NoError(t, err)
			require.Equal(t, "hello\n", readFile(t, r, "README.md"))
		})
	}
}

func TestRefusedClients(t *testing.T) {
	s, client := startServer(t, Options{})
	_, stranger, err := generateSigner()
	require.NoError(t, err)
	_, otherHost, err := generateSigner()
	require.NoError(t, err)
	tests := []struct {
		name    string
		url     string
		auth    transport.AuthMethod
		wantErr string
	}{
		{name: "no credentials", url: s.HTTPURL("demo"), wantErr: transport.ErrAuthenticationRequired.Error()},
		{name: "wrong password", url: s.HTTPURL("demo"), auth: &githttp.BasicAuth{Username: testUser, Password: "nope"},
			wantErr: transport.ErrAuthenticationRequired.Error()},
		{name: "unknown repository", url: s.HTTPURL("nope"), auth: &githttp.BasicAuth{Username: testUser, Password: testPassword},
			wantErr: transport.ErrRepositoryNotFound.Error()},
		{name: "ssh key not authorised", url: s.SSHURL("demo"), auth: sshAuth(stranger, s.HostKey()), wantErr: "unable to authenticate"},
		{name: "ssh wrong host key", url: s.SSHURL("demo"), auth: sshAuth(client, otherHost.PublicKey()), wantErr: "host key mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := clone(t, tt.url, tt.auth, 0)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func generateSigner() (ssh.PublicKey, ssh.Signer, error) {
	signer, err := newHostKey()
	if err != nil {
		return nil, nil, err
	}
	return signer.PublicKey(), signer, nil
}

func TestBearerToken(t *testing.T) {
	s, err := Start(Options{BearerToken: "tok-123"})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	require.NoError(t, s.CreateRepo("demo", "main"))
	_, err = s.CommitFiles(testContext(t), "demo", "main", Change{Files: map[string][]byte{"a": []byte("1")}})
	require.NoError(t, err)
	r, err := clone(t, s.HTTPURL("demo"), &githttp.TokenAuth{Token: "tok-123"}, 0)
	require.NoError(t, err)
	require.Equal(t, "1", readFile(t, r, "a"))
	_, err = clone(t, s.HTTPURL("demo"), &githttp.TokenAuth{Token: "wrong"}, 0)
	require.ErrorIs(t, err, transport.ErrAuthenticationRequired)
}

func TestShallowFetchFollowsNewCommits(t *testing.T) {
	s, _ := startServer(t, Options{})
	ctx := testContext(t)
	for i := range 3 {
		_, err := s.CommitFiles(ctx, "demo", "main", Change{Files: map[string][]byte{"n": []byte(fmt.Sprint(i))}})
		require.NoError(t, err)
	}
	auth := &githttp.BasicAuth{Username: testUser, Password: testPassword}
	r, err := clone(t, s.HTTPURL("demo"), auth, 1)
	require.NoError(t, err)
	shallow, err := r.Storer.Shallow()
	require.NoError(t, err)
	head, err := s.Head("demo", "main")
	require.NoError(t, err)
	require.Equal(t, []plumbing.Hash{plumbing.NewHash(head)}, shallow)

	next, err := s.CommitFiles(ctx, "demo", "main", Change{Files: map[string][]byte{"n": []byte("new"), "README.md": nil}})
	require.NoError(t, err)
	err = r.FetchContext(ctx, &git.FetchOptions{Auth: auth, Depth: 1, Force: true,
		RefSpecs: []config.RefSpec{"+refs/heads/main:refs/remotes/origin/main"}})
	require.NoError(t, err)
	ref, err := r.Reference("refs/remotes/origin/main", true)
	require.NoError(t, err)
	require.Equal(t, next, ref.Hash().String())
	c, err := r.CommitObject(ref.Hash())
	require.NoError(t, err)
	f, err := c.File("n")
	require.NoError(t, err)
	content, err := f.Contents()
	require.NoError(t, err)
	require.Equal(t, "new", content)
	_, err = c.File("README.md")
	require.ErrorIs(t, err, object.ErrFileNotFound)
}

func TestStaleOldValueIsRefused(t *testing.T) {
	s, _ := startServer(t, Options{})
	first, err := s.Head("demo", "main")
	require.NoError(t, err)
	second, err := s.CommitFiles(testContext(t), "demo", "main", Change{Files: map[string][]byte{"b": []byte("2")}})
	require.NoError(t, err)
	r, err := s.repo("demo")
	require.NoError(t, err)

	// A client that still believes main is at first tries to move it back there.
	status := rawPush(t, r, plumbing.NewHash(first), plumbing.NewHash(first), false)
	require.Equal(t, reasonStale, status)
	head, err := s.Head("demo", "main")
	require.NoError(t, err)
	require.Equal(t, second, head)
}

func TestNonFastForward(t *testing.T) {
	tests := []struct {
		name       string
		deny       bool
		wantStatus string
	}{
		{name: "allowed by default, and recorded", deny: false, wantStatus: "ok"},
		{name: "refused when denied", deny: true, wantStatus: reasonNonFastForwad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := startServer(t, Options{DenyNonFastForwards: tt.deny})
			first, err := s.Head("demo", "main")
			require.NoError(t, err)
			second, err := s.CommitFiles(testContext(t), "demo", "main", Change{Files: map[string][]byte{"b": []byte("2")}})
			require.NoError(t, err)
			r, err := s.repo("demo")
			require.NoError(t, err)
			// A forced push: the old value is current, the new commit is not a descendant.
			status := rawPush(t, r, plumbing.NewHash(second), plumbing.NewHash(first), tt.deny)
			require.Equal(t, tt.wantStatus, status)
			updates, err := s.RefUpdates("demo")
			require.NoError(t, err)
			last := updates[len(updates)-1]
			if tt.deny {
				require.Equal(t, second, last.New)
				return
			}
			require.Equal(t, RefUpdate{Ref: "refs/heads/main", Old: second, New: first, Time: last.Time}, last)
		})
	}
}

// rawPush sends one update of refs/heads/main from old to new with an empty pack, bypassing
// go-git's client-side checks, and returns the command's status.
func rawPush(t *testing.T, r *repo, old, tip plumbing.Hash, deny bool) string {
	t.Helper()
	var pack bytes.Buffer
	_, err := packfile.NewEncoder(&pack, memory.NewStorage(), false).Encode(nil, 0)
	require.NoError(t, err)
	req := packp.NewReferenceUpdateRequest()
	require.NoError(t, req.Capabilities.Set(capability.ReportStatus))
	req.Commands = []*packp.Command{{Name: "refs/heads/main", Old: old, New: tip}}
	req.Packfile = io.NopCloser(&pack)
	var body, out bytes.Buffer
	require.NoError(t, req.Encode(&body))
	_, err = r.receivePack(context.Background(), &out, &body, deny)
	require.NoError(t, err)
	rs := packp.NewReportStatus()
	require.NoError(t, rs.Decode(&out))
	require.Len(t, rs.CommandStatuses, 1)
	return rs.CommandStatuses[0].Status
}

func TestStopAndRestartOnSamePort(t *testing.T) {
	s, _ := startServer(t, Options{})
	auth := &githttp.BasicAuth{Username: testUser, Password: testPassword}
	addr := s.HTTPAddr()
	require.NoError(t, s.Stop())
	require.ErrorIs(t, s.Stop(), ErrNotRunning)
	_, err := clone(t, s.HTTPURL("demo"), auth, 0)
	require.ErrorContains(t, err, "connection refused")

	require.NoError(t, s.Restart())
	require.ErrorIs(t, s.Restart(), ErrRunning)
	require.Equal(t, addr, s.HTTPAddr())
	r, err := clone(t, s.HTTPURL("demo"), auth, 0)
	require.NoError(t, err)
	require.Equal(t, "hello\n", readFile(t, r, "README.md"))
}

func TestConcurrentCommitFilesLoseNothing(t *testing.T) {
	s, _ := startServer(t, Options{DenyNonFastForwards: true})
	ctx := testContext(t)
	const writers, commits = 4, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers*commits)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range commits {
				path := fmt.Sprintf("w%d/%d", w, i)
				_, err := s.CommitFiles(ctx, "demo", "main", Change{Files: map[string][]byte{path: []byte(path)}})
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	r, err := clone(t, s.HTTPURL("demo"), &githttp.BasicAuth{Username: testUser, Password: testPassword}, 0)
	require.NoError(t, err)
	for w := range writers {
		for i := range commits {
			path := fmt.Sprintf("w%d/%d", w, i)
			require.Equal(t, path, readFile(t, r, path))
		}
	}
	updates, err := s.RefUpdates("demo")
	require.NoError(t, err)
	require.Len(t, updates, 1+writers*commits)
}

func TestCreateRepoErrors(t *testing.T) {
	s, err := Start(Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	require.NoError(t, s.CreateRepo("team/app", ""))
	require.ErrorIs(t, s.CreateRepo("team/app", "main"), ErrRepoExists)
	_, err = s.Head("missing", "main")
	require.ErrorIs(t, err, ErrRepoNotFound)
	_, err = s.Head("team/app", "main")
	require.ErrorIs(t, err, plumbing.ErrReferenceNotFound)
	_, err = s.CommitFiles(testContext(t), "missing", "main", Change{})
	require.ErrorIs(t, err, ErrRepoNotFound)
}

func TestValidName(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr bool
	}{
		{name: "plain", in: "demo", want: "demo"},
		{name: "suffix and slashes", in: "/team/app.git", want: "team/app"},
		{name: "empty", in: "", wantErr: true},
		{name: "parent", in: "../x", wantErr: true},
		{name: "inner parent", in: "a/../../x", wantErr: true},
		{name: "odd characters", in: "a b", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := validName(tt.in)
			if tt.wantErr {
				require.ErrorIs(t, err, ErrInvalidRepoName)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseSSHCommand(t *testing.T) {
	tests := []struct {
		name        string
		raw         string
		wantService string
		wantName    string
		wantErr     bool
	}{
		{name: "upload-pack", raw: "git-upload-pack '/demo.git'", wantService: serviceUploadPack, wantName: "/demo.git"},
		{name: "receive-pack", raw: "git-receive-pack 'demo'", wantService: serviceReceivePack, wantName: "demo"},
		{name: "shell", raw: "sh -c id", wantErr: true},
		{name: "no argument", raw: "git-upload-pack", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			service, name, err := parseSSHCommand(tt.raw)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantService, service)
			require.Equal(t, tt.wantName, name)
		})
	}
}

func TestKnownHostsNamesTheListener(t *testing.T) {
	s, _ := startServer(t, Options{})
	_, hosts, key, _, rest, err := ssh.ParseKnownHosts(s.KnownHosts())
	require.NoError(t, err)
	require.Empty(t, rest)
	require.Equal(t, []string{"[" + "127.0.0.1]:" + s.SSHAddr()[len("127.0.0.1:"):]}, hosts)
	require.Equal(t, s.HostKey().Marshal(), key.Marshal())
}

// thinPackWithMissingBase is a pack of one REF_DELTA object whose base no one has.
func thinPackWithMissingBase(t *testing.T) []byte {
	t.Helper()
	var delta bytes.Buffer
	delta.Write([]byte{5, 3, 3}) // base size 5, result size 3, insert 3 bytes:
	delta.WriteString("new")
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, err := zw.Write(delta.Bytes())
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	var pack bytes.Buffer
	pack.WriteString("PACK")
	require.NoError(t, binary.Write(&pack, binary.BigEndian, [2]uint32{2, 1}))
	pack.WriteByte(byte(plumbing.REFDeltaObject)<<4 | byte(delta.Len()))
	missing := plumbing.NewHash("0123456789abcdef0123456789abcdef01234567")
	pack.Write(missing[:])
	pack.Write(z.Bytes())
	sum := sha1.Sum(pack.Bytes())
	pack.Write(sum[:])
	return pack.Bytes()
}

func TestUnpackFailureRefusesEveryCommand(t *testing.T) {
	s, _ := startServer(t, Options{})
	before, err := s.Head("demo", "main")
	require.NoError(t, err)
	r, err := s.repo("demo")
	require.NoError(t, err)
	req := packp.NewReferenceUpdateRequest()
	require.NoError(t, req.Capabilities.Set(capability.ReportStatus))
	req.Commands = []*packp.Command{
		{Name: "refs/heads/main", Old: plumbing.NewHash(before), New: plumbing.NewHash("89abcdef0123456789abcdef0123456789abcdef")},
		{Name: "refs/heads/other", New: plumbing.NewHash("89abcdef0123456789abcdef0123456789abcdef")},
	}
	req.Packfile = io.NopCloser(bytes.NewReader(thinPackWithMissingBase(t)))
	var body, out bytes.Buffer
	require.NoError(t, req.Encode(&body))
	_, err = r.receivePack(context.Background(), &out, &body, false)
	require.ErrorIs(t, err, plumbing.ErrObjectNotFound)

	rs := packp.NewReportStatus()
	require.NoError(t, rs.Decode(&out))
	require.Contains(t, rs.UnpackStatus, "unpack failed")
	require.Contains(t, rs.UnpackStatus, "delta base 0123456789abcdef0123456789abcdef01234567")
	require.Len(t, rs.CommandStatuses, 2)
	for _, cs := range rs.CommandStatuses {
		require.Equal(t, "unpacker error", cs.Status, cs.ReferenceName)
	}
	after, err := s.Head("demo", "main")
	require.NoError(t, err)
	require.Equal(t, before, after, "nothing applied")
}
