package main

// The container image has no CA bundle of its own (it holds the binary, /etc/passwd and
// /etc/group only). These roots, Mozilla's as pinned in go.sum, are used only when the system
// provides none, so HTTPS to a Git host, Prometheus or a webhook works in the image; a bundle
// mounted at /etc/ssl/certs, or SSL_CERT_FILE, takes precedence.
import _ "golang.org/x/crypto/x509roots/fallback"
