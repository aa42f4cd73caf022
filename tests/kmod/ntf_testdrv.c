// SPDX-License-Identifier: GPL-2.0
/*
 * ntf_testdrv - a test fixture that behaves like a GPU driver's userptr
 * support, so MMU-notifier tracing can be tested without a GPU.
 *
 * Each open file of /dev/ntf_testdrv may register mmu_interval_notifiers on
 * the caller's memory. Their invalidate callback does what real drivers do
 * there: take the driver lock and bump the sequence, then (configurably)
 * sleep, wait on a dma_fence, or refuse a non-blockable range. Pages may be
 * long-term pinned at registration like a userptr BO that is bound. Other
 * flavours register through callbacks no tracer table lists: the same
 * interval notifier behind another function, or a classic mmu_notifier.
 *
 * Never to be shipped: it exists only for the project's VM tests.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "ntf_testdrv_uapi.h"

/* Give up re-pinning after this many collisions with invalidations. */
#define NTF_PIN_RETRIES		16

/* 1 GiB of 4 KiB pages: far more than a test needs, and fits an int. */
#define NTF_MAX_PIN_PAGES	(1U << 18)

/* Slack on top of the requested fence delay before the wait times out. */
#define NTF_FENCE_SLACK_MS	5000

struct ntf_file;

struct ntf_range {
	struct mmu_interval_notifier notifier;
	struct mmu_notifier mn;		/* the classic flavour's instead */
	bool classic;
	struct ntf_file *file;
	/*
	 * The "driver lock": held while the sequence is bumped in
	 * invalidate and while mmu_interval_read_retry() is checked, which is
	 * what makes read_begin/retry race-free.
	 */
	struct mutex lock;
	struct page **pages;
	unsigned long npinned;
};

struct ntf_file {
	struct mutex lock;		/* ranges[], nr_ranges, cfg updates */
	struct ntf_range *ranges[NTF_TESTDRV_MAX_RANGES];
	unsigned int nr_ranges;

	/* Read locklessly by invalidate: each field is a plain u32. */
	struct ntf_testdrv_config cfg;

	u64 fence_context;
	atomic64_t fence_seqno;

	atomic64_t invalidates;
	atomic64_t refusals;
	atomic64_t fence_waits;
	atomic64_t pinned_pages;
	atomic64_t total_sleep_ns;
	atomic64_t range_ends;
	atomic64_t unlisted_calls;

	/*
	 * What each call of the listed callback and each fence wait took, by
	 * the driver's own clock: the truth a tracer's percentiles are
	 * checked against. The first NTF_TESTDRV_MAX_TIMES of each.
	 */
	atomic_t nr_callback_ns, nr_fence_ns;
	u64 callback_ns[NTF_TESTDRV_MAX_TIMES];
	u64 fence_ns[NTF_TESTDRV_MAX_TIMES];
};

static void ntf_log_time(u64 *log, atomic_t *nr, u64 ns)
{
	int i = atomic_inc_return(nr) - 1;

	if (i < NTF_TESTDRV_MAX_TIMES)
		log[i] = ns;
	else
		atomic_dec(nr);
}

struct ntf_fence {
	struct dma_fence base;	/* first: the default release kfree()s it */
	spinlock_t lock;
	struct hrtimer timer;
};

static const char *ntf_fence_driver_name(struct dma_fence *fence)
{
	return KBUILD_MODNAME;
}

static const char *ntf_fence_timeline_name(struct dma_fence *fence)
{
	return "invalidate";
}

static const struct dma_fence_ops ntf_fence_ops = {
	.get_driver_name = ntf_fence_driver_name,
	.get_timeline_name = ntf_fence_timeline_name,
};

/* Stands in for the GPU finishing the job that used the pages. */
static enum hrtimer_restart ntf_fence_timer_fn(struct hrtimer *timer)
{
	struct ntf_fence *f = container_of(timer, struct ntf_fence, timer);

	dma_fence_signal(&f->base);
	return HRTIMER_NORESTART;
}

/*
 * Wait like a driver waiting for the GPU to stop using the range. Called
 * from invalidate, possibly from reclaim, so the allocation must not
 * recurse into reclaim; if it fails the wait is skipped, not the invalidate.
 */
static void ntf_fence_wait(struct ntf_file *nf, u32 wait_us)
{
	struct ntf_fence *f;
	long ret;
	u64 t0;

	f = kzalloc(sizeof(*f), GFP_NOWAIT | __GFP_NOWARN);
	if (!f) {
		pr_warn_ratelimited("no memory for a fence, wait skipped\n");
		return;
	}

	spin_lock_init(&f->lock);
	dma_fence_init(&f->base, &ntf_fence_ops, &f->lock, nf->fence_context,
		       atomic64_inc_return(&nf->fence_seqno));
	hrtimer_init(&f->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	f->timer.function = ntf_fence_timer_fn;
	hrtimer_start(&f->timer, ns_to_ktime((u64)wait_us * NSEC_PER_USEC),
		      HRTIMER_MODE_REL);

	t0 = ktime_get_ns();
	ret = dma_fence_wait_timeout(&f->base, false,
				     usecs_to_jiffies(wait_us) +
				     msecs_to_jiffies(NTF_FENCE_SLACK_MS));
	ntf_log_time(nf->fence_ns, &nf->nr_fence_ns, ktime_get_ns() - t0);
	if (ret <= 0)
		pr_warn_ratelimited("fence wait returned %ld\n", ret);

	/* The timer may still be running its callback; it owns no ref. */
	hrtimer_cancel(&f->timer);
	dma_fence_signal(&f->base);	/* no-op unless the wait timed out */
	atomic64_inc(&nf->fence_waits);
	dma_fence_put(&f->base);
}

/* What a driver does once the GPU's use of the range must end. */
static void ntf_driver_work(struct ntf_file *nf)
{
	u32 sleep_us = READ_ONCE(nf->cfg.sleep_us);
	u32 fence_us = READ_ONCE(nf->cfg.fence_wait_us);

	if (sleep_us) {
		u64 t0 = ktime_get_ns();

		usleep_range(sleep_us, sleep_us + sleep_us / 8 + 1);
		atomic64_add(ktime_get_ns() - t0, &nf->total_sleep_ns);
	}
	if (fence_us)
		ntf_fence_wait(nf, fence_us);
}

static bool ntf_range_invalidate(struct mmu_interval_notifier *mni,
				 const struct mmu_notifier_range *range,
				 unsigned long cur_seq)
{
	struct ntf_range *r = container_of(mni, struct ntf_range, notifier);
	struct ntf_file *nf = r->file;
	bool blockable = mmu_notifier_range_blockable(range);

	if (!blockable && READ_ONCE(nf->cfg.refuse_nonblock))
		goto refuse;

	if (blockable)
		mutex_lock(&r->lock);
	else if (!mutex_trylock(&r->lock))
		goto refuse;
	mmu_interval_set_seq(mni, cur_seq);
	mutex_unlock(&r->lock);

	atomic64_inc(&nf->invalidates);
	if (blockable)
		ntf_driver_work(nf);
	return true;

refuse:
	atomic64_inc(&nf->refusals);
	return false;
}

/* The callback the tracer's table knows by name. */
static bool ntf_invalidate(struct mmu_interval_notifier *mni,
			   const struct mmu_notifier_range *range,
			   unsigned long cur_seq)
{
	struct ntf_file *nf = container_of(mni, struct ntf_range, notifier)->file;
	u64 t0 = ktime_get_ns();
	bool ret = ntf_range_invalidate(mni, range, cur_seq);

	ntf_log_time(nf->callback_ns, &nf->nr_callback_ns, ktime_get_ns() - t0);
	return ret;
}

/* The same work behind a name no table lists; counted apart. */
static bool ntf_unlisted_invalidate(struct mmu_interval_notifier *mni,
				    const struct mmu_notifier_range *range,
				    unsigned long cur_seq)
{
	struct ntf_range *r = container_of(mni, struct ntf_range, notifier);

	atomic64_inc(&r->file->unlisted_calls);
	return ntf_range_invalidate(mni, range, cur_seq);
}

static const struct mmu_interval_notifier_ops ntf_mni_ops = {
	.invalidate = ntf_invalidate,
};

static const struct mmu_interval_notifier_ops ntf_unlisted_ops = {
	.invalidate = ntf_unlisted_invalidate,
};

/* A classic notifier sees every invalidation of the mm, as KVM does. */
static int ntf_classic_range_start(struct mmu_notifier *mn,
				   const struct mmu_notifier_range *range)
{
	struct ntf_range *r = container_of(mn, struct ntf_range, mn);
	struct ntf_file *nf = r->file;

	if (!mmu_notifier_range_blockable(range)) {
		if (READ_ONCE(nf->cfg.refuse_nonblock)) {
			atomic64_inc(&nf->refusals);
			return -EAGAIN;
		}
		atomic64_inc(&nf->invalidates);
		return 0;
	}
	atomic64_inc(&nf->invalidates);
	ntf_driver_work(nf);
	return 0;
}

static void ntf_classic_range_end(struct mmu_notifier *mn,
				  const struct mmu_notifier_range *range)
{
	struct ntf_range *r = container_of(mn, struct ntf_range, mn);

	atomic64_inc(&r->file->range_ends);
}

static const struct mmu_notifier_ops ntf_classic_ops = {
	.invalidate_range_start = ntf_classic_range_start,
	.invalidate_range_end = ntf_classic_range_end,
};

/*
 * Pin like a userptr bind: sample the sequence, pin, then confirm under the
 * driver lock that no invalidation ran in between, else start over.
 */
static int ntf_range_pin(struct ntf_range *r, unsigned long addr,
			 unsigned int npages)
{
	unsigned long seq;
	int tries, pinned;

	r->pages = kvcalloc(npages, sizeof(*r->pages), GFP_KERNEL);
	if (!r->pages)
		return -ENOMEM;

	for (tries = 0; tries < NTF_PIN_RETRIES; tries++) {
		seq = mmu_interval_read_begin(&r->notifier);
		pinned = pin_user_pages_fast(addr, npages,
					     FOLL_WRITE | FOLL_LONGTERM,
					     r->pages);
		if (pinned < 0)
			goto err_free;
		if (pinned != npages) {
			unpin_user_pages(r->pages, pinned);
			pinned = -EFAULT;
			goto err_free;
		}

		mutex_lock(&r->lock);
		if (!mmu_interval_read_retry(&r->notifier, seq)) {
			r->npinned = npages;
			mutex_unlock(&r->lock);
			atomic64_add(npages, &r->file->pinned_pages);
			return 0;
		}
		mutex_unlock(&r->lock);
		unpin_user_pages(r->pages, npages);
	}
	pinned = -EBUSY;
err_free:
	kvfree(r->pages);
	r->pages = NULL;
	return pinned;
}

static void ntf_range_destroy(struct ntf_range *r)
{
	/* Waits for running invalidate callbacks to return. */
	if (r->classic)
		mmu_notifier_unregister(&r->mn, r->mn.mm);
	else
		mmu_interval_notifier_remove(&r->notifier);
	if (r->npinned) {
		unpin_user_pages_dirty_lock(r->pages, r->npinned, true);
		atomic64_sub(r->npinned, &r->file->pinned_pages);
	}
	kvfree(r->pages);
	mutex_destroy(&r->lock);
	kfree(r);
}

static long ntf_ioctl_register(struct ntf_file *nf, void __user *argp)
{
	struct ntf_testdrv_register reg;
	struct ntf_range *r;
	unsigned int npages, flavour;
	int ret, idx;

	if (copy_from_user(&reg, argp, sizeof(reg)))
		return -EFAULT;
	if (!reg.len || reg.addr + reg.len < reg.addr ||
	    reg.addr + reg.len > TASK_SIZE)
		return -EINVAL;
	if (!current->mm)
		return -EINVAL;

	mutex_lock(&nf->lock);
	npages = nf->cfg.pin_pages;
	flavour = nf->cfg.flavour;
	if (nf->nr_ranges == NTF_TESTDRV_MAX_RANGES) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	if (npages && (reg.addr & ~PAGE_MASK ||
		       (u64)npages << PAGE_SHIFT > reg.len)) {
		ret = -EINVAL;
		goto out_unlock;
	}

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	r->file = nf;
	mutex_init(&r->lock);

	if (flavour == NTF_TESTDRV_CLASSIC) {
		r->classic = true;
		r->mn.ops = &ntf_classic_ops;
		ret = mmu_notifier_register(&r->mn, current->mm);
	} else {
		ret = mmu_interval_notifier_insert(&r->notifier, current->mm,
						   reg.addr, reg.len,
						   flavour == NTF_TESTDRV_UNLISTED ?
						   &ntf_unlisted_ops : &ntf_mni_ops);
	}
	if (ret) {
		mutex_destroy(&r->lock);
		kfree(r);
		goto out_unlock;
	}

	if (npages) {
		ret = ntf_range_pin(r, reg.addr, npages);
		if (ret) {
			ntf_range_destroy(r);
			goto out_unlock;
		}
	}

	idx = nf->nr_ranges++;
	nf->ranges[idx] = r;
	ret = idx;
out_unlock:
	mutex_unlock(&nf->lock);
	return ret;
}

static long ntf_ioctl_config(struct ntf_file *nf, void __user *argp)
{
	struct ntf_testdrv_config cfg;

	if (copy_from_user(&cfg, argp, sizeof(cfg)))
		return -EFAULT;
	/* Keep a misconfigured test from stalling the guest for minutes. */
	if (cfg.sleep_us > USEC_PER_SEC ||
	    cfg.fence_wait_us > 10 * USEC_PER_SEC ||
	    cfg.pin_pages > NTF_MAX_PIN_PAGES ||
	    cfg.flavour > NTF_TESTDRV_CLASSIC ||
	    (cfg.flavour == NTF_TESTDRV_CLASSIC && cfg.pin_pages))
		return -EINVAL;

	mutex_lock(&nf->lock);
	WRITE_ONCE(nf->cfg.sleep_us, cfg.sleep_us);
	WRITE_ONCE(nf->cfg.fence_wait_us, cfg.fence_wait_us);
	WRITE_ONCE(nf->cfg.refuse_nonblock, cfg.refuse_nonblock);
	WRITE_ONCE(nf->cfg.pin_pages, cfg.pin_pages);
	WRITE_ONCE(nf->cfg.flavour, cfg.flavour);
	mutex_unlock(&nf->lock);
	return 0;
}

static long ntf_ioctl_stats(struct ntf_file *nf, void __user *argp)
{
	struct ntf_testdrv_stats st = {
		.invalidates = atomic64_read(&nf->invalidates),
		.refusals = atomic64_read(&nf->refusals),
		.fence_waits = atomic64_read(&nf->fence_waits),
		.pinned_pages = atomic64_read(&nf->pinned_pages),
		.total_sleep_ns = atomic64_read(&nf->total_sleep_ns),
		.range_ends = atomic64_read(&nf->range_ends),
		.unlisted_calls = atomic64_read(&nf->unlisted_calls),
	};

	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}

/* The logged times, as many as the caller's arrays hold. */
static long ntf_ioctl_times(struct ntf_file *nf, void __user *argp)
{
	struct ntf_testdrv_times t;
	u32 n;

	if (copy_from_user(&t, argp, sizeof(t)))
		return -EFAULT;
	n = min_t(u32, t.max, atomic_read(&nf->nr_callback_ns));
	if (copy_to_user(u64_to_user_ptr(t.callback_ns), nf->callback_ns, n * sizeof(u64)))
		return -EFAULT;
	t.callbacks = n;
	n = min_t(u32, t.max, atomic_read(&nf->nr_fence_ns));
	if (copy_to_user(u64_to_user_ptr(t.fence_ns), nf->fence_ns, n * sizeof(u64)))
		return -EFAULT;
	t.fences = n;
	return copy_to_user(argp, &t, sizeof(t)) ? -EFAULT : 0;
}

static long ntf_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ntf_file *nf = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case NTF_TESTDRV_IOC_REGISTER:
		return ntf_ioctl_register(nf, argp);
	case NTF_TESTDRV_IOC_CONFIG:
		return ntf_ioctl_config(nf, argp);
	case NTF_TESTDRV_IOC_STATS:
		return ntf_ioctl_stats(nf, argp);
	case NTF_TESTDRV_IOC_TIMES:
		return ntf_ioctl_times(nf, argp);
	default:
		return -ENOTTY;
	}
}

static int ntf_open(struct inode *inode, struct file *file)
{
	struct ntf_file *nf;

	nf = kvzalloc(sizeof(*nf), GFP_KERNEL); /* the time logs make it large */
	if (!nf)
		return -ENOMEM;
	mutex_init(&nf->lock);
	nf->fence_context = dma_fence_context_alloc(1);
	file->private_data = nf;
	return nonseekable_open(inode, file);
}

static int ntf_release(struct inode *inode, struct file *file)
{
	struct ntf_file *nf = file->private_data;
	unsigned int i;

	for (i = 0; i < nf->nr_ranges; i++)
		ntf_range_destroy(nf->ranges[i]);
	mutex_destroy(&nf->lock);
	kvfree(nf);
	return 0;
}

static const struct file_operations ntf_fops = {
	.owner = THIS_MODULE,
	.open = ntf_open,
	.release = ntf_release,
	.unlocked_ioctl = ntf_ioctl,
	/* The structs have no pointers and the same layout for 32-bit. */
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice ntf_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = NTF_TESTDRV_NAME,
	.fops = &ntf_fops,
	.mode = 0666,
};

module_misc_device(ntf_misc);

MODULE_DESCRIPTION("MMU interval notifier test driver (test fixture only)");
MODULE_LICENSE("GPL");
