/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fakevf_abi: the driver side of DPDK 22.11's ethdev and vdev bus that the
 * fake VF needs (tests/fakevf/fakevf.c).  Debian's libdpdk-dev installs only
 * the application API, not the driver SDK headers (ethdev_driver.h,
 * bus_vdev_driver.h), so the few structures a PMD fills in are declared here,
 * each only up to the last member the fake touches, in 22.11's layout.
 *
 * The cost of not having the real headers is that a layout mismatch would
 * not be caught by the compiler.  fakevf_abi_check() catches it at probe
 * time instead: rte_eth_dev_allocate() initialises fields at both ends of
 * rte_eth_dev_data (name, port_id, mtu, backer_port_id), and the probe
 * refuses to go on unless they read back as expected.  Test code only: never
 * linked into kvswitchd.
 */
#ifndef KVS_TESTS_FAKEVF_ABI_H
#define KVS_TESTS_FAKEVF_ABI_H

#include <stdint.h>
#include <string.h>
#include <sys/queue.h>

#include <rte_config.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

/* ---- the vdev bus (drivers/bus/vdev) ---- */

struct fakevf_rte_driver {
	TAILQ_ENTRY(fakevf_rte_driver) next;
	const char *name;
	const char *alias;
};

/* What the bus hands to probe/remove: a list link, then the generic device,
 * which the public rte_dev_name()/rte_dev_devargs() read. */
struct fakevf_vdev_device {
	TAILQ_ENTRY(fakevf_vdev_device) next;
	char device[]; /* struct rte_device, opaque to us */
};

static inline struct rte_device *fakevf_vdev_rte_device(struct fakevf_vdev_device *v)
{
	return (struct rte_device *)(void *)v->device;
}

typedef int(fakevf_vdev_probe_t)(struct fakevf_vdev_device *dev);
typedef int(fakevf_vdev_remove_t)(struct fakevf_vdev_device *dev);

struct fakevf_vdev_driver {
	TAILQ_ENTRY(fakevf_vdev_driver) next;
	struct fakevf_rte_driver driver;
	fakevf_vdev_probe_t *probe;
	fakevf_vdev_remove_t *remove;
	void *dma_map;
	void *dma_unmap;
	uint32_t drv_flags;
};

/* Exported by librte_bus_vdev (INTERNAL). */
void rte_vdev_register(struct fakevf_vdev_driver *driver);
void rte_vdev_unregister(struct fakevf_vdev_driver *driver);

/* ---- ethdev (lib/ethdev/ethdev_driver.h) ---- */

struct fakevf_eth_dev;

/* struct eth_dev_ops: 112 function pointers in 22.11.  The fake names the
 * first 47 (up to tx_queue_release: all it implements) and leaves the rest
 * NULL, with room to spare so ethdev never reads past the object. */
struct fakevf_eth_dev_ops {
	int (*dev_configure)(struct fakevf_eth_dev *dev);
	int (*dev_start)(struct fakevf_eth_dev *dev);
	int (*dev_stop)(struct fakevf_eth_dev *dev);
	int (*dev_set_link_up)(struct fakevf_eth_dev *dev);
	int (*dev_set_link_down)(struct fakevf_eth_dev *dev);
	int (*dev_close)(struct fakevf_eth_dev *dev);
	int (*dev_reset)(struct fakevf_eth_dev *dev);
	int (*link_update)(struct fakevf_eth_dev *dev, int wait_to_complete);
	int (*is_removed)(struct fakevf_eth_dev *dev);
	int (*promiscuous_enable)(struct fakevf_eth_dev *dev);
	int (*promiscuous_disable)(struct fakevf_eth_dev *dev);
	int (*allmulticast_enable)(struct fakevf_eth_dev *dev);
	int (*allmulticast_disable)(struct fakevf_eth_dev *dev);
	void (*mac_addr_remove)(struct fakevf_eth_dev *dev, uint32_t index);
	int (*mac_addr_add)(struct fakevf_eth_dev *dev, struct rte_ether_addr *mac, uint32_t index,
			    uint32_t vmdq);
	int (*mac_addr_set)(struct fakevf_eth_dev *dev, struct rte_ether_addr *mac);
	int (*set_mc_addr_list)(struct fakevf_eth_dev *dev, struct rte_ether_addr *mc, uint32_t nb);
	int (*mtu_set)(struct fakevf_eth_dev *dev, uint16_t mtu);
	int (*stats_get)(struct fakevf_eth_dev *dev, struct rte_eth_stats *st);
	int (*stats_reset)(struct fakevf_eth_dev *dev);
	int (*xstats_get)(struct fakevf_eth_dev *dev, struct rte_eth_xstat *xs, unsigned int n);
	int (*xstats_reset)(struct fakevf_eth_dev *dev);
	int (*xstats_get_names)(struct fakevf_eth_dev *dev, struct rte_eth_xstat_name *names,
				unsigned int n);
	void *queue_stats_mapping_set;
	int (*dev_infos_get)(struct fakevf_eth_dev *dev, struct rte_eth_dev_info *info);
	void *rxq_info_get, *txq_info_get, *rx_burst_mode_get, *tx_burst_mode_get;
	void *fw_version_get, *dev_supported_ptypes_get, *dev_ptypes_set;
	void *vlan_filter_set, *vlan_tpid_set, *vlan_strip_queue_set, *vlan_offload_set;
	void *vlan_pvid_set;
	void *rx_queue_start, *rx_queue_stop, *tx_queue_start, *tx_queue_stop;
	int (*rx_queue_setup)(struct fakevf_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
			      unsigned int socket, const struct rte_eth_rxconf *conf,
			      struct rte_mempool *mp);
	void (*rx_queue_release)(struct fakevf_eth_dev *dev, uint16_t qid);
	void *rx_queue_intr_enable, *rx_queue_intr_disable;
	int (*tx_queue_setup)(struct fakevf_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
			      unsigned int socket, const struct rte_eth_txconf *conf);
	void (*tx_queue_release)(struct fakevf_eth_dev *dev, uint16_t qid);
	void *rest[128 - 47]; /* tx_done_cleanup .. cman_config_get, and spare */
};

/* struct rte_eth_dev: the burst functions, then pointers to the shared data,
 * the ops and the device.  rte_eth_dev_allocate() returns one of the
 * library's own array, so only this prefix is ever read or written here. */
struct fakevf_eth_dev {
	eth_rx_burst_t rx_pkt_burst;
	eth_tx_burst_t tx_pkt_burst;
	void *tx_pkt_prepare, *rx_queue_count, *rx_descriptor_status, *tx_descriptor_status;
	struct fakevf_eth_dev_data *data;
	void *process_private;
	const struct fakevf_eth_dev_ops *dev_ops;
	struct rte_device *device;
	/* ... interrupt handle, callbacks, state: not touched */
};

struct fakevf_eth_dev_sriov {
	uint8_t active, nb_q_per_pool;
	uint16_t def_vmdq_idx, def_pool_q_idx;
};

/* struct rte_eth_dev_data, up to backer_port_id (what the ABI check reads). */
struct fakevf_eth_dev_data {
	char name[RTE_ETH_NAME_MAX_LEN];
	void **rx_queues;
	void **tx_queues;
	uint16_t nb_rx_queues;
	uint16_t nb_tx_queues;
	struct fakevf_eth_dev_sriov sriov;
	void *dev_private;
	struct rte_eth_link dev_link;
	struct rte_eth_conf dev_conf;
	uint16_t mtu;
	uint32_t min_rx_buf_size;
	uint64_t rx_mbuf_alloc_failed;
	struct rte_ether_addr *mac_addrs;
	uint64_t mac_pool_sel[RTE_ETH_NUM_RECEIVE_MAC_ADDR];
	struct rte_ether_addr *hash_mac_addrs;
	uint16_t port_id;
	uint8_t flags; /* promiscuous:1, scattered_rx:1, all_multicast:1, dev_started:1, ... */
	uint8_t rx_queue_state[RTE_MAX_QUEUES_PER_PORT];
	uint8_t tx_queue_state[RTE_MAX_QUEUES_PER_PORT];
	uint32_t dev_flags;
	int numa_node;
	struct rte_vlan_filter_conf vlan_filter_conf;
	struct rte_eth_dev_owner owner;
	uint16_t representor_id;
	uint16_t backer_port_id;
	/* pthread_mutex_t flow_ops_mutex: not touched */
};

/* Exported by librte_ethdev (INTERNAL). */
struct fakevf_eth_dev *rte_eth_dev_allocate(const char *name);
struct fakevf_eth_dev *rte_eth_dev_allocated(const char *name);
int rte_eth_dev_release_port(struct fakevf_eth_dev *dev);
void rte_eth_dev_probing_finish(struct fakevf_eth_dev *dev);

/* 0 if a freshly allocated port reads back as 22.11 initialises it. */
static inline int fakevf_abi_check(const struct fakevf_eth_dev *dev, const char *name)
{
	const struct fakevf_eth_dev_data *d = dev->data;

	if (d == NULL || strncmp(d->name, name, sizeof(d->name)) != 0 ||
	    d->port_id >= RTE_MAX_ETHPORTS || d->mtu != RTE_ETHER_MTU ||
	    d->backer_port_id != RTE_MAX_ETHPORTS)
		return -1;
	return 0;
}

#endif
