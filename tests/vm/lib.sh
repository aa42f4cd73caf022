# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shared helpers for the VM test-bed scripts; sourced, not executed.

NTF_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NTF_CACHE=${NTF_CACHE:-$NTF_REPO/.cache/vm}

# Each script prefixes its step lines with its own name so a log of
# run-vm.sh shows which stage did what.
NTF_TAG=${NTF_TAG:-$(basename "$0" .sh)}

log() { printf '%s: %s\n' "$NTF_TAG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$NTF_TAG" "$*" >&2; exit 1; }

# apt-cache answers nothing (or stale data) until the lists exist.
apt_lists_ready() {
	[ -n "$(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null | head -n1)" ]
}

ensure_apt_lists() {
	apt_lists_ready && return 0
	log "apt lists missing, running apt-get update"
	apt-get update -qq || die "apt-get update failed"
	apt_lists_ready || die "no linux-image-6.1.0-* package known to apt after update"
}

# Install only what is missing, so repeated runs never touch apt.
ensure_pkgs() {
	local p missing=()

	for p in "$@"; do
		[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = \
		  "install ok installed" ] || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	ensure_apt_lists
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
}

# Which guest kernel: 6.1 (Debian 12, bookworm; the default) or 6.12
# (Debian 13, trixie). Each script's --kernel overrides NTF_VM_KERNEL and
# exports it, so the scripts it runs use the same kernel.
# The policies the spine's policy cases load, built as a user builds one.
NTF_SPINE_POLICIES="policy_slow_testdrv policy_count_testdrv policy_record_testdrv policy_refused"

# What the guests are given from this tree (static binaries, workloads,
# the spine's policies): made by each VM script, and once before two run
# at once, after which their makes find it up to date and write nothing.
build_guest_files() {
	local f

	make -s -C "$NTF_REPO" static >&2 || die "make static failed"
	make -s -C "$NTF_REPO/tests/workloads" OUT="$NTF_REPO/build/workloads" >&2 ||
		die "building the workloads failed"
	for f in $NTF_SPINE_POLICIES; do
		make -s -C "$NTF_REPO" "build/$f.bpf.o" >&2 || die "building $f failed"
	done
}

NTF_VM_KERNEL=${NTF_VM_KERNEL:-6.1}

# Sets NTF_VM_KERNEL and NTF_KCACHE, the kernel's own cache directory.
# 6.1 keeps the top of the cache, where it always lived.
select_vm_kernel() {
	case "$1" in
	6.1) NTF_KCACHE=$NTF_CACHE ;;
	6.12) NTF_KCACHE=$NTF_CACHE/6.12 ;;
	*) die "unknown kernel '$1' (6.1 or 6.12)" ;;
	esac
	NTF_VM_KERNEL=$1
	export NTF_VM_KERNEL
}
select_vm_kernel "$NTF_VM_KERNEL"

# Paths of the fetched kernel; valid once fetch-kernel.sh has succeeded.
load_kernel_env() {
	[ -f "$NTF_KCACHE/kernel-version" ] ||
		die "no fetched $NTF_VM_KERNEL kernel in $NTF_KCACHE (run tests/vm/fetch-kernel.sh --kernel $NTF_VM_KERNEL)"
	NTF_KVER=$(cat "$NTF_KCACHE/kernel-version")
	NTF_ROOT=$NTF_KCACHE/root
	NTF_VMLINUZ=$NTF_ROOT/boot/vmlinuz-$NTF_KVER
	NTF_MODDIR=$NTF_ROOT/lib/modules/$NTF_KVER
	NTF_KDIR=$NTF_ROOT/usr/src/linux-headers-$NTF_KVER
}

# A scenario's last act is to write scenario.end among its results: a
# guest that died part way (a killed shell, a panic, an early exit 0) has
# none, whatever exit status came back.
# guest_ended RC DIR: whether the scenario run-vm.sh ran, with exit status
# RC and its results in DIR, got to its end; says why not.
guest_ended() {
	if [ "$1" != 0 ]; then
		echo "run-vm.sh exit $1 (see $2/console.log)"
		return 1
	fi
	if [ ! -e "$2/scenario.end" ]; then
		echo "the guest's scenario exited 0 without its end marker (see $2/console.log)"
		return 1
	fi
}

# build_policy_module DIR: the companion module (kmod/notifier_policy)
# built for the selected kernel (load_kernel_env first) as a user builds
# it, from a copy in DIR/src, as the test bed builds modules for trixie's
# headers; the build's output in DIR/build-$NTF_VM_KERNEL.out. Prints the
# .ko's path; 1 when the build failed.
build_policy_module() {
	local src=$1/src kmake
	mkdir -p "$src"
	cp -r "$NTF_REPO/kmod" "$NTF_REPO/bpf" "$src/"
	kmake=(make -C "$src/kmod/notifier_policy" KDIR="$NTF_KDIR" PAHOLE="$NTF_KCACHE/bin/pahole")
	command -v x86_64-linux-gnu-gcc-14 >/dev/null || kmake+=(CC=gcc-12 CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=)
	"${kmake[@]}" >"$1/build-$NTF_VM_KERNEL.out" 2>&1 || return 1
	echo "$src/kmod/notifier_policy/notifier_policy.ko"
}
