package walkthrough

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/e2e/gitserver"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Names of the walkthrough's repository and credentials.
const (
	RepoName          = "fleet"
	CredentialsSecret = "gitcanary-git"
	StatusBranch      = "gitcanary/status"
)

// InstallCRDs applies the flagger.app CRDs of manifests/crds, as kubectl apply -k
// manifests/install would, and waits until they are served.
func InstallCRDs(ctx context.Context, e *env.Env, root string) error {
	files, err := filepath.Glob(filepath.Join(root, "manifests", "crds", "flagger.app_*.yaml"))
	if err != nil || len(files) != 3 {
		return fmt.Errorf("find the CRDs in manifests/crds: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("read %s: %w", f, err)
		}
		if err := e.ApplyCRD(ctx, data); err != nil {
			return fmt.Errorf("apply %s: %w", f, err)
		}
	}
	return nil
}

// StartGit starts a Git server with basic auth and an empty repository RepoName, and writes the
// credentials Secret the controller reads into namespace.
func StartGit(ctx context.Context, kube kubernetes.Interface, namespace, user, password string) (*gitserver.Server, error) {
	srv, err := gitserver.Start(gitserver.Options{Username: user, Password: password, DenyNonFastForwards: true})
	if err != nil {
		return nil, err
	}
	if err := srv.CreateRepo(RepoName, "main"); err != nil {
		_ = srv.Close()
		return nil, err
	}
	_, err = kube.CoreV1().Secrets(namespace).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: CredentialsSecret, Namespace: namespace},
		Data:       map[string][]byte{"username": []byte(user), "password": []byte(password)},
	}, metav1.CreateOptions{})
	if err != nil {
		_ = srv.Close()
		return nil, fmt.Errorf("create Secret %s/%s: %w", namespace, CredentialsSecret, err)
	}
	return srv, nil
}

// Push commits the overlay's files to main, as a developer's git push, and returns the commit.
func Push(ctx context.Context, srv *gitserver.Server, message string, o Overlay) (string, error) {
	return srv.CommitFiles(ctx, RepoName, "main", gitserver.Change{Files: o, Message: message, Author: "Dev <dev@example.com>"})
}
