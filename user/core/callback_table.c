// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "callbacks.h"

/*
 * Known callbacks, by driver. The driver names are what users see and
 * filter by, short enough for a column of notifier-top: amdgpu is the
 * graphics userptr notifier, amdkfd the compute (HSA/KFD) one. Names read from each driver's source; a
 * kernel has the ones of its version (amdgpu's moved from amdgpu_mn.c to
 * amdgpu_hmm.c in 6.3), and kallsyms says which are here.
 */
#define CB(drv, fn, mod, k, cfg)                                                  \
	{                                                                         \
		.driver = drv, .func = fn, .module = mod, .kind = k, .needs = cfg \
	}
#define CB_ERA(drv, fn, mod, k, cfg, when)                                                     \
	{                                                                                      \
		.driver = drv, .func = fn, .module = mod, .kind = k, .needs = cfg, .era = when \
	}

const struct ntf_callback_def ntf_known_callbacks[] = {
	{ .driver = "kvm",
	  .func = "kvm_mmu_notifier_invalidate_range_start",
	  .module = "kvm",
	  .kind = NTF_CB_INT,
	  .needs = "CONFIG_KVM",
	  .tp = "kvm_unmap_hva_range" },
	CB("kvm_end", "kvm_mmu_notifier_invalidate_range_end", "kvm", NTF_CB_VOID, "CONFIG_KVM"),
	CB("i915", "i915_gem_userptr_invalidate", "i915", NTF_CB_BOOL, "CONFIG_MMU_NOTIFIER"),
	/* amdgpu_mn.c up to 6.2, amdgpu_hmm.c from 6.3 */
	CB_ERA("amdgpu", "amdgpu_mn_invalidate_gfx", "amdgpu", NTF_CB_BOOL, "CONFIG_HMM_MIRROR",
	       "up to 6.2"),
	CB_ERA("amdkfd", "amdgpu_mn_invalidate_hsa", "amdgpu", NTF_CB_BOOL, "CONFIG_HMM_MIRROR",
	       "up to 6.2"),
	CB_ERA("amdgpu", "amdgpu_hmm_invalidate_gfx", "amdgpu", NTF_CB_BOOL, "CONFIG_HMM_MIRROR",
	       "6.3 on"),
	CB_ERA("amdkfd", "amdgpu_hmm_invalidate_hsa", "amdgpu", NTF_CB_BOOL, "CONFIG_HMM_MIRROR",
	       "6.3 on"),
	CB("kfd_svm", "svm_range_cpu_invalidate_pagetables", "amdgpu", NTF_CB_BOOL,
	   "CONFIG_HSA_AMD_SVM"),
	CB("nouveau", "nouveau_svm_range_invalidate", "nouveau", NTF_CB_BOOL,
	   "CONFIG_DRM_NOUVEAU_SVM"),
	CB_ERA("xe", "vma_userptr_invalidate", "xe", NTF_CB_BOOL, "CONFIG_DRM_XE", "6.8 on"),
	CB_ERA("gpusvm", "drm_gpusvm_notifier_invalidate", "drm_gpusvm", NTF_CB_BOOL,
	       "CONFIG_DRM_GPUSVM", "6.15 on"),
	CB("mlx5_ib", "mlx5_ib_invalidate_range", "mlx5_ib", NTF_CB_BOOL,
	   "CONFIG_INFINIBAND_ON_DEMAND_PAGING"),
	CB("hmm_test", "dmirror_interval_invalidate", "test_hmm", NTF_CB_BOOL, "CONFIG_TEST_HMM"),
	CB("testdrv", "ntf_invalidate", "ntf_testdrv", NTF_CB_BOOL, "the test module"),
};

const unsigned int ntf_known_callback_count =
	sizeof(ntf_known_callbacks) / sizeof(ntf_known_callbacks[0]);

_Static_assert(sizeof(ntf_known_callbacks) / sizeof(ntf_known_callbacks[0]) <= NTF_MAX_KNOWN,
	       "the table outgrew the ids kept for it: raise NTF_MAX_KNOWN");
