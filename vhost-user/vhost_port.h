/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost_port: dpdkvhostuser and dpdkvhostuserclient ports, on librte_vhost.
 *
 * A guest's queue pair q is vring 2q (guest rx, our tx) and 2q+1 (guest tx,
 * our rx).  librte_vhost calls us from its own threads:
 * - vring_state_changed runs with the device's queue locks held, so it only
 *   flips the enabled bits the PMDs read and signals the control thread;
 * - destroy_device runs unlocked: it marks the port disconnected and waits
 *   for an RCU grace period so no PMD touches the old vid afterwards.
 * The control thread learns of connects, disconnects and queue changes
 * through vhost_port_events() after the event fd fires, and re-plans rx
 * queues and tx maps (the guest memory's NUMA node becomes the port's).
 */
#ifndef KVS_VHOST_PORT_H
#define KVS_VHOST_PORT_H

#include <limits.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "dataplane/port.h"

struct rte_mempool;

/* Offloads offered to guests (options:csum, tso, ecn); each needs the ones
 * before it. */
enum {
	VHOST_OL_CSUM = 1 << 0, /* VIRTIO_NET_F_CSUM, GUEST_CSUM */
	VHOST_OL_TSO = 1 << 1,  /* HOST_TSO4/6, GUEST_TSO4/6 */
	VHOST_OL_ECN = 1 << 2,  /* HOST_ECN, GUEST_ECN */
	VHOST_OL_ALL = 7,
};

struct vhost_sock_opts {
	const char *dir;       /* server sockets are created here */
	gid_t gid;             /* (gid_t)-1: leave the group */
	int mode;              /* -1: leave the mode */
	unsigned int offloads; /* VHOST_OL_* offered from the start */
};

enum vhost_event {
	VHOST_EV_CONNECTED = 1 << 0,
	VHOST_EV_DISCONNECTED = 1 << 1,
	VHOST_EV_QUEUES = 1 << 2,
};

struct vhost_port_info {
	bool client;
	bool connected;
	int vid;
	int numa;
	uint16_t n_qp;          /* queue pairs the guest has */
	uint64_t rx_enabled[2]; /* by queue pair: guest tx vring enabled */
	uint64_t tx_enabled[2]; /* by queue pair: guest rx vring enabled */
	uint64_t connects, disconnects;
	uint64_t features; /* negotiated virtio features, 0 when not connected */
	char path[PATH_MAX];
};

/* Control thread, once: eventfd written on every vhost event. */
void vhost_init(int event_fd);

/*
 * Control thread: create the port and start its socket (server: create it in
 * opts->dir, named after the port, with the group and mode asked; client:
 * connect to path and keep reconnecting).  NULL + errno, message in err.
 */
struct dp_port *vhost_port_create(const char *name, bool client, const char *server_path,
				  const struct vhost_sock_opts *opts, char *err, size_t errlen);
/* Control thread: the port must be unpublished and out of every poll list
 * (and a grace period passed).  Unregisters the socket and frees. */
void vhost_port_destroy(struct dp_port *p);
/* Control thread: re-apply group/mode to an existing server socket. */
int vhost_port_set_perms(struct dp_port *p, const struct vhost_sock_opts *opts);

/* Control thread: offer VHOST_OL_* from now on; a connected guest keeps
 * what it negotiated until it reconnects.  -EINVAL if librte_vhost refused. */
int vhost_port_set_offloads(struct dp_port *p, unsigned int ol);
/* The offload features in a negotiated set, "csum,guest_csum,host_tso4,..."
 * ("" for none). */
void vhost_port_offloads_text(uint64_t features, char *buf, size_t len);
/* Control thread: pending events (bits of enum vhost_event), cleared. */
unsigned int vhost_port_events(struct dp_port *p);
void vhost_port_info(const struct dp_port *p, struct vhost_port_info *info);
/* Control thread: pool for frames dequeued from the guest; set before the
 * port's queues are published to PMDs. */
void vhost_port_set_pool(struct dp_port *p, struct rte_mempool *mp);
/* Control thread: tx map over the guest's enabled rx queues. */
void vhost_port_txmap(const struct dp_port *p, unsigned int n_pmds, struct dp_txmap *m);

/* Is q enabled for rx (PMD, control). */
bool vhost_port_rxq_enabled(const struct dp_port *p, uint16_t q);

#endif
