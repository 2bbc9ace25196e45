/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ethdev_port: `dpdk` ports, i.e. any DPDK ethdev named by devargs: a PCI VF
 * bound to vfio-pci, a VF representor (PF devargs with representor=[N]),
 * or a virtual device (net_af_packet, net_af_xdp, net_tap...).  The control
 * thread probes, configures and starts the device; PMDs call the burst
 * functions.  One tx queue per possible PMD when the device has enough,
 * otherwise PMDs share queues under the port's tx locks.
 */
#ifndef KVS_DP_ETHDEV_PORT_H
#define KVS_DP_ETHDEV_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/port.h"

struct ethdev_port_params {
	const char *devargs;
	uint16_t n_rxq, n_rxq_desc, n_txq_desc;
	uint32_t mtu;
	unsigned int max_pmds; /* tx queues wanted */
	bool promiscuous;      /* try promiscuous mode, or turn it off; a device
				  that refuses is left to control/uplink.c's MAC
				  filter programming */
	/* Rx interrupts, to wake a sleeping PMD (pmd-sleep-max) on a frame:
	 * 1 try them (a device that refuses is set up without), 0 never,
	 * -1 only on drivers they were verified with (net_tap): with others
	 * (a VF's MSI-X vectors through VFIO) they change how the device is
	 * set up, so they are the operator's choice (options:rx-interrupts) */
	int rx_interrupts;
};

struct ethdev_port_info {
	uint16_t port_id;
	char driver[64];
	char mac[18];
	uint16_t n_rxq, n_txq;
	uint16_t n_rxq_intr; /* rx queues whose interrupts wake a sleeping PMD */
	bool link_up;
	uint32_t link_speed;
	bool promiscuous;
	uint64_t hw_ipackets, hw_opackets, hw_imissed, hw_ierrors, hw_oerrors, hw_rx_nombuf;
};

/* Control thread.  NULL + errno with a message in err naming the devargs. */
struct dp_port *ethdev_port_create(const char *name, const struct ethdev_port_params *prm,
				   char *err, size_t errlen);
/* Control thread: port unpublished, out of poll lists, grace period passed. */
void ethdev_port_destroy(struct dp_port *p);
void ethdev_port_info(const struct dp_port *p, struct ethdev_port_info *info);
/* Control thread: would options:rx-interrupts = opt (as in
 * ethdev_port_params) ask the device otherwise than it was asked at
 * create, so that the port must be set up again? */
bool ethdev_port_rx_intr_change(const struct dp_port *p, int opt);
/* The ethdev port id, for rte_eth_* calls on the control thread. */
uint16_t ethdev_port_id(const struct dp_port *p);
/* Control thread: merge received TCP/IPv4 segments (options:gro, gro.h) from
 * the next burst on; PMDs read it once per burst. */
void ethdev_port_set_gro(struct dp_port *p, bool on);
bool ethdev_port_gro(const struct dp_port *p);

#endif
