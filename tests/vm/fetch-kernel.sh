#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Fetch a Debian bookworm 6.1 kernel (image + modules + headers) into
# .cache/vm/ without installing it on the host.
#
# Usage: tests/vm/fetch-kernel.sh [--refresh]
#   --refresh            ignore a cached kernel and pick the ABI again
#   NTF_KERNEL_ABI=<N>   use linux-image-6.1.0-<N>-amd64 instead of the newest
#
# Result (paths relative to .cache/vm/):
#   kernel-version                     e.g. 6.1.0-56-amd64
#   root/boot/vmlinuz-<ver>
#   root/lib/modules/<ver>/            with modules.dep from depmod
#   root/usr/src/linux-headers-<ver>/  KDIR for out-of-tree modules
#   root/boot/vmlinux-<ver>            ELF with the kernel's BTF (.BTF)
set -euo pipefail

. "$(dirname "$0")/lib.sh"

refresh=0
case "${1:-}" in
--refresh) refresh=1 ;;
"") ;;
*) die "unknown argument '$1' (usage: $0 [--refresh])" ;;
esac

# depmod comes from kmod; the kbuild helpers (fixdep, modpost, objtool) are
# prebuilt and link libelf and libssl; Debian's headers build with gcc-12.
# pahole adds BTF to out-of-tree modules; xz-utils unpacks vmlinux.
ensure_pkgs kmod make gcc-12 libc6-dev libelf1 libssl3 pahole xz-utils

cached_ok() {
	local ver

	[ -f "$NTF_CACHE/kernel-version" ] || return 1
	ver=$(cat "$NTF_CACHE/kernel-version")
	[ -f "$NTF_CACHE/ready-$ver" ] || return 1
	if [ -n "${NTF_KERNEL_ABI:-}" ] &&
	   [ "$ver" != "6.1.0-$NTF_KERNEL_ABI-amd64" ]; then
		return 1
	fi
	load_kernel_env
	[ -f "$NTF_VMLINUZ" ] && [ -f "$NTF_MODDIR/modules.dep" ] &&
		[ -f "$NTF_KDIR/Makefile" ] && [ -s "$NTF_ROOT/boot/vmlinux-$ver" ]
}

if [ $refresh -eq 0 ] && cached_ok; then
	log "using cached kernel $NTF_KVER"
	exit 0
fi

ensure_apt_lists

# Has a candidate version (i.e. apt could fetch it), not merely a name.
# (No grep -q on a pipe: with pipefail the writer's SIGPIPE would fail it.)
has_candidate() {
	local out

	out=$(apt-cache policy "$1" 2>/dev/null)
	[[ $out == *"Candidate: "[0-9]* ]]
}

# The headers depend on linux-kbuild-6.1 >= their own version and the
# archive keeps only one or two kbuild versions, so older ABIs are often
# not installable; let apt's resolver decide instead of guessing.
abi_usable() {
	local n=$1

	has_candidate "linux-image-6.1.0-$n-amd64" &&
	has_candidate "linux-headers-6.1.0-$n-amd64" &&
	has_candidate "linux-headers-6.1.0-$n-common" &&
	apt-get install -s -qq --no-install-recommends \
		"linux-headers-6.1.0-$n-amd64" >/dev/null 2>&1
}

if [ -n "${NTF_KERNEL_ABI:-}" ]; then
	abi=$NTF_KERNEL_ABI
	abi_usable "$abi" ||
		die "NTF_KERNEL_ABI=$abi: linux-image/linux-headers-6.1.0-$abi-amd64 not both installable"
else
	abi=
	for n in $(apt-cache pkgnames linux-image-6.1.0- |
		   sed -n 's/^linux-image-6\.1\.0-\([0-9]\+\)-amd64$/\1/p' |
		   sort -rn); do
		if abi_usable "$n"; then
			abi=$n
			break
		fi
		log "ABI $n: image and headers not both installable, trying older"
	done
	[ -n "$abi" ] ||
		die "no 6.1.0-<N>-amd64 ABI with both linux-image and linux-headers installable"
fi

ver=6.1.0-$abi-amd64
log "selected kernel $ver"

# The kbuild version apt would pair with these headers.
kbuild_ver=$(apt-get install -s --no-install-recommends "linux-headers-$ver" 2>/dev/null |
	     sed -n 's/^Inst linux-kbuild-6\.1 .*(\([^ ]*\) .*/\1/p' | head -n1)
[ -n "$kbuild_ver" ] ||
	kbuild_ver=$(apt-cache policy linux-kbuild-6.1 | sed -n 's/^ *Candidate: //p')
[ -n "$kbuild_ver" ] && [ "$kbuild_ver" != "(none)" ] ||
	die "cannot determine a linux-kbuild-6.1 version for $ver"

debs=$NTF_CACHE/debs
root=$NTF_CACHE/root
mkdir -p "$debs" "$root"

pkgs=("linux-image-$ver" "linux-headers-$ver" "linux-headers-6.1.0-$abi-common"
      "linux-kbuild-6.1=$kbuild_ver")
# apt-get download names files <name>_<version, ':' as %3a>_<arch>.deb;
# the -common package is arch all.
find_deb() {
	local f

	for f in "$debs/${1}_${2//:/%3a}_"*.deb; do
		[ -f "$f" ] && { printf '%s\n' "$f"; return 0; }
	done
	return 1
}

files=()
for spec in "${pkgs[@]}"; do
	name=${spec%%=*}
	if [ "$name" = "$spec" ]; then
		pver=$(apt-cache policy "$name" | sed -n 's/^ *Candidate: //p')
	else
		pver=${spec#*=}
	fi
	if deb=$(find_deb "$name" "$pver"); then
		log "have $(basename "$deb")"
	else
		log "downloading $name $pver"
		# Root downloads into a cache _apt cannot write: skip the sandbox
		# user instead of making the directory world-writable.
		(cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root \
			"$name=$pver" >/dev/null 2>&1) ||
			die "apt-get download $name=$pver failed"
		deb=$(find_deb "$name" "$pver") ||
			die "apt-get download $name=$pver left no .deb in $debs"
	fi
	files+=("$deb")
done

for deb in "${files[@]}"; do
	log "unpacking $(basename "$deb")"
	dpkg -x "$deb" "$root" || die "dpkg -x $deb failed"
done

load_kernel_env_for() {
	NTF_KVER=$1
	NTF_ROOT=$root
	NTF_VMLINUZ=$root/boot/vmlinuz-$1
	NTF_MODDIR=$root/lib/modules/$1
	NTF_KDIR=$root/usr/src/linux-headers-$1
}
load_kernel_env_for "$ver"

[ -f "$NTF_VMLINUZ" ] || die "image package has no boot/vmlinuz-$ver"
[ -d "$NTF_MODDIR/kernel" ] || die "image package has no lib/modules/$ver/kernel"
[ -f "$NTF_KDIR/Makefile" ] || die "headers package has no usr/src/linux-headers-$ver/Makefile"
# The arch headers' Makefile includes the -common tree by absolute path
# (/usr/src/...), which is the host's, not ours: make it relative to itself.
common=linux-headers-6.1.0-$abi-common
sed -i "s|^include /usr/src/$common/Makefile\$|include \$(dir \$(realpath \$(lastword \$(MAKEFILE_LIST))))../$common/Makefile|" \
	"$NTF_KDIR/Makefile"
grep -q '^include /usr/src/' "$NTF_KDIR/Makefile" &&
	die "linux-headers-$ver/Makefile still includes an absolute /usr/src path"
# The headers reach kbuild's scripts through relative symlinks, which
# resolve inside the unpack root only if kbuild was unpacked there too.
[ -e "$NTF_KDIR/scripts/Makefile.build" ] ||
	die "linux-headers-$ver/scripts does not resolve (linux-kbuild-6.1 missing?)"

log "running depmod for $ver"
depmod -b "$root" "$ver" || die "depmod -b $root $ver failed"
[ -s "$NTF_MODDIR/modules.dep" ] || die "depmod wrote no modules.dep"

nko=$(grep -c '\.ko:' "$NTF_MODDIR/modules.dep" || true)
ncomp=$(grep -c '\.ko\.[a-z]*:' "$NTF_MODDIR/modules.dep" || true)
log "modules.dep: $nko plain .ko, $ncomp compressed"

# An ELF vmlinux carries the kernel's BTF: the base for module BTF and for
# CO-RE checks on the host. The bzImage holds it compressed after the
# decompressor stub; find the payload by its magic.
vmlinux=$root/boot/vmlinux-$ver
if [ ! -s "$vmlinux" ]; then
	log "extracting vmlinux from vmlinuz-$ver"
	extracted=0
	for fmt in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08'; do
		tool=${fmt%%:*}
		for off in $(LC_ALL=C grep -obUaP "${fmt#*:}" "$NTF_VMLINUZ" |
			     cut -d: -f1 | head -n 4); do
			case $tool in
			xz) dec=(xz -dc --single-stream) ;;
			zstd) dec=(zstd -qdc) ;;
			gzip) dec=(gzip -dc) ;;
			esac
			command -v "${dec[0]}" >/dev/null || continue
			# Trailing bytes after the stream make gzip/zstd complain.
			tail -c +$((off + 1)) "$NTF_VMLINUZ" |
				"${dec[@]}" >"$vmlinux.tmp" 2>/dev/null || true
			if [ "$(head -c 4 "$vmlinux.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
				extracted=1
				break 2
			fi
		done
	done
	if [ $extracted -eq 1 ]; then
		mv "$vmlinux.tmp" "$vmlinux"
	else
		rm -f "$vmlinux.tmp"
		log "warning: could not extract vmlinux; modules will build without BTF"
	fi
fi

printf '%s\n' "$ver" >"$NTF_CACHE/kernel-version"
touch "$NTF_CACHE/ready-$ver"
log "kernel $ver ready"
