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

# Paths of the fetched kernel; valid once fetch-kernel.sh has succeeded.
load_kernel_env() {
	[ -f "$NTF_CACHE/kernel-version" ] ||
		die "no fetched kernel in $NTF_CACHE (run tests/vm/fetch-kernel.sh)"
	NTF_KVER=$(cat "$NTF_CACHE/kernel-version")
	NTF_ROOT=$NTF_CACHE/root
	NTF_VMLINUZ=$NTF_ROOT/boot/vmlinuz-$NTF_KVER
	NTF_MODDIR=$NTF_ROOT/lib/modules/$NTF_KVER
	NTF_KDIR=$NTF_ROOT/usr/src/linux-headers-$NTF_KVER
}
