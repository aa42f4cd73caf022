/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * User interface of ntf_testdrv, a test fixture module that behaves like a
 * GPU driver's userptr support: it registers mmu_interval_notifiers on the
 * caller's memory and, in its invalidate callback, sleeps, waits on a
 * dma_fence or refuses non-blockable ranges, as configured.
 *
 * Only <linux/types.h> and <linux/ioctl.h> are needed, so static user
 * programs built against the host's kernel headers can include this.
 *
 * All state (ranges, configuration, statistics) belongs to one open file
 * description; closing it unregisters every range and unpins every page.
 */
#ifndef NTF_TESTDRV_UAPI_H
#define NTF_TESTDRV_UAPI_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define NTF_TESTDRV_NAME	"ntf_testdrv"
#define NTF_TESTDRV_DEV		"/dev/ntf_testdrv"

/* Ranges one open file may register. */
#define NTF_TESTDRV_MAX_RANGES	16

/*
 * NTF_TESTDRV_IOC_REGISTER: register an mmu_interval_notifier on
 * [addr, addr + len) of the calling process's mm. If the current
 * configuration has pin_pages != 0, that many pages from addr are pinned
 * (FOLL_WRITE | FOLL_LONGTERM) until the file is closed; the range must be
 * at least that long and mapped writable. Returns the range's index (>= 0).
 */
struct ntf_testdrv_register {
	__u64 addr;
	__u64 len;
};

/*
 * How a REGISTER registers. INTERVAL is the driver the tracer's table of
 * callbacks knows (ntf_invalidate). The other two stand in for a driver it
 * has never heard of, which only discovery through the live subscriptions
 * can find: the same interval notifier behind another callback
 * (ntf_unlisted_invalidate), or a classic mmu_notifier on the whole mm
 * (ntf_classic_range_start/_end), as KVM and IOMMU drivers register.
 */
enum ntf_testdrv_flavour {
	NTF_TESTDRV_INTERVAL = 0,
	NTF_TESTDRV_UNLISTED = 1,
	NTF_TESTDRV_CLASSIC = 2,
};

/*
 * NTF_TESTDRV_IOC_CONFIG: how later invalidations (and registrations, for
 * pin_pages and flavour) behave. Takes effect immediately for all ranges
 * of the file.
 *
 * sleep_us:        usleep_range() this long in each blockable invalidate.
 * fence_wait_us:   if non-zero, each blockable invalidate creates a
 *                  dma_fence, arms an hrtimer that signals it after this
 *                  many microseconds and waits on it with
 *                  dma_fence_wait_timeout(), after the sleep.
 * refuse_nonblock: return false from invalidate when the range is not
 *                  blockable (OOM reaper), as drivers that must sleep do.
 * pin_pages:       pages pinned by each later REGISTER (0: none; not
 *                  with the classic flavour).
 * flavour:         enum ntf_testdrv_flavour of each later REGISTER. A
 *                  classic subscription sees every invalidation of the mm
 *                  and sleeps in each blockable range_start.
 */
struct ntf_testdrv_config {
	__u32 sleep_us;
	__u32 fence_wait_us;
	__u32 refuse_nonblock;
	__u32 pin_pages;
	__u32 flavour;
};

/*
 * NTF_TESTDRV_IOC_STATS: counters of this file since it was opened.
 *
 * invalidates:    invalidate callbacks that returned true (for classic
 *                 subscriptions: range_start calls that returned 0).
 * refusals:       invalidate callbacks that returned false (or -EAGAIN).
 * fence_waits:    dma_fence waits done inside invalidate.
 * pinned_pages:   pages currently pinned by this file.
 * total_sleep_ns: time measured around the usleep_range() calls only
 *                 (fence waits are not included).
 */
struct ntf_testdrv_stats {
	__u64 invalidates;
	__u64 refusals;
	__u64 fence_waits;
	__u64 pinned_pages;
	__u64 total_sleep_ns;
	__u64 range_ends; /* classic range_end calls */
	__u64 unlisted_calls; /* calls of the unlisted flavour's callback */
};

/*
 * NTF_TESTDRV_IOC_TIMES: what each call of the listed callback
 * (ntf_invalidate, from entry to return) and each fence wait (around
 * dma_fence_wait_timeout()) took, by the driver's clock, in ns: the first
 * NTF_TESTDRV_MAX_TIMES of each since the file was opened. The caller
 * gives two arrays of max entries; callbacks and fences say how many
 * were filled.
 */
#define NTF_TESTDRV_MAX_TIMES	2048

struct ntf_testdrv_times {
	__u64 callback_ns; /* user pointer to __u64[max] */
	__u64 fence_ns; /* user pointer to __u64[max] */
	__u32 max;
	__u32 callbacks;
	__u32 fences;
	__u32 pad;
};

#define NTF_TESTDRV_IOC_MAGIC	0xB7

#define NTF_TESTDRV_IOC_REGISTER \
	_IOW(NTF_TESTDRV_IOC_MAGIC, 0x01, struct ntf_testdrv_register)
#define NTF_TESTDRV_IOC_CONFIG \
	_IOW(NTF_TESTDRV_IOC_MAGIC, 0x02, struct ntf_testdrv_config)
#define NTF_TESTDRV_IOC_STATS \
	_IOR(NTF_TESTDRV_IOC_MAGIC, 0x03, struct ntf_testdrv_stats)
#define NTF_TESTDRV_IOC_TIMES \
	_IOWR(NTF_TESTDRV_IOC_MAGIC, 0x04, struct ntf_testdrv_times)

#endif /* NTF_TESTDRV_UAPI_H */
