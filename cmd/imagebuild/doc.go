// Command imagebuild builds gitcanary's container image without a container runtime, and pushes
// it. It is build tooling (run by `make image` and `make image-push`), not part of the product.
//
//	imagebuild build -version v0.1.0 -revision <sha> -source-date-epoch <unix> [-out dist]
//	imagebuild push -ref ghcr.io/gitcanary/gitcanary:v0.1.0 [-layout dist/image]
//
// build cross-compiles ./cmd/gitcanary for each platform (linux/amd64 and linux/arm64 by
// default) with `go build` (CGO_ENABLED=0, -trimpath, -buildvcs=false, -ldflags stamping the
// version and revision), and assembles, for each, an image from scratch with
// go-containerregistry: one layer holding the static binary at /gitcanary and an /etc/passwd and
// /etc/group that name the nonroot user 65532 — no shell, no git, no package manager; a config
// running as 65532:65532 with Entrypoint ["/gitcanary"] and Cmd ["controller"], and the OCI
// labels org.opencontainers.image.{source,revision,version,created}. Every timestamp is the
// source date (SOURCE_DATE_EPOCH, the commit time), so the same source gives the same digests.
// The images go into one OCI image index, written as an OCI image layout in <out>/image, and
// an SPDX 2.3 JSON SBOM per platform, made from the binary's embedded build information (the
// data `go version -m` prints), is written to <out>/sbom.
//
// push reads the index from the layout and writes it, with both images, to a registry
// (remote.WriteIndex), authenticating with the standard keychain (docker config and credential
// helpers, as `docker login` leaves them).
//
// Why not ko: ko builds on a base image pulled from a registry, which an offline build cannot
// reach; go-containerregistry (which ko itself is built on) assembles the same image from
// scratch with nothing but the Go toolchain, so `make image` works offline once `go mod
// download` has run.
package main
