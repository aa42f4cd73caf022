#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Turn /dev/zram0 into active swap for wl-reclaim (or take it down again).
# Plain POSIX sh, so it also runs under busybox in the test guest.
#
#   setup-zram-swap.sh [SIZE]   SIZE as zram takes it (default 64M)
#   setup-zram-swap.sh --off    swapoff and reset the device

set -e
dev=/dev/zram0
sys=/sys/block/zram0

die() {
	echo "setup-zram-swap: $*" >&2
	exit 1
}

active() {
	grep -q "^$dev " /proc/swaps
}

if [ "$1" = "--off" ]; then
	if active; then
		swapoff "$dev" || die "swapoff $dev failed"
	fi
	[ -e "$sys/reset" ] && echo 1 > "$sys/reset"
	exit 0
fi

case "$1" in
-*)
	echo "usage: setup-zram-swap.sh [SIZE] | --off" >&2
	exit 2
	;;
esac
size=${1:-64M}

if active; then
	echo "setup-zram-swap: $dev is already active swap"
	exit 0
fi

# zram may be built in; only load it when the device is missing.
if [ ! -e "$sys" ]; then
	modprobe zram || die "modprobe zram failed"
fi
[ -e "$sys" ] || die "$sys missing after modprobe zram"
[ -b "$dev" ] || die "$dev is not a block device (is devtmpfs mounted?)"

# disksize can only be set on a reset device.
if [ "$(cat "$sys/disksize")" != 0 ]; then
	echo 1 > "$sys/reset" || die "cannot reset $dev (in use?)"
fi
echo "$size" > "$sys/disksize" || die "cannot set $sys/disksize to $size"
mkswap "$dev" > /dev/null || die "mkswap $dev failed"
swapon "$dev" || die "swapon $dev failed"
echo "setup-zram-swap: $dev is swap, disksize $(cat "$sys/disksize") bytes"
