package env

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	block, _ := pem.Decode(data)
	require.NotNil(t, block, path)
	c, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	return c
}

func TestNewPKI(t *testing.T) {
	p, err := NewPKI(t.TempDir())
	require.NoError(t, err)
	ca := readCert(t, p.CACert)
	require.True(t, ca.IsCA)
	roots := x509.NewCertPool()
	roots.AddCert(ca)

	tests := []struct {
		name   string
		cert   string
		key    string
		usage  x509.ExtKeyUsage
		verify func(t *testing.T, c *x509.Certificate)
	}{
		{name: "serving", cert: p.ServingCert, key: p.ServingKey, usage: x509.ExtKeyUsageServerAuth, verify: func(t *testing.T, c *x509.Certificate) {
			for _, host := range []string{"localhost", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"} {
				require.NoError(t, c.VerifyHostname(host), host)
			}
			require.NoError(t, c.VerifyHostname("127.0.0.1"))
			require.True(t, c.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)))
		}},
		{name: "admin", cert: p.AdminCert, key: p.AdminKey, usage: x509.ExtKeyUsageClientAuth, verify: func(t *testing.T, c *x509.Certificate) {
			require.Equal(t, []string{"system:masters"}, c.Subject.Organization)
		}},
		{name: "front proxy", cert: p.FrontProxyCert, key: p.FrontProxyKey, usage: x509.ExtKeyUsageClientAuth, verify: func(t *testing.T, c *x509.Certificate) {
			require.Equal(t, "front-proxy-client", c.Subject.CommonName, "must match --requestheader-allowed-names")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := readCert(t, tt.cert)
			_, err := c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{tt.usage}})
			require.NoError(t, err)
			_, err = tls.LoadX509KeyPair(tt.cert, tt.key)
			require.NoError(t, err, "certificate and key match")
			tt.verify(t, c)
		})
	}

	data, err := os.ReadFile(p.SAPub)
	require.NoError(t, err)
	block, _ := pem.Decode(data)
	require.NotNil(t, block)
	_, err = x509.ParsePKIXPublicKey(block.Bytes)
	require.NoError(t, err)
	info, err := os.Stat(p.SAKey)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "keys are private")
}
