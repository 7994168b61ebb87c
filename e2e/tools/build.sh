#!/usr/bin/env bash
# Builds the e2e environment's tool binaries into a git-ignored cache folder.
#
#   e2e/tools/build.sh [CACHE_DIR [TOOL...]]   (default: <repo>/.cache/tools, every tool;
#                                               tools: etcd kwok hey prometheus kube)
#
# Every tool lives in its own Go module under e2e/tools/<name>/ (pinned versions, go.sum
# committed). A tool is rebuilt only when its go.mod, go.sum or this script changed: the stamp
# file .cache/tools/stamps/<name>-<version>-<hash> records a finished build, so a second run is
# a no-op. Prometheus is taken from PATH when a system prometheus >= 2.40 is installed (Debian
# bookworm ships 2.42); otherwise, or with E2E_BUILD_PROMETHEUS=1, it is built from its own
# tools module (about 5 min cold) and the harness prefers that binary.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
cache="${1:-${root}/.cache/tools}"
bin="${cache}/bin"
stamps="${cache}/stamps"
mkdir -p "${bin}" "${stamps}"

export GOWORK=off GOFLAGS=-buildvcs=false

log() { printf 'tools: %s\n' "$*" >&2; }

# stamp_for NAME VERSION prints the stamp path of the current inputs of tool NAME.
stamp_for() {
	local name=$1 version=$2 hash
	hash="$(cat "${here}/${name}/go.mod" "${here}/${name}/go.sum" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)"
	printf '%s/%s-%s-%s' "${stamps}" "${name}" "${version}" "${hash}"
}

# fresh STAMP FILES... succeeds when STAMP and every FILE exist.
fresh() {
	local f
	for f in "$@"; do [[ -e "${f}" ]] || return 1; done
}

# finish NAME STAMP START records a build and its duration.
finish() {
	local name=$1 stamp=$2 start=$3 secs
	secs=$(($(date +%s) - start))
	rm -f "${stamps}/${name}"-*
	printf 'built %s in %ss\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${secs}" >"${stamp}"
	log "${name} built in ${secs}s"
}

modversion() { (cd "${here}/$1" && go list -m -f '{{.Version}}' "$2"); }

build_kube() {
	local v stamp start date ldflags pkg
	v="$(modversion kube k8s.io/kubernetes)"
	stamp="$(stamp_for kube "${v}")"
	if fresh "${stamp}" "${bin}/kube-apiserver" "${bin}/kube-controller-manager" "${bin}/kube-scheduler" "${bin}/kubectl"; then
		log "kube ${v} up to date"
		return
	fi
	log "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl ${v} (about 9 min cold on 2 cores)"
	start=$(date +%s)
	date="$(cd "${here}/kube" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)"
	local major="${v#v}" minor
	minor="${major#*.}"
	minor="${minor%%.*}"
	major="${major%%.*}"
	ldflags="-s -w"
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ldflags+=" -X ${pkg}.gitVersion=${v} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
		ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=${date}"
	done
	(cd "${here}/kube" && go build -ldflags "${ldflags}" -o "${bin}/" \
		k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
		k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
	finish kube "${stamp}" "${start}"
}

build_etcd() {
	local v stamp start
	v="$(modversion etcd go.etcd.io/etcd/server/v3)"
	stamp="$(stamp_for etcd "${v}")"
	if fresh "${stamp}" "${bin}/etcd"; then
		log "etcd ${v} up to date"
		return
	fi
	log "building etcd ${v}"
	start=$(date +%s)
	(cd "${here}/etcd" && go build -ldflags "-s -w" -o "${bin}/etcd" go.etcd.io/etcd/server/v3)
	finish etcd "${stamp}" "${start}"
}

# build_kwok builds kwok and copies the stage definitions of the same module version (node
# initialize + lease heartbeat, fast pod lifecycle) out of the module directory; they are
# never committed to this repository.
build_kwok() {
	local v stamp start dir stages
	v="$(modversion kwok sigs.k8s.io/kwok)"
	stamp="$(stamp_for kwok "${v}")"
	stages="${cache}/kwok-stages"
	if fresh "${stamp}" "${bin}/kwok" "${stages}/node-initialize.yaml"; then
		log "kwok ${v} up to date"
		return
	fi
	log "building kwok ${v}"
	start=$(date +%s)
	(cd "${here}/kwok" && go build -ldflags "-s -w" -o "${bin}/kwok" sigs.k8s.io/kwok/cmd/kwok)
	dir="$(cd "${here}/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
	rm -rf "${stages}"
	mkdir -p "${stages}"
	local f
	for f in "${dir}"/kustomize/stage/node/fast/*.yaml \
		"${dir}"/kustomize/stage/node/heartbeat-with-lease/*.yaml \
		"${dir}"/kustomize/stage/pod/fast/*.yaml; do
		[[ "$(basename "${f}")" == kustomization.yaml ]] || install -m 0644 "${f}" "${stages}/"
	done
	finish kwok "${stamp}" "${start}"
}

build_hey() {
	local v stamp start
	v="$(modversion hey github.com/rakyll/hey)"
	stamp="$(stamp_for hey "${v}")"
	if fresh "${stamp}" "${bin}/hey"; then
		log "hey ${v} up to date"
		return
	fi
	log "building hey ${v}"
	start=$(date +%s)
	(cd "${here}/hey" && go build -ldflags "-s -w" -o "${bin}/hey" github.com/rakyll/hey)
	finish hey "${stamp}" "${start}"
}

# system_prometheus succeeds when a prometheus >= 2.40 is on PATH.
system_prometheus() {
	local p out major minor
	p="$(command -v prometheus || true)"
	[[ -n "${p}" ]] || return 1
	out="$("${p}" --version 2>&1 | head -n1)"
	[[ "${out}" =~ version\ ([0-9]+)\.([0-9]+) ]] || return 1
	major=${BASH_REMATCH[1]}
	minor=${BASH_REMATCH[2]}
	((major > 2 || (major == 2 && minor >= 40)))
}

build_prometheus() {
	local v stamp start
	if [[ -z "${E2E_BUILD_PROMETHEUS:-}" ]] && system_prometheus; then
		log "prometheus: using $(command -v prometheus) ($(prometheus --version 2>&1 | head -n1))"
		return
	fi
	v="$(modversion prometheus github.com/prometheus/prometheus)"
	stamp="$(stamp_for prometheus "${v}")"
	if fresh "${stamp}" "${bin}/prometheus"; then
		log "prometheus ${v} up to date"
		return
	fi
	log "building prometheus ${v} (no prometheus >= 2.40 on PATH, or E2E_BUILD_PROMETHEUS set)"
	start=$(date +%s)
	# Prometheus 3.x tags its Go module v0.3MM.P for release 3.MM.P.
	local release="${v}"
	if [[ "${v}" =~ ^v0\.3([0-9][0-9])\.([0-9]+)$ ]]; then
		release="3.$((10#${BASH_REMATCH[1]})).${BASH_REMATCH[2]}"
	fi
	(cd "${here}/prometheus" && go build -ldflags "-s -w -X github.com/prometheus/common/version.Version=${release} -X github.com/prometheus/common/version.Revision=${v}" \
		-o "${bin}/prometheus" github.com/prometheus/prometheus/cmd/prometheus)
	finish prometheus "${stamp}" "${start}"
}

shift $(($# > 0 ? 1 : 0))
for tool in "${@:-etcd kwok hey prometheus kube}"; do
	for t in ${tool}; do
		case "${t}" in
		etcd | kwok | hey | prometheus | kube) "build_${t}" ;;
		*)
			log "unknown tool ${t}"
			exit 2
			;;
		esac
	done
done
