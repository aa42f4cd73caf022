#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Build a gzip cpio initramfs for the test VM: busybox, the fetched kernel's
# modules that tests need, extra files, and an /init that runs a scenario,
# dumps /results over the console and powers off.
#
# Usage: tests/vm/mkinitramfs.sh --out FILE --scenario FILE
#            [--file SRC[:DEST]]... [--dyn BINARY]... [--module NAME]...
#            [--kmod FILE.ko]... [--kernel 6.1|6.12]
#
#   --file SRC[:DEST]  copy SRC to DEST (default /bin/<name>; a DEST ending
#                      in / is a directory to put <name> in)
#   --dyn BINARY       a dynamically linked program of this machine (bpftrace,
#                      funclatency) as /usr/bin/<name>, with the shared
#                      libraries and loader ldd names at their paths
#   --module NAME      also include this module and its dependencies
#   --kmod FILE.ko     out-of-tree module, installed under extra/
#   --kernel K         which fetched kernel (default: $NTF_VM_KERNEL, else 6.1)
#
# The kernel is the one tests/vm/fetch-kernel.sh left in the cache.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

usage() {
	sed -n '/^# Usage:/,/^# The kernel/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

out=
scenario=
files=()
dyns=()
kmods=()
# What the tests load: KVM (a real MMU-notifier user), zram (swap for
# reclaim), vgem (dma_fence waits). Dependencies come from modules.dep.
modules=(kvm kvm_amd kvm_intel zram vgem)

while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=${2:?}; shift 2 ;;
	--scenario) scenario=${2:?}; shift 2 ;;
	--file) files+=("${2:?}"); shift 2 ;;
	--dyn) dyns+=("${2:?}"); shift 2 ;;
	--module) modules+=("${2:?}"); shift 2 ;;
	--kmod) kmods+=("${2:?}"); shift 2 ;;
	--kernel) select_vm_kernel "${2:?}"; shift 2 ;;
	-h|--help) usage ;;
	*) die "unknown argument '$1'" ;;
	esac
done
[ -n "$out" ] || die "--out FILE is required"
[ -n "$scenario" ] || die "--scenario FILE is required"
[ -f "$scenario" ] || die "scenario '$scenario' not found"

ensure_pkgs busybox-static cpio kmod gzip
load_kernel_env
[ -x /bin/busybox ] || die "/bin/busybox missing (busybox-static)"

stage=$(mktemp -d "${TMPDIR:-/tmp}/ntf-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

log "staging busybox"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,results,etc}
cp /bin/busybox "$stage/bin/busybox"
# --list-full gives each applet's usual directory, so scripts that use
# absolute paths (/sbin/modprobe, /usr/bin/env) work too.
while read -r applet; do
	[ -e "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
done < <(/bin/busybox --list-full)

# The kernel opens /dev/console before running /init; without the node
# /init would start with no stdout (devtmpfs is mounted only by /init).
if [ "$(id -u)" -eq 0 ]; then
	mknod -m 600 "$stage/dev/console" c 5 1
else
	log "not root: no /dev/console node, early /init output may be lost"
fi

for spec in "${files[@]}"; do
	src=${spec%%:*}
	if [ "$src" = "$spec" ]; then
		dest=/bin/
	else
		dest=${spec#*:}
	fi
	[ -e "$src" ] || die "--file: '$src' not found"
	case "$dest" in
	/*) ;;
	*) die "--file: destination '$dest' must be absolute" ;;
	esac
	[[ $dest == */ ]] && dest=$dest$(basename "$src")
	mkdir -p "$stage$(dirname "$dest")"
	cp -a "$src" "$stage$dest"
	log "added $dest"
done

for bin in ${dyns[@]+"${dyns[@]}"}; do
	[ -x "$bin" ] || die "--dyn: '$bin' is not an executable"
	cp -L "$bin" "$stage/usr/bin/"
	# the libraries (=> PATH) and the loader (a bare absolute path)
	while read -r lib; do
		[ -e "$stage$lib" ] && continue
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done < <(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
	log "added /usr/bin/$(basename "$bin") and its libraries"
done

cp "$scenario" "$stage/scenario"
chmod 755 "$stage/scenario"

# --- kernel modules -----------------------------------------------------
moddir=lib/modules/$NTF_KVER
mkdir -p "$stage/$moddir"
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[ -f "$NTF_MODDIR/$f" ] && cp "$NTF_MODDIR/$f" "$stage/$moddir/"
done

# Index modules.dep by the name modprobe uses: basename without .ko*, with
# '-' and '_' equivalent. (Plain expansions: a subshell per line of the
# ~4000-line file would cost seconds.)
declare -A dep_line=()
while IFS= read -r line; do
	name=${line%%:*}
	name=${name##*/}
	name=${name%%.ko*}
	dep_line[${name//-/_}]=$line
done <"$NTF_MODDIR/modules.dep"

# Copy one module from the tree, uncompressed so that busybox modprobe
# needs no decompressor and depmod on the stage sees plain .ko files.
copy_module() {
	local rel=$1 base dst

	base=${rel%.ko*}.ko
	dst=$stage/$moddir/$base
	[ -f "$dst" ] && return 0
	mkdir -p "$(dirname "$dst")"
	case "$rel" in
	*.ko) cp "$NTF_MODDIR/$rel" "$dst" ;;
	*.ko.xz) ensure_pkgs xz-utils; xz -dc "$NTF_MODDIR/$rel" >"$dst" ;;
	*.ko.gz) gzip -dc "$NTF_MODDIR/$rel" >"$dst" ;;
	*.ko.zst) ensure_pkgs zstd; zstd -qdc "$NTF_MODDIR/$rel" >"$dst" ;;
	*) die "unknown module file type: $rel" ;;
	esac
}

for m in "${modules[@]}"; do
	key=${m//-/_}
	if [ -z "${dep_line[$key]+x}" ]; then
		if grep -qs "/${m}.ko\$\|/${key}.ko\$" "$NTF_MODDIR/modules.builtin"; then
			log "module $m is built in"
			continue
		fi
		die "module '$m' not found in $NTF_KVER"
	fi
	line=${dep_line[$key]}
	# modules.dep already lists the full dependency closure.
	for rel in ${line%%:*} ${line#*:}; do
		copy_module "$rel"
	done
done

for ko in "${kmods[@]}"; do
	[ -f "$ko" ] || die "--kmod: '$ko' not found"
	mkdir -p "$stage/$moddir/extra"
	cp "$ko" "$stage/$moddir/extra/"
	log "added extra/$(basename "$ko")"
done

depmod -b "$stage" "$NTF_KVER" || die "depmod on the initramfs tree failed"
log "modules: ${modules[*]} + deps ($(find "$stage/$moddir" -name '*.ko' | wc -l) files)"

# --- /init --------------------------------------------------------------
cat >"$stage/init" <<'EOF'
#!/bin/sh
# Test VM init: set up the usual kernel file systems, run /scenario, dump
# /results to the console between markers, power off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/ TERM=dumb

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts /dev/shm /results
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
ip link set lo up 2>/dev/null

# ntf.timeout=SEC on the command line bounds the scenario, so results are
# still dumped when it hangs in user space.
tmo=0
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	ntf.timeout=*) tmo=${arg#ntf.timeout=} ;;
	esac
done

export NTF_RESULTS=/results NTF_KVER=$(uname -r)
echo "==== NTF-SCENARIO-START $NTF_KVER ===="
cd /
if [ "$tmo" -gt 0 ]; then
	timeout -s KILL "$tmo" /bin/sh /scenario
else
	/bin/sh /scenario
fi
rc=$?
[ "$tmo" -gt 0 ] && [ "$rc" -eq 137 ] &&
	echo "ntf-init: scenario killed after ${tmo}s"

# Keep kernel messages from splitting the encoded lines.
echo 1 >/proc/sys/kernel/printk
cd /results
find . -type f | sed 's|^\./||' | sort | while read -r f; do
	sum=$(sha256sum "$f" | cut -d' ' -f1)
	echo "==== NTF-RESULT-BEGIN $f ===="
	base64 "$f"
	echo "==== NTF-RESULT-END $f sha256=$sum ===="
done
cd /
echo "==== NTF-SCENARIO-EXIT $rc ===="
sync
poweroff -f
# Not reached unless poweroff failed; returning would panic the kernel.
while :; do sleep 60; done
EOF
chmod 755 "$stage/init"

log "writing $(basename "$out")"
mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet -R 0:0) | gzip -6 >"$out.tmp" ||
	die "cpio/gzip failed"
mv "$out.tmp" "$out"
log "initramfs $(du -h "$out" | cut -f1) for $NTF_KVER"
