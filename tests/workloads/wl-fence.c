// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * wl-fence: make one thread wait on a dma_fence for a chosen time, K times.
 *
 * vgem (a software DRM driver, modprobe vgem) can attach an unsignaled
 * fence to a buffer and signal it on request. In 6.1, DMA_BUF_IOCTL_SYNC
 * with DMA_BUF_SYNC_START -> dma_buf_begin_cpu_access() ->
 * __dma_buf_begin_cpu_access() -> dma_resv_wait_timeout(), which calls
 * dma_fence_wait_timeout() once per unsignaled fence of the buffer
 * (signaled ones are skipped by the resv iterator). Each round attaches
 * one write fence, so each SYNC_START is one dma_fence_wait_timeout() by
 * the waiting thread, lasting until the main thread signals the fence
 * --wait-ms later. vgem signals its fences by itself after 10 s, hence the
 * limit on --wait-ms.
 *
 * The DRM and vgem uapi structs are declared here, from the kernel's
 * include/uapi/drm/{drm.h,drm_mode.h,vgem_drm.h}: the system may not have
 * the DRM headers.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <linux/types.h>
#include <sys/ioctl.h>

#include "wl-common.h"

struct drm_version {
	int version_major;
	int version_minor;
	int version_patchlevel;
	size_t name_len;
	char *name;
	size_t date_len;
	char *date;
	size_t desc_len;
	char *desc;
};

struct drm_gem_close {
	__u32 handle;
	__u32 pad;
};

struct drm_prime_handle {
	__u32 handle;
	__u32 flags;
	__s32 fd;
};

struct drm_mode_create_dumb {
	__u32 height;
	__u32 width;
	__u32 bpp;
	__u32 flags;
	__u32 handle;
	__u32 pitch;
	__u64 size;
};

struct drm_vgem_fence_attach {
	__u32 handle;
	__u32 flags;
	__u32 out_fence;
	__u32 pad;
};

struct drm_vgem_fence_signal {
	__u32 fence;
	__u32 flags;
};

#define DRM_IOCTL_VERSION _IOWR('d', 0x00, struct drm_version)
#define DRM_IOCTL_GEM_CLOSE _IOW('d', 0x09, struct drm_gem_close)
#define DRM_IOCTL_PRIME_HANDLE_TO_FD _IOWR('d', 0x2d, struct drm_prime_handle)
#define DRM_IOCTL_MODE_CREATE_DUMB _IOWR('d', 0xb2, struct drm_mode_create_dumb)
#define DRM_COMMAND_BASE 0x40
#define DRM_IOCTL_VGEM_FENCE_ATTACH _IOWR('d', DRM_COMMAND_BASE + 1, struct drm_vgem_fence_attach)
#define DRM_IOCTL_VGEM_FENCE_SIGNAL _IOW('d', DRM_COMMAND_BASE + 2, struct drm_vgem_fence_signal)
#define VGEM_FENCE_WRITE 0x1
#define DRM_CLOEXEC O_CLOEXEC

#define VGEM_AUTO_SIGNAL_MS 10000

static unsigned long count = 1;
static unsigned long wait_ms = 50;
static const char *device;

enum {
	OPT_COUNT = WL_OPT_FIRST_PRIVATE,
	OPT_WAIT,
	OPT_DEVICE,
};

static const struct option longopts[] = {
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "wait-ms", required_argument, NULL, OPT_WAIT },
	{ "device", required_argument, NULL, OPT_DEVICE },
	WL_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static const char usage[] =
	"usage: wl-fence [options]\n"
	"Block a thread in DMA_BUF_IOCTL_SYNC on a vgem fence that the main\n"
	"thread signals --wait-ms later, --count times; print one JSON line.\n"
	"Needs the vgem driver (modprobe vgem).\n"
	"  --count K             waits (default 1)\n"
	"  --wait-ms MS          how long each wait lasts (default 50, < 10000)\n"
	"  --device PATH         DRM card of vgem (default: the card under\n"
	"                        /dev/dri whose driver is \"vgem\")\n";

static void handle(int opt, const char *arg)
{
	switch (opt) {
	case OPT_COUNT: count = wl_parse_ulong("count", arg, 1, 10000); break;
	case OPT_WAIT:
		wait_ms = wl_parse_ulong("wait-ms", arg, 0, VGEM_AUTO_SIGNAL_MS - 1000);
		break;
	case OPT_DEVICE: device = arg; break;
	}
}

/* True if fd is a DRM device whose driver is called "vgem". */
static bool is_vgem(int fd)
{
	char name[32] = "";
	struct drm_version v = {
		.name_len = sizeof(name) - 1,
		.name = name,
	};

	return !ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, "vgem");
}

/* Open --device, or the first card* under /dev/dri driven by vgem. */
static int open_vgem(char *path, size_t size)
{
	struct dirent *de;
	DIR *dir;
	int fd;

	if (device) {
		snprintf(path, size, "%s", device);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			wl_die_errno("open %s", path);
		if (!is_vgem(fd))
			wl_die("%s is not a vgem DRM device", path);
		return fd;
	}
	dir = opendir("/dev/dri");
	if (!dir)
		wl_die_errno("open /dev/dri (is vgem loaded?)");
	/* card nodes: DRM_IOCTL_MODE_CREATE_DUMB is refused on render nodes */
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "card", 4))
			continue;
		snprintf(path, size, "/dev/dri/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (is_vgem(fd)) {
			closedir(dir);
			return fd;
		}
		close(fd);
	}
	closedir(dir);
	wl_die("no DRM card with driver \"vgem\" under /dev/dri (modprobe vgem?)");
}

static int drm_fd, dmabuf_fd;
static sem_t go, blocking, done;
static uint64_t *measured;
static pid_t waiter_tid;
static int waiter_err;

static void *waiter(void *arg)
{
	struct dma_buf_sync start = {
		.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW,
	};
	struct dma_buf_sync end = {
		.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW,
	};
	unsigned long k;
	uint64_t t0;
	int ret;

	(void)arg;
	waiter_tid = gettid();
	for (k = 0; k < count; k++) {
		sem_wait(&go);
		sem_post(&blocking);
		t0 = wl_now_ns();
		/* the dma-buf docs ask to restart on EINTR/EAGAIN */
		do
			ret = ioctl(dmabuf_fd, DMA_BUF_IOCTL_SYNC, &start);
		while (ret && (errno == EINTR || errno == EAGAIN));
		measured[k] = wl_now_ns() - t0;
		if (ret || ioctl(dmabuf_fd, DMA_BUF_IOCTL_SYNC, &end)) {
			waiter_err = errno;
			sem_post(&done);
			return NULL;
		}
		sem_post(&done);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct drm_mode_create_dumb dumb = {
		.width = 64, .height = 64, .bpp = 32, /* 16 KiB */
	};
	struct drm_prime_handle prime = { .flags = DRM_CLOEXEC };
	struct drm_gem_close gclose = { 0 };
	char path[300];
	pthread_t thr;
	unsigned long k;
	int err;

	wl_init("wl-fence", usage);
	wl_parse_args(argc, argv, longopts, handle);
	measured = calloc(count, sizeof(*measured));
	if (!measured)
		wl_die_errno("allocate %lu results", count);

	drm_fd = open_vgem(path, sizeof(path));
	if (ioctl(drm_fd, DRM_IOCTL_MODE_CREATE_DUMB, &dumb))
		wl_die_errno("ioctl DRM_IOCTL_MODE_CREATE_DUMB on %s", path);
	prime.handle = dumb.handle;
	if (ioctl(drm_fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime))
		wl_die_errno("ioctl DRM_IOCTL_PRIME_HANDLE_TO_FD on %s", path);
	dmabuf_fd = prime.fd;

	if (sem_init(&go, 0, 0) || sem_init(&blocking, 0, 0) || sem_init(&done, 0, 0))
		wl_die_errno("sem_init");
	err = pthread_create(&thr, NULL, waiter, NULL);
	if (err) {
		errno = err;
		wl_die_errno("pthread_create");
	}
	wl_pause_before();

	for (k = 0; k < count; k++) {
		struct drm_vgem_fence_attach attach = {
			.handle = dumb.handle,
			.flags = VGEM_FENCE_WRITE,
		};
		struct drm_vgem_fence_signal sig = { 0 };

		if (ioctl(drm_fd, DRM_IOCTL_VGEM_FENCE_ATTACH, &attach))
			wl_die_errno("ioctl DRM_IOCTL_VGEM_FENCE_ATTACH");
		sem_post(&go);
		sem_wait(&blocking);
		/* the waiter is in, or just entering, the ioctl */
		wl_sleep_ms(wait_ms);
		sig.fence = attach.out_fence;
		if (ioctl(drm_fd, DRM_IOCTL_VGEM_FENCE_SIGNAL, &sig)) {
			if (errno == ETIMEDOUT)
				wl_die("vgem fence %u had already signaled by itself", sig.fence);
			wl_die_errno("ioctl DRM_IOCTL_VGEM_FENCE_SIGNAL");
		}
		sem_wait(&done);
		if (waiter_err) {
			errno = waiter_err;
			wl_die_errno("ioctl DMA_BUF_IOCTL_SYNC");
		}
	}
	pthread_join(thr, NULL);

	wl_json_begin("fence");
	wl_json_u64("waits", count);
	wl_json_u64("wait_ms", wait_ms);
	wl_json_u64_array("measured_ns", measured, count);
	wl_json_u64("tid", waiter_tid);
	wl_json_str("device", path);
	wl_json_end();

	close(dmabuf_fd);
	gclose.handle = dumb.handle;
	ioctl(drm_fd, DRM_IOCTL_GEM_CLOSE, &gclose);
	close(drm_fd);
	return 0;
}
