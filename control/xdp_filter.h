/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xdp_filter: the kernel half of a port's ingress MAC rules, on `dpdk` ports
 * whose device is a netdev reached through AF_XDP (net_af_xdp: a VF's
 * netdev, a veth).  kvswitchd hands the af_xdp PMD its own XDP program
 * (dataplane/bpf/xdp_mac_filter.bpf.c) as xdp_prog=; the PMD loads and
 * attaches it; this module finds it again on the interface and writes the
 * rules into its maps with libbpf, so a denied frame is dropped in the
 * kernel and never reaches the PMD.  The PMD still runs its own copy of the
 * rules (dataplane/filter.h), so a port keeps its policy on a device where
 * the kernel half is missing.
 *
 * Control thread only (apply.c, cmd_show.c); tools and tests may call it from
 * any process with CAP_BPF + CAP_NET_ADMIN, since the state is in the kernel.
 * Every function returns 0 or -errno and logs nothing: callers name the port.
 */
#ifndef KVS_CONTROL_XDP_FILTER_H
#define KVS_CONTROL_XDP_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/filter.h"

/* kvswitchd start: write the embedded program to DIR/xdp_mac_filter.bpf.o
 * (mode 0600, replaced atomically) for the PMD to load.  Until this has
 * succeeded xdp_filter_prepare_port() leaves devargs alone. */
int xdp_filter_init(const char *dir);
/* The program's path, "" before xdp_filter_init(). */
const char *xdp_filter_prog_path(void);

/* The interface an af_xdp devargs names ("net_af_xdp0,iface=veth1" ->
 * "veth1"); -ENOENT for any other device. */
int xdp_filter_ifname(const char *devargs, char *ifname, size_t len);

/*
 * Before probing a `dpdk` port.  For an af_xdp device whose devargs give no
 * xdp_prog: out = devargs + ",xdp_prog=<kvswitch's program>", and a kvswitch
 * program left attached by a kvswitchd that was killed is detached (the PMD
 * attaches only to an interface without a program).  Otherwise out = devargs.
 * -ENAMETOOLONG if out is too small (out = devargs then, when it fits).
 */
int xdp_filter_prepare_port(const char *devargs, char *out, size_t outlen);

/*
 * Enforce these ingress rules on ifname's kernel program (NULL or n == 0 with
 * default allow: pass everything).  -ENODEV: no such interface; -ENOENT: no
 * XDP program on it; -EPROTO: a program that is not kvswitch's (a user's
 * xdp_prog=); -EINVAL: more than FILTER_MAX_RULES rules.  On failure the
 * program keeps the policy it had.
 */
int xdp_filter_apply(const char *ifname, const struct filter_rules *ingress);

struct xdp_filter_stats {
	uint64_t denied;  /* every frame dropped since the program was attached */
	uint16_t n_rules; /* rules of the current policy */
	uint64_t rule_denied[FILTER_MAX_RULES]; /* by rule index, under the current policy */
	uint64_t default_denied;                /* by the current policy's default */
};

/* Same errors as xdp_filter_apply(). */
int xdp_filter_read_stats(const char *ifname, struct xdp_filter_stats *st);

#endif
