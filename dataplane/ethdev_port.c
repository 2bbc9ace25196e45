/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `dpdk` ports on DPDK ethdevs (ethdev_port.h).  Called by the control thread
 * (create/destroy/info) and PMDs (bursts).
 *
 * The device is probed by devargs with rte_dev_probe(), as OVS does with
 * options:dpdk-devargs, so virtual devices and hot-plugged PCI devices work
 * the same way.  Frames are received into the pool of the device's NUMA node.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dataplane/ethdev_port.h"
#include "dataplane/gro.h"
#include "dataplane/offload.h"
#include "dataplane/pktmbuf.h"

#define ETH_LOG(lvl, ...) rte_log(RTE_LOG_##lvl, RTE_LOGTYPE_USER1, "ethdev: " __VA_ARGS__)
#define TX_RETRIES        4

struct ethdev_port {
	uint16_t port_id;
	bool gro;        /* options:gro; written by the control thread, atomic */
	bool intr_asked; /* set up asking for rx interrupts; control thread */
	/* Each rx queue's interrupt fd, -1: none.  Set before the port is
	 * published, read-only after, the same files until the device closes
	 * (kvswitch never restarts a running ethdev).  A PMD asleep when the
	 * port is destroyed keeps its dup until it wakes (pmd-sleep-max at
	 * most): a net_tap netdev outlives its port by that much. */
	uint16_t n_rx_fds;
	int rx_fd[DP_MAX_QUEUES];
};

static uint16_t eth_rx(struct dp_port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	const struct ethdev_port *ep = p->priv;
	struct dp_rxq_stats *st;
	uint64_t absorbed;
	uint16_t k;

	n = rte_eth_rx_burst(ep->port_id, qid, pkts, n);
	if (likely(!__atomic_load_n(&ep->gro, __ATOMIC_RELAXED)) || n < 2)
		return n;
	k = dp_gro_burst(pkts, n, &absorbed);
	/* the pipeline counts the frames it gets; what merging took away is
	 * counted here, so rx_packets and rx_bytes stay what the wire carried
	 * (this PMD owns the queue's counters) */
	st = &p->rxq[qid];
	st->packets += n - k;
	st->bytes += absorbed;
	return k;
}

/* fitted: offload flags left on the frames are ones the device takes. */
static uint16_t eth_send(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts, uint16_t n,
			 bool fitted)
{
	const struct ethdev_port *ep = p->priv;
	const struct dp_txmap *map = __atomic_load_n(&p->txmap, __ATOMIC_ACQUIRE);
	uint16_t q, sent = 0, i;
	unsigned int tries = 0;
	uint64_t bytes = 0, fl = 0;
	bool shared;

	if (map == NULL || map->n == 0) {
		dp_port_drop_tx(p, pmd, DP_DROP_TX_DOWN, pkts, n);
		return 0;
	}
	/* no fallback onto another slot's queue: its owner may not lock it
	 * (the rule in port.h) */
	if (!dp_txmap_queue(map, pmd, &q, &shared)) {
		dp_port_drop_tx(p, pmd, DP_DROP_TX_NO_QUEUE, pkts, n);
		return 0;
	}
	/* bytes first: the driver owns sent mbufs as soon as tx returns; the
	 * flags of the burst come with them for one OR per frame */
	for (i = 0; i < n; i++) {
		bytes += pkts[i]->pkt_len;
		fl |= pkts[i]->ol_flags;
	}
	if (unlikely(fl & DP_OFL_TX_WORK)) {
		uint16_t ok;

		if (!fitted)
			return dp_offload_tx(p, pmd, pkts, n, eth_send);
		/* what the device does itself may need headers prepared
		 * (pseudo-header sums); it refuses what it cannot do */
		ok = rte_eth_tx_prepare(ep->port_id, q, pkts, n);
		if (ok < n) {
			for (i = ok; i < n; i++)
				bytes -= pkts[i]->pkt_len;
			dp_port_drop_tx(p, pmd, DP_DROP_BAD_OFFLOAD, pkts + ok, n - ok);
			n = ok;
		}
	}
	if (shared)
		rte_spinlock_lock(&p->txq_lock[q]);
	while (sent < n && tries++ <= TX_RETRIES)
		sent += rte_eth_tx_burst(ep->port_id, q, pkts + sent, n - sent);
	if (shared)
		rte_spinlock_unlock(&p->txq_lock[q]);
	for (i = sent; i < n; i++)
		bytes -= pkts[i]->pkt_len;
	p->tx[pmd].packets += sent;
	p->tx[pmd].bytes += bytes;
	if (unlikely(sent < n))
		dp_port_drop_tx(p, pmd, dp_port_full_reason(p), pkts + sent, n - sent);
	return sent;
}

static uint16_t eth_tx(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts, uint16_t n)
{
	return eth_send(p, pmd, pkts, n, false);
}

/* rx_wake (port.h): the PMD polling qid, on its idle path.  net_tap has no
 * rx_queue_intr_enable (-ENOTSUP): its fd, the queue's own, is readable
 * whenever a frame waits.  A VF's vector must be enabled, and is disabled
 * again when the PMD turns busy, so a busy PMD takes no interrupts. */
static int eth_rx_wake(struct dp_port *p, uint16_t qid, bool on)
{
	const struct ethdev_port *ep = p->priv;
	int rc;

	if (qid >= ep->n_rx_fds || ep->rx_fd[qid] < 0)
		return -ENOTSUP;
	rc = on ? rte_eth_dev_rx_intr_enable(ep->port_id, qid)
		: rte_eth_dev_rx_intr_disable(ep->port_id, qid);
	if (rc < 0 && rc != -ENOTSUP)
		return rc;
	return on ? ep->rx_fd[qid] : 0;
}

static const struct dp_port_ops eth_ops = {
	.rx_burst = eth_rx,
	.tx_burst = eth_tx,
	.rx_wake = eth_rx_wake,
	.rx_wake_fd_stable = true,
};

/*
 * Devices and ports in use.  Devargs may name several ethdevs: a PF with
 * representor=[0-3] makes one ethdev per VF representor, each of which is its
 * own kvswitch port.  A port takes the first matching ethdev that no other
 * port uses; a device kvswitch hot-plugged is removed when the last port on
 * any of its ethdevs goes away, not before (removing a PF removes its
 * representors).  Control thread only.
 */
static bool eth_in_use[RTE_MAX_ETHPORTS];
static struct rte_device *plugged[RTE_MAX_ETHPORTS];

static struct rte_device *eth_device(uint16_t pid)
{
	struct rte_eth_dev_info info;

	return rte_eth_dev_info_get(pid, &info) == 0 ? info.device : NULL;
}

static void plugged_set(struct rte_device *dev, bool on)
{
	unsigned int i, free_slot = RTE_DIM(plugged);

	for (i = 0; i < RTE_DIM(plugged); i++) {
		if (plugged[i] == dev) {
			if (!on)
				plugged[i] = NULL;
			return;
		}
		if (plugged[i] == NULL && free_slot == RTE_DIM(plugged))
			free_slot = i;
	}
	if (on && free_slot < RTE_DIM(plugged))
		plugged[free_slot] = dev;
}

static bool plugged_has(const struct rte_device *dev)
{
	unsigned int i;

	for (i = 0; dev != NULL && i < RTE_DIM(plugged); i++)
		if (plugged[i] == dev)
			return true;
	return false;
}

/* The first ethdev devargs names that no port uses; how many it names. */
static int match_free(const char *devargs, uint16_t *port_id, unsigned int *n_match)
{
	struct rte_dev_iterator it;
	uint16_t pid;
	int rc = -ENODEV;

	*n_match = 0;
	RTE_ETH_FOREACH_MATCHING_DEV(pid, devargs, &it)
	{
		(*n_match)++;
		if (rc != 0 && !eth_in_use[pid]) {
			*port_id = pid;
			rc = 0;
		}
	}
	if (*n_match && rc != 0)
		rc = -EBUSY; /* all taken by other ports */
	return rc;
}

/* The ethdev that devargs names, probing the device if nobody has yet. */
static int find_or_probe(const char *name, const char *devargs, uint16_t *port_id)
{
	unsigned int n;
	int rc;

	rc = match_free(devargs, port_id, &n);
	if (rc == -ENODEV) {
		/* -EEXIST: the device is there (a PF probed for another
		 * representor) but not this ethdev; drivers that can probe
		 * again have just made it */
		rc = rte_dev_probe(devargs);
		if (rc < 0 && rc != -EEXIST)
			return rc;
		if (rc == 0 && match_free(devargs, port_id, &n) == 0)
			plugged_set(eth_device(*port_id), true);
		rc = match_free(devargs, port_id, &n);
	}
	if (rc == 0 && n > 1)
		ETH_LOG(INFO,
			"%s: '%s' names %u ethdevs (representors?): this port is ethdev %u; "
			"give each its own port with representor=[N]\n",
			name, devargs, n, *port_id);
	return rc;
}

/* A device we hot-plugged is closed and removed with its last port; one EAL
 * probed at start (dpdk-extra -a/--vdev) is only stopped: a closed ethdev
 * cannot be configured again, and the next port on it must find it usable. */
static void unplug(uint16_t port_id)
{
	struct rte_device *dev = eth_device(port_id);
	uint16_t ids[RTE_MAX_ETHPORTS], pid, n = 0, i;

	eth_in_use[port_id] = false;
	rte_eth_dev_stop(port_id);
	if (!plugged_has(dev))
		return;
	RTE_ETH_FOREACH_DEV_OF(pid, dev)
	{
		if (eth_in_use[pid])
			return; /* another representor of it is still a port */
		ids[n++] = pid;
	}
	for (i = 0; i < n; i++)
		rte_eth_dev_close(ids[i]);
	rte_dev_remove(dev);
	plugged_set(dev, false);
}

/*
 * The tx offloads to enable, and what they let the port take (DP_OFL_*).
 * Segmentation is only handed to a device that takes multi-segment mbufs
 * (a 64 KB frame is a chain) and computes the checksums of its segments.
 * net_tap is not given TSO: in 22.11 it compares the whole segment,
 * Ethernet header included, to the MTU and refuses MTU-sized segments (an
 * MSS of 1448 at MTU 1500); offload.c segments for it and the device
 * computes the segments' checksums.  Devices write to the mbufs they
 * segment, so a frame shared by a flood is segmented by offload.c too.
 */
static uint64_t tx_offloads(const struct rte_eth_dev_info *info, uint32_t *caps)
{
	const uint64_t csum = RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	uint64_t capa = info->tx_offload_capa, on = capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;

	*caps = 0;
	if ((capa & csum) == csum) {
		on |= csum;
		*caps |= DP_OFL_CSUM;
	}
	if (capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
		on |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
		*caps |= DP_OFL_IPCSUM;
	}
	if ((capa & RTE_ETH_TX_OFFLOAD_TCP_TSO) && (on & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) &&
	    (*caps & DP_OFL_CSUM) && (*caps & DP_OFL_IPCSUM) &&
	    strcmp(info->driver_name, "net_tap") != 0) {
		on |= RTE_ETH_TX_OFFLOAD_TCP_TSO;
		*caps |= DP_OFL_TSO4 | DP_OFL_TSO6 | DP_OFL_TSO_WRITES;
	}
	return on;
}

/* Does options:rx-interrupts = opt (ethdev_port_params) ask a device of
 * this driver for them?  Unset: only net_tap, the driver verified here. */
static bool intr_wanted(const char *driver, int opt)
{
	return opt > 0 || (opt < 0 && strcmp(driver, "net_tap") == 0);
}

/*
 * Configure the device with nrx rx queues and *ntx tx queues (fewer tx
 * queues than rx ones may become as many: net_tap wants that), set up the
 * queues and start it.  -errno with a message in err naming the devargs;
 * the device is then stopped and can be set up again.
 */
static int eth_setup(uint16_t pid, const char *name, const struct ethdev_port_params *prm,
		     const struct rte_eth_conf *conf, uint16_t nrx, uint16_t *ntx, int numa,
		     struct rte_mempool *mp, char *err, size_t errlen)
{
	uint16_t q, rxd = prm->n_rxq_desc, txd = prm->n_txq_desc;
	int rc;

	rc = rte_eth_dev_configure(pid, nrx, *ntx, conf);
	if (rc < 0 && *ntx != nrx) {
		/* some devices want as many tx as rx queues (net_tap, which
		 * says so with -EPERM): PMDs then share the tx queues under
		 * their locks */
		ETH_LOG(INFO, "%s: device refused %u rx and %u tx queues; trying %u of each\n",
			name, nrx, *ntx, nrx);
		*ntx = nrx;
		rc = rte_eth_dev_configure(pid, nrx, *ntx, conf);
	}
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &rxd, &txd);
	for (q = 0; rc == 0 && q < nrx; q++)
		rc = rte_eth_rx_queue_setup(pid, q, rxd, numa, NULL, mp);
	for (q = 0; rc == 0 && q < *ntx; q++)
		rc = rte_eth_tx_queue_setup(pid, q, txd, numa, NULL);
	if (rc < 0) {
		snprintf(err, errlen, "port '%s': cannot configure '%s': %s", name, prm->devargs,
			 rte_strerror(-rc));
		return rc;
	}
	/* Promiscuous so frames for guests' MACs arrive.  A device that refuses
	 * (an untrusted VF), or options:promiscuous=false, receives through its
	 * MAC filter, which control/uplink.c programs and reports on. */
	if (prm->promiscuous)
		rte_eth_promiscuous_enable(pid);
	else
		rte_eth_promiscuous_disable(pid);
	rc = rte_eth_dev_start(pid);
	if (rc < 0)
		snprintf(err, errlen, "port '%s': cannot start '%s': %s", name, prm->devargs,
			 rte_strerror(-rc));
	return rc;
}

/*
 * The rx interrupt fd of each of the n queues of a started device.  A PMD
 * that ignores intr_conf.rxq (af_packet, af_xdp) has none, and ethdev logs
 * an error for each ask: a normal case here, so ethdev's log is held back
 * meanwhile (for every thread: a few microseconds on the control thread).
 * Queues sharing one vector (ixgbevf) would wake every PMD polling any of
 * them and turn each other's interrupt off: none of them gets one.
 */
static void rx_fds_probe(struct ethdev_port *ep, uint16_t n)
{
	uint32_t level = rte_log_get_level(rte_eth_dev_logtype);

	rte_log_set_level(rte_eth_dev_logtype, RTE_LOG_CRIT);
	for (uint16_t q = 0; q < n; q++)
		ep->rx_fd[q] = rte_eth_dev_rx_intr_ctl_q_get_fd(ep->port_id, q);
	rte_log_set_level(rte_eth_dev_logtype, level);
	for (uint16_t q = 0; q < n; q++)
		for (uint16_t r = q + 1; r < n; r++)
			if (ep->rx_fd[q] >= 0 && ep->rx_fd[r] == ep->rx_fd[q]) {
				ETH_LOG(INFO,
					"port %u: rx queues %u and %u share an interrupt: "
					"no rx interrupts\n",
					ep->port_id, q, r);
				ep->n_rx_fds = 0;
				return;
			}
	ep->n_rx_fds = n;
}

struct dp_port *ethdev_port_create(const char *name, const struct ethdev_port_params *prm,
				   char *err, size_t errlen)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	struct rte_mempool *mp;
	struct ethdev_port *ep;
	struct dp_port *p = NULL;
	uint16_t pid, nrx, ntx;
	uint32_t caps = 0;
	int rc, numa;
	bool asked;

	rc = find_or_probe(name, prm->devargs, &pid);
	if (rc == -EBUSY) {
		snprintf(err, errlen, "port '%s': dpdk-devargs '%s': each ethdev is a port already",
			 name, prm->devargs);
		errno = EBUSY;
		return NULL;
	}
	if (rc < 0) {
		snprintf(err, errlen, "port '%s': cannot probe dpdk-devargs '%s': %s", name,
			 prm->devargs, rte_strerror(-rc));
		errno = -rc;
		return NULL;
	}
	eth_in_use[pid] = true;
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc < 0) {
		snprintf(err, errlen, "port '%s': no device info for '%s'", name, prm->devargs);
		goto fail_unplug;
	}
	nrx = RTE_MIN(prm->n_rxq, info.max_rx_queues);
	nrx = RTE_MIN(nrx, DP_MAX_QUEUES);
	ntx = RTE_MIN((uint16_t)prm->max_pmds, info.max_tx_queues);
	if (ntx == 0)
		ntx = 1;
	if (nrx < prm->n_rxq)
		ETH_LOG(WARNING, "%s: device has %u rx queues, n_rxq=%u clamped\n", name, nrx,
			prm->n_rxq);
	numa = rte_eth_dev_socket_id(pid);
	if (numa < 0)
		numa = 0;
	mp = dp_pool_get(numa);
	if (mp == NULL) {
		snprintf(err, errlen, "port '%s': no mbuf pool on NUMA node %d", name, numa);
		rc = -ENOMEM;
		goto fail_unplug;
	}
	conf.rxmode.mtu = prm->mtu;
	if (info.max_mtu < prm->mtu) {
		snprintf(err, errlen, "port '%s': mtu_request %u exceeds the device maximum %u",
			 name, prm->mtu, info.max_mtu);
		rc = -EINVAL;
		goto fail_unplug;
	}
	if (prm->mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + 4 > RTE_MBUF_DEFAULT_DATAROOM &&
	    (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER))
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	conf.txmode.offloads = tx_offloads(&info, &caps);
	/* rx interrupts let a sleeping PMD wake on this port's frames
	 * (pmd-sleep-max, pmd/pmd_wake.h); a device that refuses them is set
	 * up again without, and its frames wait for a sleeping PMD's timer */
	asked = intr_wanted(info.driver_name, prm->rx_interrupts);
	conf.intr_conf.rxq = asked;
	rc = eth_setup(pid, name, prm, &conf, nrx, &ntx, numa, mp, err, errlen);
	if (rc < 0 && conf.intr_conf.rxq) {
		ETH_LOG(INFO, "%s; trying again without rx interrupts\n", err);
		/* a start that failed may have left the device marked started */
		rte_eth_dev_stop(pid);
		conf.intr_conf.rxq = 0;
		rc = eth_setup(pid, name, prm, &conf, nrx, &ntx, numa, mp, err, errlen);
	}
	if (rc < 0)
		goto fail_unplug;
	ep = rte_zmalloc("kvs_ethdev", sizeof(*ep), RTE_CACHE_LINE_SIZE);
	if (ep != NULL)
		p = dp_port_alloc(name, DP_PORT_ETHDEV, &eth_ops, numa);
	if (p == NULL) {
		rte_free(ep);
		snprintf(err, errlen, "port '%s': out of memory", name);
		rc = -ENOMEM;
		goto fail_unplug;
	}
	ep->port_id = pid;
	ep->intr_asked = asked;
	rx_fds_probe(ep, conf.intr_conf.rxq ? nrx : 0);
	p->priv = ep;
	p->ol_caps = caps;
	if (dp_offload_init() < 0)
		ETH_LOG(ERR,
			"%s: no mbuf pool for segmenting: large frames from guests will be "
			"dropped (clone_failed)\n",
			name);
	p->n_rxq = nrx;
	p->n_txq = ntx;
	return p;

fail_unplug:
	unplug(pid);
	errno = -rc;
	return NULL;
}

void ethdev_port_destroy(struct dp_port *p)
{
	struct ethdev_port *ep = p->priv;

	unplug(ep->port_id);
	rte_free(ep);
	dp_port_free(p);
}

void ethdev_port_set_gro(struct dp_port *p, bool on)
{
	struct ethdev_port *ep = p->priv;

	__atomic_store_n(&ep->gro, on, __ATOMIC_RELAXED);
}

bool ethdev_port_gro(const struct dp_port *p)
{
	const struct ethdev_port *ep = p->priv;

	return __atomic_load_n(&ep->gro, __ATOMIC_RELAXED);
}

bool ethdev_port_rx_intr_change(const struct dp_port *p, int opt)
{
	const struct ethdev_port *ep = p->priv;
	struct rte_eth_dev_info info;

	if (rte_eth_dev_info_get(ep->port_id, &info) < 0)
		return true;
	return intr_wanted(info.driver_name, opt) != ep->intr_asked;
}

uint16_t ethdev_port_id(const struct dp_port *p)
{
	return ((const struct ethdev_port *)p->priv)->port_id;
}

void ethdev_port_info(const struct dp_port *p, struct ethdev_port_info *info)
{
	const struct ethdev_port *ep = p->priv;
	struct rte_eth_dev_info di;
	struct rte_eth_link link;
	struct rte_eth_stats st;
	struct rte_ether_addr mac;

	memset(info, 0, sizeof(*info));
	info->port_id = ep->port_id;
	info->n_rxq = p->n_rxq;
	info->n_txq = p->n_txq;
	for (uint16_t q = 0; q < ep->n_rx_fds; q++)
		info->n_rxq_intr += ep->rx_fd[q] >= 0;
	if (rte_eth_dev_info_get(ep->port_id, &di) == 0)
		snprintf(info->driver, sizeof(info->driver), "%s", di.driver_name);
	if (rte_eth_macaddr_get(ep->port_id, &mac) == 0)
		rte_ether_format_addr(info->mac, sizeof(info->mac), &mac);
	if (rte_eth_link_get_nowait(ep->port_id, &link) == 0) {
		info->link_up = link.link_status == RTE_ETH_LINK_UP;
		info->link_speed = link.link_speed;
	}
	info->promiscuous = rte_eth_promiscuous_get(ep->port_id) == 1;
	if (rte_eth_stats_get(ep->port_id, &st) == 0) {
		info->hw_ipackets = st.ipackets;
		info->hw_opackets = st.opackets;
		info->hw_imissed = st.imissed;
		info->hw_ierrors = st.ierrors;
		info->hw_oerrors = st.oerrors;
		info->hw_rx_nombuf = st.rx_nombuf;
	}
}
