package env

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// PKI is the set of certificate and key files of one environment, all PEM files in Dir.
type PKI struct {
	// Dir holds the files.
	Dir string
	// CACert is the CA that signed every certificate; CAKey is its key.
	CACert, CAKey string
	// ServingCert and ServingKey are the kube-apiserver's serving pair (127.0.0.1, localhost,
	// kubernetes.default.svc…).
	ServingCert, ServingKey string
	// AdminCert and AdminKey are a client pair in group system:masters.
	AdminCert, AdminKey string
	// FrontProxyCert and FrontProxyKey are the aggregator's client pair (CN front-proxy-client).
	FrontProxyCert, FrontProxyKey string
	// SAKey and SAPub are the service-account token signing key pair.
	SAKey, SAPub string
}

// certValidity is how long the environment's certificates are valid.
const certValidity = 24 * time.Hour

// NewPKI creates a CA, serving, admin and front-proxy certificates and a service-account key
// pair in dir.
func NewPKI(dir string) (*PKI, error) {
	p := &PKI{
		Dir:    dir,
		CACert: filepath.Join(dir, "ca.crt"), CAKey: filepath.Join(dir, "ca.key"),
		ServingCert: filepath.Join(dir, "apiserver.crt"), ServingKey: filepath.Join(dir, "apiserver.key"),
		AdminCert: filepath.Join(dir, "admin.crt"), AdminKey: filepath.Join(dir, "admin.key"),
		FrontProxyCert: filepath.Join(dir, "front-proxy-client.crt"), FrontProxyKey: filepath.Join(dir, "front-proxy-client.key"),
		SAKey: filepath.Join(dir, "sa.key"), SAPub: filepath.Join(dir, "sa.pub"),
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create pki dir %s: %w", dir, err)
	}
	now := time.Now().Add(-time.Minute)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "gitcanary-e2e-ca"},
		NotBefore:             now,
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	if err := writeCert(p.CACert, caDER); err != nil {
		return nil, err
	}
	if err := writeKey(p.CAKey, caKey); err != nil {
		return nil, err
	}
	leaves := []struct {
		cert, key string
		tmpl      *x509.Certificate
	}{
		{p.ServingCert, p.ServingKey, &x509.Certificate{
			Subject:     pkix.Name{CommonName: "kube-apiserver"},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
				"kubernetes.default.svc.cluster.local"},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback, net.IPv4(10, 0, 0, 1)},
		}},
		{p.AdminCert, p.AdminKey, &x509.Certificate{
			Subject:     pkix.Name{CommonName: "gitcanary-e2e-admin", Organization: []string{"system:masters"}},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}},
		{p.FrontProxyCert, p.FrontProxyKey, &x509.Certificate{
			Subject:     pkix.Name{CommonName: "front-proxy-client"},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}},
	}
	for i, l := range leaves {
		l.tmpl.SerialNumber = big.NewInt(int64(i) + 2)
		l.tmpl.NotBefore, l.tmpl.NotAfter = now, now.Add(certValidity)
		l.tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		if err := issue(l.cert, l.key, l.tmpl, ca, caKey); err != nil {
			return nil, err
		}
	}
	if err := writeSAKeys(p.SAKey, p.SAPub); err != nil {
		return nil, err
	}
	return p, nil
}

// issue creates a key and a certificate for tmpl signed by ca and writes both.
func issue(certPath, keyPath string, tmpl, ca *x509.Certificate, caKey *ecdsa.PrivateKey) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate key for %s: %w", tmpl.Subject.CommonName, err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("create certificate %s: %w", tmpl.Subject.CommonName, err)
	}
	if err := writeCert(certPath, der); err != nil {
		return err
	}
	return writeKey(keyPath, key)
}

// writeSAKeys writes an RSA key pair for service-account tokens (RS256 is what every
// Kubernetes component accepts).
func writeSAKeys(keyPath, pubPath string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generate service-account key: %w", err)
	}
	if err := writeKey(keyPath, key); err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return fmt.Errorf("marshal service-account public key: %w", err)
	}
	return writePEM(pubPath, "PUBLIC KEY", pub)
}

func writeCert(path string, der []byte) error { return writePEM(path, "CERTIFICATE", der) }

func writeKey(path string, key any) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("marshal key %s: %w", path, err)
	}
	return writePEM(path, "PRIVATE KEY", der)
}

func writePEM(path, typ string, der []byte) error {
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
