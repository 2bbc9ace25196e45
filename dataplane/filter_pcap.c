/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Filters from tcpdump expressions (filter.h): libpcap compiles the
 * expression to classic BPF, librte_bpf converts it to eBPF (packet loads,
 * the frame length, the stack for cBPF's scratch words) and validates it,
 * and filter_check.c proves it touches nothing else, like any custom
 * program.
 * Kept apart from filter.c because libpcap's and the kernel's BPF headers
 * both define struct bpf_insn.  Control thread only.
 */
#include <errno.h>
#include <stdio.h>

#include <pcap/pcap.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "dataplane/filter.h"
#include "dataplane/filter_priv.h"

struct filter *filter_from_expression(const char *expr, char *err, size_t errlen)
{
	pcap_t *pc = pcap_open_dead(DLT_EN10MB, 65535);
	struct bpf_program code;
	struct rte_bpf_prm *prm;
	struct rte_bpf *bpf;
	char what[128], why[300];
	bool jit;

	if (pc == NULL) {
		snprintf(err, errlen, "libpcap unavailable");
		errno = ENOMEM;
		return NULL;
	}
	if (pcap_compile(pc, &code, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "expression '%s': %s", expr, pcap_geterr(pc));
		pcap_close(pc);
		errno = EINVAL;
		return NULL;
	}
	prm = rte_bpf_convert(&code);
	pcap_freecode(&code);
	pcap_close(pc);
	if (prm == NULL) {
		snprintf(err, errlen, "expression '%s': cannot convert to eBPF: %s", expr,
			 rte_strerror(rte_errno));
		errno = EINVAL;
		return NULL;
	}
	bpf = filter_load_custom(prm, why, sizeof(why));
	jit = filter_jit_safe(prm->ins, prm->nb_ins);
	rte_free(prm);
	if (bpf == NULL) {
		snprintf(err, errlen, "expression '%s': %s", expr, why);
		errno = EINVAL;
		return NULL;
	}
	snprintf(what, sizeof(what), "expression \"%.100s\"", expr);
	return filter_finish(bpf, NULL, jit, what, err, errlen);
}
