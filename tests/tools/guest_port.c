/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvs-guest's port: the one virtio-user device, set up from the options (rings, mbuf pool,
 * MTU, the offloads --offloads asks for), started with a number of queue pairs (at start and
 * for set-queues), and with --reconnect-ms detached and attached again when the switch went
 * away. kvs_guest.c calls it from its one lcore: at start, for set-queues, and between
 * commands and while link waits (port_watch); errors are returned as -1 with the message in
 * errmsg (fail()).
 */

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "guest.h"

#define RING_SIZE     1024
#define JUMBO_ROOM    10240
#define LINK_CHECK_MS UINT64_C(5)
#define LINK_GRACE_MS UINT64_C(20)

uint16_t port_id, nb_rxq, nb_txq;
struct rte_mempool *pool;
uint16_t max_queues;
uint32_t buf_room;
struct rte_eth_conf port_conf;
bool port_detached;

static uint16_t nb_rxd, nb_txd;

/* Configures nq queue pairs and starts the port. Starting is what tells the device how many pairs
 * are in use: when it has more than one, the virtio PMD sends VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET on
 * its control queue, and virtio-user turns that into VHOST_USER_SET_VRING_ENABLE messages: on
 * for the first nq pairs, off for those after them that it had turned on. */
int port_start_queues(uint16_t nq)
{
	uint16_t nrxd = RING_SIZE, ntxd = RING_SIZE, q;
	int rc;

	if ((rc = rte_eth_dev_configure(port_id, nq, nq, &port_conf)) != 0)
		return fail("configure %u queues, MTU %" PRIu64 ": %s", nq, opt.mtu,
			    rte_strerror(-rc));
	rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nrxd, &ntxd);
	for (q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port_id, q, nrxd, SOCKET_ID_ANY, NULL, pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port_id, q, ntxd, SOCKET_ID_ANY, NULL);
		if (rc != 0)
			return fail("queue %u setup: %s", q, rte_strerror(-rc));
	}
	if ((rc = rte_eth_dev_start(port_id)) != 0)
		return fail("port start with %u queues: %s", nq, rte_strerror(-rc));
	nb_rxq = nb_txq = nq;
	nb_rxd = nrxd;
	nb_txd = ntxd;
	return 0;
}

/* --reconnect-ms: what the device was attached with, to attach it again. */
static char dev_name[RTE_DEV_NAME_MAX_LEN], dev_args[1024];
static bool dev_server;

/* CLOCK_MONOTONIC seconds, for log lines a test lines up with its own events */
static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void port_remember(const struct rte_eth_dev_info *info)
{
	const struct rte_devargs *da = rte_dev_devargs(info->device);

	snprintf(dev_name, sizeof(dev_name), "%s", rte_dev_name(info->device));
	snprintf(dev_args, sizeof(dev_args), "%s", da != NULL ? da->args : "");
	dev_server = strstr(dev_args, "server=1") != NULL;
}

/* Called between commands and while link waits: a client-mode device whose link has been down
 * for LINK_GRACE_MS is detached (the grace lets virtio-user's own disconnect alarm run first),
 * then attached again every reconnect_ms; attaching connects and negotiates, and fails at once
 * while nobody listens on the socket. Meanwhile the data path stands still (service()). */
void port_watch(void)
{
	static uint64_t next, down_since;
	uint64_t now = rte_rdtsc();
	struct rte_eth_dev_info info;
	struct rte_eth_link lk;
	uint16_t nq = nb_rxq, id;

	if (opt.reconnect_ms == 0 || dev_server || now < next)
		return;
	next = now + ms_to_tsc(RTE_MIN(opt.reconnect_ms, LINK_CHECK_MS));
	if (!port_detached) {
		memset(&lk, 0, sizeof(lk));
		rte_eth_link_get_nowait(port_id, &lk);
		if (lk.link_status == RTE_ETH_LINK_UP) {
			down_since = 0;
			return;
		}
		if (down_since == 0)
			down_since = now;
		if (now - down_since < ms_to_tsc(LINK_GRACE_MS))
			return;
		fprintf(stderr, "kvs-guest: [%.3f] link down, detaching %s to connect again\n",
			mono_s(), dev_name);
		rte_eth_dev_stop(port_id);
		rte_eal_hotplug_remove("vdev", dev_name);
		port_detached = true;
		down_since = 0;
	}
	next = now + ms_to_tsc(opt.reconnect_ms);
	if (rte_eal_hotplug_add("vdev", dev_name, dev_args) != 0)
		return;
	RTE_ETH_FOREACH_DEV(id)
	{
		if (rte_eth_dev_info_get(id, &info) == 0 &&
		    strcmp(rte_dev_name(info.device), dev_name) == 0)
			port_id = id;
	}
	port_detached = false;
	if (port_start_queues(nq) < 0) {
		fprintf(stderr, "kvs-guest: attached %s again, but: %s\n", dev_name, errmsg);
		return;
	}
	rte_eth_promiscuous_enable(port_id);
	fprintf(stderr, "kvs-guest: [%.3f] attached %s again as port %u\n", mono_s(), dev_name,
		port_id);
}

int port_init(void)
{
	struct rte_eth_dev_info info;
	uint32_t room, nb_mbufs;
	uint16_t nq;
	int rc;

	if (rte_eth_dev_count_avail() != 1)
		return fail("want exactly one port (--vdev net_virtio_user0,path=...), got %u",
			    rte_eth_dev_count_avail());
	port_id = (uint16_t)rte_eth_find_next(0);
	if ((rc = rte_eth_dev_info_get(port_id, &info)) != 0)
		return fail("dev_info_get: %s", rte_strerror(-rc));
	max_queues = RTE_MIN(info.max_rx_queues, info.max_tx_queues);
	max_queues = RTE_MIN(max_queues, (uint16_t)MAX_QUEUES);
	nq = (uint16_t)(opt.queues ? opt.queues : max_queues);
	if (nq > info.max_rx_queues || nq > info.max_tx_queues)
		return fail("--queues %u: the device has %u rx / %u tx queues", nq,
			    info.max_rx_queues, info.max_tx_queues);
	port_remember(&info);
	if (opt.mtu > info.max_mtu || opt.mtu < info.min_mtu)
		return fail("the device refuses MTU %" PRIu64 " (range %u..%u)", opt.mtu,
			    info.min_mtu, info.max_mtu);
	room = opt.mtu > RTE_ETHER_MTU ? JUMBO_ROOM : RTE_MBUF_DEFAULT_BUF_SIZE;
	room = RTE_MAX(room, (uint32_t)opt.mtu + RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN +
				     RTE_PKTMBUF_HEADROOM);
	buf_room = room - RTE_PKTMBUF_HEADROOM;
	/* enough for every queue set-queues may turn on: queues it turns off keep their mbufs */
	nb_mbufs =
		opt.mbufs ? (uint32_t)opt.mbufs : max_queues * (2u * RING_SIZE + 2u * BURST) + 1024;
	pool = rte_pktmbuf_pool_create("kvsg_pool", nb_mbufs, 256, 0, (uint16_t)room,
				       (int)rte_socket_id());
	if (pool == NULL)
		return fail("mbuf pool of %u x %u bytes: %s", nb_mbufs, room,
			    rte_strerror(rte_errno));
	/* lsc: virtio-user in server mode re-accepts a restarted switch from its LSC
	 * interrupt handler, so a guest survives kvswitchd restarts */
	port_conf.rxmode.mtu = (uint32_t)opt.mtu;
	/* --offloads: what a Linux guest's virtio-net driver asks for, as far as the switch
	 * offers it (the device's capabilities come from the features it negotiated) */
	if (opt.offloads >= 1) {
		port_conf.txmode.offloads = info.tx_offload_capa & (RTE_ETH_TX_OFFLOAD_MULTI_SEGS |
								    RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
								    RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
		port_conf.rxmode.offloads = info.rx_offload_capa & (RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
								    RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	}
	if (opt.offloads >= 2) {
		port_conf.txmode.offloads |= info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_TSO;
		port_conf.rxmode.offloads |= info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TCP_LRO;
	}
	port_conf.intr_conf.lsc = 1;
	if (port_start_queues(nq) < 0)
		return -1;
	if (rte_eth_promiscuous_enable(port_id) != 0)
		fprintf(stderr, "kvs-guest: no promiscuous mode, continuing\n");
	if (rte_is_zero_ether_addr(&opt.mac))
		rte_eth_macaddr_get(port_id, &opt.mac);
	fprintf(stderr,
		"kvs-guest: port %u up: %u of %u queue pairs (%u/%u descriptors), MTU %" PRIu64
		", %u mbufs of %u bytes\n",
		port_id, nq, max_queues, nb_rxd, nb_txd, opt.mtu, nb_mbufs, room);
	return 0;
}
