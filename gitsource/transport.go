package gitsource

import (
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
)

// go-git's own file transport runs the git-upload-pack and git-receive-pack programs of a Git
// installation. gitcanary never shells out to git: file:// repositories are served in-process by
// go-git's server-side transport instead, reading the repository on disk directly.
func init() {
	client.InstallProtocol("file", server.DefaultServer)
}
