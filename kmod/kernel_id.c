// SPDX-License-Identifier: GPL-2.0
/*
 * Refuse to load on any kernel but the one omr.ko was checked against.
 *
 * The build compares the private MPTCP structs omr uses with the target
 * kernel's BTF (scripts/check-layout.sh), and scripts/prepare-ksrc.sh
 * records the size and SHA-256 of that same BTF in omr_kernel_id.h. Two
 * kernels with the same release string but other layouts (a rebuilt or
 * patched kernel, a distribution update that kept the ABI name) have
 * different BTF, so at load, before anything is registered, omr hashes the
 * running kernel's BTF, the bytes from __start_BTF that
 * /sys/kernel/btf/vmlinux shows (kernel/bpf/sysfs_btf.c), and refuses with
 * -ENOEXEC and one dmesg line if it is not the recorded one.
 *
 * The blob's length comes from its own header, not from __stop_BTF: a
 * linker symbol at the end of a section may share its address with the
 * next section's, and kallsyms prints one name per address (our debug
 * kernel's __stop_BTF printed as another). The whole length is then
 * checked to lie in the kernel's data like any object omr resolves.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/sha2.h>
#include <linux/btf.h>
#include <linux/ktime.h>
#include <linux/utsname.h>
#include "omr.h"
#include "omr_kernel_id.h"

static const u8 omr_btf_sha256[SHA256_DIGEST_SIZE] = OMR_KERNEL_BTF_SHA256;

/*
 * The length of the BTF blob at @start, as its header describes it, or 0 if
 * it holds no BTF. The header has grown (7.x's uapi adds a layout section
 * after str_len, and vmlinux BTF may still carry the 24-byte header): only
 * the fields every version has are read; the hash decides identity.
 */
static size_t omr_btf_len(const u8 *start)
{
	const struct btf_header *hdr = (const void *)start;
	size_t min = offsetofend(struct btf_header, str_len);

	if (hdr->magic != BTF_MAGIC || hdr->hdr_len < min)
		return 0;
	return (size_t)hdr->hdr_len +
		max((size_t)hdr->type_off + hdr->type_len,
		    (size_t)hdr->str_off + hdr->str_len);
}

int omr_kernel_id_check(void)
{
	u8 digest[SHA256_DIGEST_SIZE];
	const u8 *start;
	size_t size;
	u64 t0;

	start = omr_ksym_data("__start_BTF",
			      offsetofend(struct btf_header, str_len));
	if (!start)
		return -ENOENT;
	size = omr_btf_len(start);
	if (!size || !omr_ksym_data("__start_BTF", size)) {
		pr_err("the kernel's BTF at __start_BTF is not whole (%zu bytes by its header): cannot tell which kernel this is\n",
		       size);
		return -ENOEXEC;
	}

	t0 = ktime_get_ns();
	sha256(start, size, digest);
	if (size != OMR_KERNEL_BTF_SIZE ||
	    memcmp(digest, omr_btf_sha256, sizeof(digest))) {
		pr_err("built for another kernel: %s has BTF sha256 %8phN.. (%zu bytes), omr.ko was checked against %8phN.. (%u bytes, %s): rebuild it for this kernel\n",
		       utsname()->release, digest, size, omr_btf_sha256,
		       OMR_KERNEL_BTF_SIZE, OMR_KERNEL_RELEASE);
		return -ENOEXEC;
	}
	pr_info("kernel BTF sha256 %8phN.. (%zu bytes) is the one omr.ko was checked against (hashed in %llu us)\n",
		digest, size, div_u64(ktime_get_ns() - t0, NSEC_PER_USEC));
	return 0;
}
