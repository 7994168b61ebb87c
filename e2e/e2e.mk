# Make targets of the local e2e environment (issue 3). Included by the top-level Makefile:
#
#   include e2e/e2e.mk
#
# The tool binaries (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
# kwok, hey and, without a system prometheus >= 2.40, prometheus) are built from the pinned
# tools modules under e2e/tools/ into the git-ignored folder .cache/tools/.

E2E_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
E2E_ROOT := $(abspath $(E2E_DIR)/..)
TOOLS_CACHE ?= $(E2E_ROOT)/.cache/tools
E2E_TIMEOUT ?= 30m
# One test binary at a time: each starts its own environment, and the scenarios' analyses run
# on 1-3 s intervals that must not compete for the two cores. Inside a binary, up to 4 scenarios
# that call t.Parallel run at once, each in its own namespace (docs/performance.md has the times).
E2E_FLAGS ?= -p 1 -parallel 4

.PHONY: tools e2e

tools: ## Build the e2e tool binaries into .cache/tools (kube ~9 min cold; a no-op when up to date)
	@bash $(E2E_DIR)/tools/build.sh $(TOOLS_CACHE)

# The packages with e2e-tagged tests; `make unit` has run the others already.
E2E_PKGS = $(shell cd $(E2E_ROOT) && grep -rl --include='*_test.go' '^//go:build e2e' . | grep -v '^./.cache/' | xargs -n1 dirname | sort -u)

e2e: tools ## Run the end-to-end tests (the e2e-tagged packages) against the real local environment
	cd $(E2E_ROOT) && go test -tags e2e -count=1 -timeout $(E2E_TIMEOUT) $(E2E_FLAGS) $(E2E_PKGS)
