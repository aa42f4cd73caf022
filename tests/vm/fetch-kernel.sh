#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Fetch a Debian distro kernel (image + modules + headers) into .cache/vm/
# without installing it on the host: bookworm's 6.1 (the default) or
# trixie's 6.12.
#
# Usage: tests/vm/fetch-kernel.sh [--refresh] [--kernel 6.1|6.12]
#   --refresh            ignore a cached kernel and pick the ABI again
#   --kernel K           which kernel (default: $NTF_VM_KERNEL, else 6.1)
#   NTF_KERNEL_ABI=<N>   use linux-image-6.1.0-<N>-amd64 (6.12:
#                        linux-image-6.12.<N>+deb13-amd64) instead of the newest
#   NTF_DEBIAN_MIRROR=URL  6.12 only: the Debian mirror to fetch trixie from
#                        (default: the one the host's apt uses for Debian)
#
# Result (paths relative to .cache/vm/ for 6.1, .cache/vm/6.12/ for 6.12):
#   kernel-version                     e.g. 6.1.0-56-amd64
#   root/boot/vmlinuz-<ver>
#   root/lib/modules/<ver>/            with modules.dep from depmod
#   root/usr/src/linux-headers-<ver>/  KDIR for out-of-tree modules
#   root/boot/vmlinux-<ver>            ELF with the kernel's BTF (.BTF)
#   (6.12) apt/                        trixie's apt lists, apart from the host's
#   (6.12) sysroot/, bin/pahole        trixie's runtime for its kbuild tools
set -euo pipefail

. "$(dirname "$0")/lib.sh"

refresh=0
kernel=$NTF_VM_KERNEL
while [ $# -gt 0 ]; do
	case "$1" in
	--refresh) refresh=1; shift ;;
	--kernel) kernel=${2:?--kernel needs 6.1 or 6.12}; shift 2 ;;
	*) die "unknown argument '$1' (usage: $0 [--refresh] [--kernel 6.1|6.12])" ;;
	esac
done
select_vm_kernel "$kernel"

# depmod comes from kmod; the kbuild helpers (fixdep, modpost, objtool) are
# prebuilt and link libelf and libssl; Debian's headers build with gcc-12.
# pahole adds BTF to out-of-tree modules; xz-utils unpacks vmlinux.
ensure_pkgs kmod make gcc-12 libc6-dev libelf1 libssl3 pahole xz-utils
# Trixie compresses its bzImage payload with zstd; its archive keys come
# with bookworm's keyring.
[ "$NTF_VM_KERNEL" = 6.1 ] || ensure_pkgs zstd debian-archive-keyring

# What differs between the two kernels: package names, and for 6.12 an
# apt configuration of its own (set up below).
case $NTF_VM_KERNEL in
6.1)
	kver_of() { printf '6.1.0-%s-amd64\n' "$1"; }
	common_of() { printf 'linux-headers-6.1.0-%s-common\n' "$1"; }
	kbuild_of() { printf 'linux-kbuild-6.1\n'; }
	abi_re='^linux-image-6\.1\.0-\([0-9]\+\)-amd64$'
	image_prefix=linux-image-6.1.0-
	;;
6.12)
	kver_of() { printf '6.12.%s+deb13-amd64\n' "$1"; }
	common_of() { printf 'linux-headers-6.12.%s+deb13-common\n' "$1"; }
	kbuild_of() { printf 'linux-kbuild-6.12.%s+deb13\n' "$1"; }
	abi_re='^linux-image-6\.12\.\([0-9]\+\)+deb13-amd64$'
	image_prefix=linux-image-6.12.
	;;
esac
apt_opts=()

cached_ok() {
	local ver

	[ -f "$NTF_KCACHE/kernel-version" ] || return 1
	ver=$(cat "$NTF_KCACHE/kernel-version")
	[ -f "$NTF_KCACHE/ready-$ver" ] || return 1
	if [ -n "${NTF_KERNEL_ABI:-}" ] &&
	   [ "$ver" != "$(kver_of "$NTF_KERNEL_ABI")" ]; then
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

# The Debian mirror the host's apt already uses, read from apt itself: the
# entry for the host's own release, else any Debian suite that is not a
# security or updates one.
host_debian_mirror() {
	local codename

	codename=$(. /etc/os-release && printf '%s\n' "${VERSION_CODENAME:-}")
	apt-get indextargets --format '$(ORIGIN) $(CODENAME) $(REPO_URI)' 2>/dev/null |
		awk -v c="$codename" '
			$1 == "Debian" && $2 == c { print $3; found = 1; exit }
			$1 == "Debian" && $2 !~ /-/ && any == "" { any = $3 }
			END { if (!found && any != "") print any }'
}

# Trixie through the same mirror, with its own sources list, lists, package
# cache and (empty) dpkg status, so the host's apt setup is not touched and
# dependency resolution sees a bare trixie system, not the host's packages.
if [ "$NTF_VM_KERNEL" = 6.12 ]; then
	aptdir=$NTF_KCACHE/apt
	mirror=${NTF_DEBIAN_MIRROR:-$(host_debian_mirror)}
	[ -n "$mirror" ] ||
		die "no Debian mirror in the host's apt sources; set NTF_DEBIAN_MIRROR=URL"
	mkdir -p "$aptdir"/etc/sources.list.d "$aptdir"/etc/preferences.d \
		"$aptdir"/state/lists/partial "$aptdir"/cache/archives/partial
	: >"$aptdir/state/status"
	printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s trixie main\n' \
		"$mirror" >"$aptdir/etc/sources.list"
	# Root writes these directories; no need for the _apt sandbox user.
	apt_opts=(-o Dir::Etc::SourceList="$aptdir/etc/sources.list"
		  -o Dir::Etc::SourceParts="$aptdir/etc/sources.list.d"
		  -o Dir::Etc::Preferences="$aptdir/etc/preferences"
		  -o Dir::Etc::PreferencesParts="$aptdir/etc/preferences.d"
		  -o Dir::State="$aptdir/state"
		  -o Dir::State::status="$aptdir/state/status"
		  -o Dir::Cache="$aptdir/cache"
		  -o APT::Sandbox::User=root)
	# Only reached when the cached kernel is missing or refreshed: the
	# lists are fetched anew, so an ABI is never picked from stale ones.
	log "updating trixie package lists from $mirror"
	apt-get "${apt_opts[@]}" update -qq >/dev/null ||
		die "apt-get update of the trixie lists ($mirror) failed"
fi
apt_cache() { apt-cache "${apt_opts[@]}" "$@"; }
apt_get() { apt-get "${apt_opts[@]}" "$@"; }

# Has a candidate version (i.e. apt could fetch it), not merely a name.
# (No grep -q on a pipe: with pipefail the writer's SIGPIPE would fail it.)
has_candidate() {
	local out

	out=$(apt_cache policy "$1" 2>/dev/null)
	[[ $out == *"Candidate: "[0-9]* ]]
}

# The headers depend on linux-kbuild-6.1 >= their own version and the
# archive keeps only one or two kbuild versions, so older ABIs are often
# not installable; let apt's resolver decide instead of guessing.
abi_usable() {
	local n=$1 v

	v=$(kver_of "$n")
	has_candidate "linux-image-$v" &&
	has_candidate "linux-headers-$v" &&
	has_candidate "$(common_of "$n")" &&
	apt_get install -s -qq --no-install-recommends \
		"linux-headers-$v" >/dev/null 2>&1
}

if [ -n "${NTF_KERNEL_ABI:-}" ]; then
	abi=$NTF_KERNEL_ABI
	abi_usable "$abi" ||
		die "NTF_KERNEL_ABI=$abi: linux-image/linux-headers-$(kver_of "$abi") not both installable"
else
	abi=
	for n in $(apt_cache pkgnames "$image_prefix" | sed -n "s/$abi_re/\\1/p" |
		   sort -rn); do
		if abi_usable "$n"; then
			abi=$n
			break
		fi
		log "ABI $n: image and headers not both installable, trying older"
	done
	[ -n "$abi" ] ||
		die "no $(kver_of '<N>') ABI with both linux-image and linux-headers installable"
fi

ver=$(kver_of "$abi")
log "selected kernel $ver"

# The kbuild version apt would pair with these headers.
kbuild=$(kbuild_of "$abi")
kbuild_ver=$(apt_get install -s --no-install-recommends "linux-headers-$ver" 2>/dev/null |
	     sed -n "s/^Inst ${kbuild//./\\.} .*(\\([^ ]*\\) .*/\\1/p" | head -n1)
[ -n "$kbuild_ver" ] ||
	kbuild_ver=$(apt_cache policy "$kbuild" | sed -n 's/^ *Candidate: //p')
[ -n "$kbuild_ver" ] && [ "$kbuild_ver" != "(none)" ] ||
	die "cannot determine a $kbuild version for $ver"

debs=$NTF_KCACHE/debs
root=$NTF_KCACHE/root
mkdir -p "$debs" "$root"

pkgs=("linux-image-$ver" "linux-headers-$ver" "$(common_of "$abi")"
      "$kbuild=$kbuild_ver")
# Trixie's kbuild tools (modpost, objtool, resolve_btfids) need glibc >=
# 2.38 and its headers' BTF flags need pahole >= 1.26; bookworm has 2.36
# and 1.24. Their own runtime, unpacked apart, runs them unchanged.
runtime_pkgs=()
[ "$NTF_VM_KERNEL" = 6.1 ] ||
	runtime_pkgs=(libc6 libgcc-s1 libelf1t64 zlib1g libzstd1 pahole libdw1t64
		      libbpf1 libbz2-1.0 liblzma5)
# apt-get download names files <name>_<version, ':' as %3a>_<arch>.deb;
# the -common package is arch all.
find_deb() {
	local f

	for f in "$debs/${1}_${2//:/%3a}_"*.deb; do
		[ -f "$f" ] && { printf '%s\n' "$f"; return 0; }
	done
	return 1
}

# Prints the .deb of a package spec (name or name=version), downloading it
# first if the cache lacks it.
fetch_deb() {
	local spec=$1 name pver deb

	name=${spec%%=*}
	if [ "$name" = "$spec" ]; then
		pver=$(apt_cache policy "$name" | sed -n 's/^ *Candidate: //p')
	else
		pver=${spec#*=}
	fi
	if deb=$(find_deb "$name" "$pver"); then
		log "have $(basename "$deb")"
	else
		log "downloading $name $pver"
		# Root downloads into a cache _apt cannot write: skip the sandbox
		# user instead of making the directory world-writable.
		(cd "$debs" && apt_get download -qq -o APT::Sandbox::User=root \
			"$name=$pver" >/dev/null 2>&1) ||
			die "apt-get download $name=$pver failed"
		deb=$(find_deb "$name" "$pver") ||
			die "apt-get download $name=$pver left no .deb in $debs"
	fi
	printf '%s\n' "$deb"
}

files=()
for spec in "${pkgs[@]}"; do
	files+=("$(fetch_deb "$spec")")
done
runtime_files=()
for spec in "${runtime_pkgs[@]}"; do
	runtime_files+=("$(fetch_deb "$spec")")
done

# Trixie has a merged /usr (modules in /usr/lib/modules); the link keeps
# lib/modules/<ver> valid for depmod -b and everything below.
[ "$NTF_VM_KERNEL" = 6.1 ] || [ -e "$root/lib" ] || ln -s usr/lib "$root/lib"

for deb in "${files[@]}"; do
	log "unpacking $(basename "$deb")"
	dpkg -x "$deb" "$root" || die "dpkg -x $deb failed"
done

if [ ${#runtime_files[@]} -gt 0 ]; then
	sysroot=$NTF_KCACHE/sysroot
	libs=$sysroot/usr/lib/x86_64-linux-gnu
	for deb in "${runtime_files[@]}"; do
		dpkg -x "$deb" "$sysroot" || die "dpkg -x $deb failed"
	done
	log "unpacked the trixie runtime for kbuild's tools and pahole"
	[ -x "$libs/ld-linux-x86-64.so.2" ] || die "no trixie loader in $libs"
	# Each ELF tool becomes a script that runs it with trixie's loader
	# and libraries; --argv0 keeps its name, which the modpost and
	# objtool dispatchers use to find their .real-* programs.
	n=0
	while IFS= read -r -d '' f; do
		case $f in *.elf) continue ;; esac
		[ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || continue
		mv -f "$f" "$f.elf"
		printf '#!/bin/sh\nexec %s --library-path %s --argv0 "$0" "$0.elf" "$@"\n' \
			"$libs/ld-linux-x86-64.so.2" "$libs" >"$f"
		chmod 755 "$f"
		n=$((n + 1))
	done < <(find "$root/usr/lib/$kbuild" -type f -perm -u+x -print0)
	log "wrapped $n kbuild tools to run on trixie's runtime"
	mkdir -p "$NTF_KCACHE/bin"
	printf '#!/bin/sh\nexec %s --library-path %s --argv0 "$0" %s "$@"\n' \
		"$libs/ld-linux-x86-64.so.2" "$libs" "$sysroot/usr/bin/pahole" \
		>"$NTF_KCACHE/bin/pahole"
	chmod 755 "$NTF_KCACHE/bin/pahole"
	"$NTF_KCACHE/bin/pahole" --version >/dev/null ||
		die "trixie's pahole does not run from $sysroot"
fi

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
common=$(common_of "$abi")
sed -i "s|^include /usr/src/$common/Makefile\$|include \$(dir \$(realpath \$(lastword \$(MAKEFILE_LIST))))../$common/Makefile|" \
	"$NTF_KDIR/Makefile"
grep -q '^include /usr/src/' "$NTF_KDIR/Makefile" &&
	die "linux-headers-$ver/Makefile still includes an absolute /usr/src path"
# The headers reach kbuild's scripts through relative symlinks, which
# resolve inside the unpack root only if kbuild was unpacked there too.
[ -e "$NTF_KDIR/scripts/Makefile.build" ] ||
	die "linux-headers-$ver/scripts does not resolve ($kbuild missing?)"

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

printf '%s\n' "$ver" >"$NTF_KCACHE/kernel-version"
touch "$NTF_KCACHE/ready-$ver"
log "kernel $ver ready"
