# gitcanary — run `make help` for the targets.
SHELL := /usr/bin/env bash -o pipefail
GO ?= go
GOTEST_FLAGS ?= -race -count=1
PKGS := ./...

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

.PHONY: build
build: ## Build the gitcanary binary into ./bin
	$(GO) build -o bin/gitcanary ./cmd/gitcanary

# The image (docs/release.md): version, revision and source date come from Git; override them
# for a release build (VERSION=v0.1.0).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)
IMAGE_NAME ?= gitcanary
PLATFORMS ?= linux/amd64,linux/arm64

.PHONY: image
image: ## Build the OCI image (linux/amd64+arm64, no Docker) into dist/image, SBOMs into dist/sbom
	$(GO) run ./cmd/imagebuild build -out dist -version $(VERSION) -revision $(REVISION) \
		-source-date-epoch $(SOURCE_DATE_EPOCH) -platforms $(PLATFORMS)

.PHONY: image-push
image-push: ## Push dist/image to REGISTRY/gitcanary:VERSION (credentials from docker login)
	@test -n "$(REGISTRY)" || { echo "usage: make image-push REGISTRY=ghcr.io/you [VERSION=v0.1.0]"; exit 2; }
	$(GO) run ./cmd/imagebuild push -layout dist/image -ref $(REGISTRY)/$(IMAGE_NAME):$(VERSION)

.PHONY: fmt
fmt: ## Fail when a Go file is not gofmt-formatted (does not rewrite)
	@out=$$(gofmt -l $$(git ls-files '*.go' --cached --others --exclude-standard)); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: vet
vet: ## go vet, with and without the e2e build tag
	$(GO) vet $(PKGS)
	$(GO) vet -tags e2e $(PKGS)

.PHONY: generate
generate: ## Regenerate deepcopy functions and the CRDs in manifests/crds
	$(GO) tool controller-gen object paths=./api/...
	$(GO) tool controller-gen crd:crdVersions=v1,allowDangerousTypes=true paths=./api/... output:crd:artifacts:config=manifests/crds

.PHONY: verify
verify: fmt vet generate ## fmt, vet, and fail when generated files or go.mod drift
	$(GO) mod tidy -diff
	@git diff --exit-code -- api manifests/crds || { echo "generated files drift: run make generate and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- api manifests/crds)" || { git status --porcelain -- api manifests/crds; echo "generated files are not committed"; exit 1; }

.PHONY: unit
unit: ## Unit and component tests (no cluster needed)
	$(GO) test $(GOTEST_FLAGS) $(PKGS)

.PHONY: test
test: unit e2e ## All tests: unit, component, then e2e on the local environment

# Fuzz targets as package:name. Their seed corpora are in <package>/testdata/fuzz/<name>; a
# crasher is written there too and then runs with the unit tests.
FUZZTIME ?= 30s
FUZZ_TARGETS := ./render:FuzzBuild ./render:FuzzLintQuery ./engine/metrics:FuzzRender ./engine:FuzzDecide

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 30s)
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

.PHONY: demo
demo: tools ## Run the seed walkthrough on a local environment (KEEP=1 keeps it running, INTERVAL=3s)
	$(GO) run ./e2e/demo

-include e2e/e2e.mk

# The fleet benchmark (issue 14): N canaries on the local environment; docs/performance.md has
# the results. BENCH_FLAGS adds flags of `go run ./e2e/bench scale -h`.
N ?= 100
BENCH_FLAGS ?=

.PHONY: bench-scale
bench-scale: tools ## Fleet benchmark: N podinfo canaries on the local environment (N=100; N=1000), prints the table
	$(GO) run ./e2e/bench scale -n $(N) $(BENCH_FLAGS)

# The push latency benchmark (issue 12): push → "New revision detected", with the push receiver
# and with polling only; docs/performance.md has the results.
.PHONY: bench-push
bench-push: tools ## Push latency benchmark: with the push receiver and with polling only, prints the table
	$(GO) run ./e2e/bench push $(BENCH_FLAGS)
