package env

import (
	"fmt"
	"os"

	"k8s.io/client-go/rest"
)

// kubeconfigTemplate is an admin kubeconfig with client certificate files.
const kubeconfigTemplate = `apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: admin
  user:
    client-certificate: %s
    client-key: %s
contexts:
- name: e2e
  context:
    cluster: e2e
    user: admin
    namespace: default
current-context: e2e
`

// writeKubeconfig writes the admin kubeconfig for server to path.
func writeKubeconfig(path, server string, pki *PKI) error {
	data := fmt.Sprintf(kubeconfigTemplate, server, pki.CACert, pki.AdminCert, pki.AdminKey)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return nil
}

// adminConfig is the admin rest.Config for server.
func adminConfig(server string, pki *PKI) *rest.Config {
	return &rest.Config{
		Host: server,
		TLSClientConfig: rest.TLSClientConfig{
			CAFile:   pki.CACert,
			CertFile: pki.AdminCert,
			KeyFile:  pki.AdminKey,
		},
		QPS:   200,
		Burst: 400,
	}
}
