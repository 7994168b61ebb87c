#!/usr/bin/env bash
# Builds the e2e environment's tool binaries into a git-ignored cache folder.
#
#   e2e/tools/build.sh [CACHE_DIR [TOOL...]]   (default: <repo>/.cache/tools, every tool;
#                                               tools: etcd kwok hey prometheus kube)
#
# Every tool lives in its own Go module under e2e/tools/<name>/ (pinned versions, go.sum
# committed). A tool is rebuilt only when its go.mod or go.sum changed, or when stamp_format
# below is bumped (do that when a build command changes): the stamp file
# .cache/tools/stamps/<name>-<version>-<hash> records a finished build, so a second run is a
# no-op. Editing this script otherwise (messages, comments) rebuilds nothing.
#
# Prometheus, fastest first: a system prometheus >= 2.40 on PATH; Debian's package (bookworm
# ships 2.42) unpacked into the cache with `apt-get download` (no root needed when the apt lists
# exist; as root or with passwordless sudo the lists are refreshed first; nothing is installed
# or started system-wide); else built from its tools module (about 15 min cold).
# E2E_BUILD_PROMETHEUS=1 skips the first two.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
cache="${1:-${root}/.cache/tools}"
bin="${cache}/bin"
stamps="${cache}/stamps"
logs="${cache}/logs"
mkdir -p "${bin}" "${stamps}" "${logs}"

export GOWORK=off GOFLAGS=-buildvcs=false

# stamp_format is hashed into every stamp: bump it when a build command below changes.
stamp_format=2
# heartbeat_secs is how often a running build reports that it is alive.
heartbeat_secs=${TOOLS_HEARTBEAT_SECS:-30}

# Stamps written by the first stamp format (a hash of go.mod, go.sum and this script as of
# commit cb14e8a), each with the format-2 stamp of the same inputs: a tool built then is
# adopted instead of rebuilt. Drop these lines once the pinned versions change.
legacy_stamps=(
	etcd-v3.7.3-783c559e0fbc:etcd-v3.7.3-c3786b4cf3cb
	kwok-v0.8.0-3719d58988d1:kwok-v0.8.0-a4927ff6e879
	hey-v0.1.5-00f565c99ec2:hey-v0.1.5-9abe678447ff
	prometheus-v0.316.0-b4bc0d8a86ca:prometheus-v0.316.0-9c0b71ea3eb7
	kube-v1.37.2-b17f2b504625:kube-v1.37.2-8dc1e9e60b7e
)

started=${SECONDS}
# progress is the "[n/N]" of the tool being built; outcome its last state, set by build_<tool>.
progress="" outcome=""
log() { printf 'tools: %s%s\n' "${progress:+${progress} }" "$*" >&2; }

# elapsed START prints the time since START (a $SECONDS value) as 1m05s or 7s.
elapsed() {
	local s=$((SECONDS - $1))
	if ((s >= 60)); then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "${s}"; fi
}

# stamp_for NAME VERSION prints the stamp path of the current inputs of tool NAME.
stamp_for() {
	local name=$1 version=$2 hash
	hash="$({ cat "${here}/${name}/go.mod" "${here}/${name}/go.sum"; echo "stamp-format ${stamp_format}"; } | sha256sum | cut -c1-12)"
	printf '%s/%s-%s-%s' "${stamps}" "${name}" "${version}" "${hash}"
}

# adopt_legacy STAMP copies a first-format stamp of the same inputs to STAMP (a copy: a
# checkout still running the first-format script keeps finding its own).
adopt_legacy() {
	local stamp=$1 entry
	for entry in "${legacy_stamps[@]}"; do
		if [[ "${entry#*:}" == "$(basename "${stamp}")" && -e "${stamps}/${entry%%:*}" ]]; then
			cp "${stamps}/${entry%%:*}" "${stamp}"
			return 0
		fi
	done
	return 1
}

# fresh STAMP FILES... succeeds when STAMP (or its first-format equivalent) and every FILE exist.
fresh() {
	local stamp=$1 f
	shift
	for f in "$@"; do [[ -e "${f}" ]] || return 1; done
	[[ -e "${stamp}" ]] || adopt_legacy "${stamp}"
}

# finish NAME STAMP START records a build and its duration.
finish() {
	local name=$1 stamp=$2 start=$3
	rm -f "${stamps}/${name}"-*
	printf 'built %s in %ss\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$((SECONDS - start))" >"${stamp}"
	outcome="${name} built"
}

modversion() { (cd "${here}/$1" && go list -m -f '{{.Version}}' "$2"); }

# go_build NAME MODULE_DIR ARGS... runs `go build -v ARGS` in MODULE_DIR with its output in
# logs/NAME.log, and prints a heartbeat (elapsed time, modules downloaded, packages compiled)
# every heartbeat_secs until it ends. On failure it prints the build's messages.
go_build() {
	local name=$1 dir=$2 start=${SECONDS} pid next status=0
	shift 2
	local out="${logs}/${name}.log"
	(cd "${dir}" && exec go build -v "$@") >"${out}" 2>&1 &
	pid=$!
	trap 'kill "${pid}" 2>/dev/null || true' INT TERM
	next=$((SECONDS + heartbeat_secs))
	while kill -0 "${pid}" 2>/dev/null; do
		sleep 1
		if ((SECONDS >= next)); then
			next=$((SECONDS + heartbeat_secs))
			# `go build -v` prints each package it compiles as a bare import path.
			log "${name}: still building, $(elapsed "${start}") elapsed," \
				"$(grep -c '^go: downloading' "${out}" || true) modules downloaded," \
				"$(grep -cE '^[^ :#]+$' "${out}" || true) packages compiled"
		fi
	done
	wait "${pid}" || status=$?
	trap - INT TERM
	if ((status != 0)); then
		grep -vE '^[^ :#]+$' "${out}" | grep -v '^go: downloading' | tail -n 40 >&2 || true
		log "${name}: go build failed (exit ${status}); full output in ${out}"
		return "${status}"
	fi
}

build_kube() {
	local v stamp start date ldflags pkg
	v="$(modversion kube k8s.io/kubernetes)"
	stamp="$(stamp_for kube "${v}")"
	if fresh "${stamp}" "${bin}/kube-apiserver" "${bin}/kube-controller-manager" "${bin}/kube-scheduler" "${bin}/kubectl"; then
		outcome="kube ${v} up to date"
		return
	fi
	log "kube ${v}: building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (about 10 min cold on 2 cores)"
	start=${SECONDS}
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
	go_build kube "${here}/kube" -ldflags "${ldflags}" -o "${bin}/" \
		k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
		k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
	finish kube "${stamp}" "${start}"
}

build_etcd() {
	local v stamp start
	v="$(modversion etcd go.etcd.io/etcd/server/v3)"
	stamp="$(stamp_for etcd "${v}")"
	if fresh "${stamp}" "${bin}/etcd"; then
		outcome="etcd ${v} up to date"
		return
	fi
	log "etcd ${v}: building (about 1 min cold)"
	start=${SECONDS}
	go_build etcd "${here}/etcd" -ldflags "-s -w" -o "${bin}/etcd" go.etcd.io/etcd/server/v3
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
		outcome="kwok ${v} up to date"
		return
	fi
	log "kwok ${v}: building (about 1.5 min cold)"
	start=${SECONDS}
	go_build kwok "${here}/kwok" -ldflags "-s -w" -o "${bin}/kwok" sigs.k8s.io/kwok/cmd/kwok
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
		outcome="hey ${v} up to date"
		return
	fi
	log "hey ${v}: building"
	start=${SECONDS}
	go_build hey "${here}/hey" -ldflags "-s -w" -o "${bin}/hey" github.com/rakyll/hey
	finish hey "${stamp}" "${start}"
}

# prometheus_ok BINARY succeeds when BINARY is a prometheus >= 2.40.
prometheus_ok() {
	local out major minor
	[[ -x "$1" ]] || return 1
	out="$("$1" --version 2>&1 | head -n1)"
	[[ "${out}" =~ version\ ([0-9]+)\.([0-9]+) ]] || return 1
	major=${BASH_REMATCH[1]}
	minor=${BASH_REMATCH[2]}
	((major > 2 || (major == 2 && minor >= 40)))
}

# as_root prints the command prefix that runs as root without a password ("" when root),
# or fails.
as_root() {
	if [[ "$(id -u)" == 0 ]]; then
		printf ''
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		printf 'sudo -n'
	else
		return 1
	fi
}

# unpack_debian_prometheus fetches Debian's prometheus package with `apt-get download` and
# unpacks its binary into the cache; nothing is installed or started system-wide. It refreshes
# the apt lists first when the download fails and root (or passwordless sudo) is at hand.
unpack_debian_prometheus() {
	command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 || return 1
	local start=${SECONDS} tmp root_cmd out="${logs}/prometheus-apt.log"
	tmp="$(mktemp -d)"
	log "prometheus: fetching Debian's package with apt-get download (E2E_BUILD_PROMETHEUS=1 builds from source instead)"
	if ! (cd "${tmp}" && apt-get download -qq prometheus) >"${out}" 2>&1; then
		if ! root_cmd="$(as_root)"; then
			log "prometheus: apt-get download failed (see ${out}) and neither root nor passwordless sudo can refresh the apt lists"
			rm -rf "${tmp}"
			return 1
		fi
		log "prometheus: refreshing the apt lists (${root_cmd:+${root_cmd} }apt-get update)"
		if ! { ${root_cmd} apt-get update -qq && (cd "${tmp}" && apt-get download -qq prometheus); } >>"${out}" 2>&1; then
			log "prometheus: apt-get download failed (see ${out})"
			rm -rf "${tmp}"
			return 1
		fi
	fi
	dpkg-deb -x "${tmp}"/prometheus_*.deb "${tmp}/root"
	if ! prometheus_ok "${tmp}/root/usr/bin/prometheus"; then
		log "prometheus: the distribution's package is older than 2.40"
		rm -rf "${tmp}"
		return 1
	fi
	install -m 0755 "${tmp}/root/usr/bin/prometheus" "${bin}/prometheus"
	rm -f "${stamps}/prometheus"-*
	basename "${tmp}"/prometheus_*.deb >"${stamps}/prometheus-deb"
	rm -rf "${tmp}"
	outcome="prometheus: $("${bin}/prometheus" --version 2>&1 | head -n1) unpacked in $(elapsed "${start}")"
}

build_prometheus() {
	local v stamp start p
	p="$(command -v prometheus || true)"
	if [[ -z "${E2E_BUILD_PROMETHEUS:-}" && -n "${p}" ]] && prometheus_ok "${p}"; then
		outcome="prometheus: using ${p} ($("${p}" --version 2>&1 | head -n1))"
		return
	fi
	v="$(modversion prometheus github.com/prometheus/prometheus)"
	stamp="$(stamp_for prometheus "${v}")"
	if fresh "${stamp}" "${bin}/prometheus"; then
		outcome="prometheus ${v} up to date (built from source)"
		return
	fi
	if [[ -z "${E2E_BUILD_PROMETHEUS:-}" ]]; then
		if [[ -e "${stamps}/prometheus-deb" ]] && prometheus_ok "${bin}/prometheus"; then
			outcome="prometheus up to date ($(cat "${stamps}/prometheus-deb"), unpacked earlier)"
			return
		fi
		unpack_debian_prometheus && return
	fi
	log "prometheus ${v}: building from source (about 15 min cold; no prometheus >= 2.40 on PATH or from apt, or E2E_BUILD_PROMETHEUS set)"
	start=${SECONDS}
	# Prometheus 3.x tags its Go module v0.3MM.P for release 3.MM.P.
	local release="${v}"
	if [[ "${v}" =~ ^v0\.3([0-9][0-9])\.([0-9]+)$ ]]; then
		release="3.$((10#${BASH_REMATCH[1]})).${BASH_REMATCH[2]}"
	fi
	go_build prometheus "${here}/prometheus" \
		-ldflags "-s -w -X github.com/prometheus/common/version.Version=${release} -X github.com/prometheus/common/version.Revision=${v}" \
		-o "${bin}/prometheus" github.com/prometheus/prometheus/cmd/prometheus
	finish prometheus "${stamp}" "${start}"
}

shift $(($# > 0 ? 1 : 0))
read -r -a selected <<<"${*:-etcd kwok hey prometheus kube}"
for t in "${selected[@]}"; do
	case "${t}" in
	etcd | kwok | hey | prometheus | kube) ;;
	*)
		log "unknown tool ${t} (tools: etcd kwok hey prometheus kube)"
		exit 2
		;;
	esac
done
n=0
for t in "${selected[@]}"; do
	n=$((n + 1))
	progress="[${n}/${#selected[@]}]" outcome="${t} done"
	tool_start=${SECONDS}
	"build_${t}"
	log "${outcome} ($(elapsed "${tool_start}"); $(elapsed "${started}") so far)"
done
progress=""
log "${#selected[@]} tool(s) ready in ${cache} after $(elapsed "${started}")"
