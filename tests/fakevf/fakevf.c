/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_fakevf: a DPDK vdev PMD that behaves like an untrusted SR-IOV VF, for
 * kvswitch's tests (there is no SR-IOV NIC on a test machine).
 *
 *   --vdev or rte_dev_probe("net_fakevf0,iface=VETH[,uc_slots=4][,mc_slots=8]
 *                            [,trust=0][,mac=02:..][,representor=[0-3]]")
 *
 * Frames go in and out through an AF_PACKET socket on a kernel interface
 * (a veth whose peer is in a network namespace), like net_af_packet.  What
 * makes it a VF is the receive side, which mirrors what the NIC's embedded
 * switch does for a VF:
 * - unicast frames are delivered only for the primary MAC and the MACs added
 *   with rte_eth_dev_mac_addr_add(); there are uc_slots of those
 *   (dev_info.max_mac_addrs = 1 + uc_slots) and adding one more fails with
 *   -ENOSPC;
 * - multicast frames only for the rte_eth_dev_set_mc_addr_list() list (at
 *   most mc_slots entries, more is -ENOSPC) or with allmulticast;
 * - broadcast always;
 * - promiscuous and allmulticast need trust=1 (ip link set PF vf N trust on);
 *   untrusted, enabling either fails with -EPERM.
 * Frames the filter refuses are dropped and, unlike on a real VF where they
 * never reach the function, counted: imissed in rte_eth_stats and the xstats
 * rx_filtered_unicast_packets / rx_filtered_multicast_packets, so tests can
 * tell "filtered" from "never sent".
 *
 * representor=[...] adds one ethdev per VF number, flagged as a VF
 * representor the way PF drivers do (RTE_ETH_DEV_REPRESENTOR, representor_id,
 * backer_port_id), so devargs with representor=[N] select them; they share
 * the interface and behave like the VF.  Tests use them for the lifetime
 * rules of ports on one device, not for traffic semantics.
 *
 * Threads: the control thread calls the ops; PMDs call the bursts.  The
 * filter PMDs read is a set of 64-bit words written with atomic stores, so a
 * frame is checked against either the old or the new entry, never a torn
 * one.  One rx queue; tx queues each have their own socket.
 *
 * Test code only: built as a shared object (librte_net_fakevf.so) that
 * kvswitchd loads with the EAL option -d.  The ethdev driver structures come
 * from fakevf_abi.h (Debian does not ship DPDK's driver SDK headers).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_kvargs.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "fakevf_abi.h"

#define VF_LOG(lvl, ...) rte_log(RTE_LOG_##lvl, RTE_LOGTYPE_PMD, "net_fakevf: " __VA_ARGS__)
#define VF_MAX_UC        64 /* uc_slots upper bound */
#define VF_MAX_MC        64 /* mc_slots upper bound */
#define VF_MAX_TXQ       8
#define VF_MAX_PKTLEN    9728
#define VF_ENTRY_VALID   (1ULL << 48)
#define VF_DEFAULT_UC    4
#define VF_DEFAULT_MC    8

static const char *const vf_keys[] = {"iface", "uc_slots",    "mc_slots", "trust",
				      "mac",   "representor", NULL};

struct vf_rxq {
	struct fakevf *vf;
	int fd;
	struct rte_mempool *mp;
	uint8_t buf[VF_MAX_PKTLEN];
};

struct vf_txq {
	struct fakevf *vf;
	int fd;
	uint8_t buf[VF_MAX_PKTLEN];
};

struct fakevf {
	char iface[IF_NAMESIZE];
	int ifindex;
	uint32_t uc_slots, mc_slots;
	bool trust;
	/* The filter: written by the control thread, read by the PMD. */
	uint64_t uc[1 + VF_MAX_UC]; /* by ethdev MAC index; 0 = the primary */
	uint64_t mc[VF_MAX_MC];
	uint32_t n_mc;
	bool promisc, allmulti;
	/* counters: the rx side is written by the one PMD polling the queue */
	uint64_t ipackets, ibytes, ierrors, nombuf, filtered_uc, filtered_mc;
	/* tx queues may be on several PMDs: atomic adds */
	uint64_t opackets, obytes, oerrors;
	bool started;
};

static uint64_t mac_word(const uint8_t *m)
{
	return (uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 | (uint64_t)m[2] << 24 |
	       (uint64_t)m[3] << 16 | (uint64_t)m[4] << 8 | m[5] | VF_ENTRY_VALID;
}

static struct fakevf *vf_of(struct fakevf_eth_dev *dev)
{
	return dev->data->dev_private;
}

/* ---- the receive filter ---- */

static bool in_list(const uint64_t *list, uint32_t n, uint64_t w)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (__atomic_load_n(&list[i], __ATOMIC_RELAXED) == w)
			return true;
	return false;
}

/* PMD: would the VF deliver a frame with this destination? */
static bool vf_accepts(struct fakevf *vf, const uint8_t *dst)
{
	uint64_t w = mac_word(dst);

	if (__atomic_load_n(&vf->promisc, __ATOMIC_RELAXED))
		return true;
	if (w == (0xffffffffffffULL | VF_ENTRY_VALID))
		return true; /* broadcast */
	if (dst[0] & 1) {
		if (__atomic_load_n(&vf->allmulti, __ATOMIC_RELAXED) ||
		    in_list(vf->mc, __atomic_load_n(&vf->n_mc, __ATOMIC_ACQUIRE), w))
			return true;
		vf->filtered_mc++;
		return false;
	}
	if (in_list(vf->uc, 1 + vf->uc_slots, w))
		return true;
	vf->filtered_uc++;
	return false;
}

/* ---- bursts ---- */

static uint16_t vf_rx(void *queue, struct rte_mbuf **pkts, uint16_t n)
{
	struct vf_rxq *q = queue;
	struct fakevf *vf = q->vf;
	uint16_t got = 0;

	while (got < n) {
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		struct rte_mbuf *m;
		ssize_t len;

		len = recvfrom(q->fd, q->buf, sizeof(q->buf), MSG_DONTWAIT | MSG_TRUNC,
			       (struct sockaddr *)&sll, &sl);
		if (len < 0)
			break;
		if (sll.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (len < RTE_ETHER_HDR_LEN || len > (ssize_t)sizeof(q->buf)) {
			vf->ierrors++;
			continue;
		}
		if (!vf_accepts(vf, q->buf))
			continue;
		m = rte_pktmbuf_alloc(q->mp);
		if (m == NULL) {
			vf->nombuf++;
			continue;
		}
		if (rte_pktmbuf_tailroom(m) < len) {
			rte_pktmbuf_free(m);
			vf->ierrors++;
			continue;
		}
		memcpy(rte_pktmbuf_mtod(m, void *), q->buf, (size_t)len);
		m->data_len = m->pkt_len = (uint32_t)len;
		m->port = 0;
		pkts[got++] = m;
		vf->ipackets++;
		vf->ibytes += (uint64_t)len;
	}
	return got;
}

static uint16_t vf_tx(void *queue, struct rte_mbuf **pkts, uint16_t n)
{
	struct vf_txq *q = queue;
	struct fakevf *vf = q->vf;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t len = rte_pktmbuf_pkt_len(m);
		const void *data = rte_pktmbuf_read(m, 0, RTE_MIN(len, sizeof(q->buf)), q->buf);

		if (send(q->fd, data, RTE_MIN(len, sizeof(q->buf)), MSG_DONTWAIT) < 0) {
			if (errno == EAGAIN || errno == ENOBUFS)
				break; /* ring full: the caller keeps the rest */
			__atomic_fetch_add(&vf->oerrors, 1, __ATOMIC_RELAXED);
		} else {
			__atomic_fetch_add(&vf->opackets, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&vf->obytes, len, __ATOMIC_RELAXED);
		}
		rte_pktmbuf_free(m);
	}
	return i;
}

/* ---- ops ---- */

static int vf_configure(struct fakevf_eth_dev *dev)
{
	(void)dev;
	return 0;
}

static int vf_link_update(struct fakevf_eth_dev *dev, int wait)
{
	struct rte_eth_link l = {
		.link_speed = RTE_ETH_SPEED_NUM_10G,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_autoneg = RTE_ETH_LINK_FIXED,
		.link_status = vf_of(dev)->started ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN,
	};

	(void)wait;
	dev->data->dev_link = l;
	return 0;
}

static int vf_start(struct fakevf_eth_dev *dev)
{
	vf_of(dev)->started = true;
	return vf_link_update(dev, 0);
}

static int vf_stop(struct fakevf_eth_dev *dev)
{
	vf_of(dev)->started = false;
	return vf_link_update(dev, 0);
}

static void vf_rxq_release(struct fakevf_eth_dev *dev, uint16_t qid)
{
	struct vf_rxq *q = dev->data->rx_queues[qid];

	if (q == NULL)
		return;
	close(q->fd);
	rte_free(q);
	dev->data->rx_queues[qid] = NULL;
}

static void vf_txq_release(struct fakevf_eth_dev *dev, uint16_t qid)
{
	struct vf_txq *q = dev->data->tx_queues[qid];

	if (q == NULL)
		return;
	close(q->fd);
	rte_free(q);
	dev->data->tx_queues[qid] = NULL;
}

static int vf_close(struct fakevf_eth_dev *dev)
{
	uint16_t q;

	for (q = 0; q < dev->data->nb_rx_queues; q++)
		vf_rxq_release(dev, q);
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		vf_txq_release(dev, q);
	return 0;
}

static int vf_promisc_enable(struct fakevf_eth_dev *dev)
{
	struct fakevf *vf = vf_of(dev);

	if (!vf->trust)
		return -EPERM; /* the PF refuses: the VF is not trusted */
	__atomic_store_n(&vf->promisc, true, __ATOMIC_RELEASE);
	return 0;
}

static int vf_promisc_disable(struct fakevf_eth_dev *dev)
{
	__atomic_store_n(&vf_of(dev)->promisc, false, __ATOMIC_RELEASE);
	return 0;
}

static int vf_allmulti_enable(struct fakevf_eth_dev *dev)
{
	struct fakevf *vf = vf_of(dev);

	if (!vf->trust)
		return -EPERM;
	__atomic_store_n(&vf->allmulti, true, __ATOMIC_RELEASE);
	return 0;
}

static int vf_allmulti_disable(struct fakevf_eth_dev *dev)
{
	__atomic_store_n(&vf_of(dev)->allmulti, false, __ATOMIC_RELEASE);
	return 0;
}

static int vf_mac_add(struct fakevf_eth_dev *dev, struct rte_ether_addr *mac, uint32_t index,
		      uint32_t pool)
{
	struct fakevf *vf = vf_of(dev);

	(void)pool;
	if (index == 0 || index > vf->uc_slots)
		return -ENOSPC;
	if (rte_is_multicast_ether_addr(mac))
		return -EINVAL;
	__atomic_store_n(&vf->uc[index], mac_word(mac->addr_bytes), __ATOMIC_RELEASE);
	return 0;
}

static void vf_mac_remove(struct fakevf_eth_dev *dev, uint32_t index)
{
	struct fakevf *vf = vf_of(dev);

	if (index >= 1 && index <= vf->uc_slots)
		__atomic_store_n(&vf->uc[index], 0, __ATOMIC_RELEASE);
}

static int vf_mac_set(struct fakevf_eth_dev *dev, struct rte_ether_addr *mac)
{
	__atomic_store_n(&vf_of(dev)->uc[0], mac_word(mac->addr_bytes), __ATOMIC_RELEASE);
	return 0;
}

static int vf_mc_list(struct fakevf_eth_dev *dev, struct rte_ether_addr *mc, uint32_t n)
{
	struct fakevf *vf = vf_of(dev);
	uint32_t i;

	if (n > vf->mc_slots)
		return -ENOSPC;
	for (i = 0; i < n; i++)
		if (!rte_is_multicast_ether_addr(&mc[i]))
			return -EINVAL;
	/* shrink to none first, so a PMD never matches half-written entries */
	__atomic_store_n(&vf->n_mc, 0, __ATOMIC_RELEASE);
	for (i = 0; i < n; i++)
		__atomic_store_n(&vf->mc[i], mac_word(mc[i].addr_bytes), __ATOMIC_RELAXED);
	__atomic_store_n(&vf->n_mc, n, __ATOMIC_RELEASE);
	return 0;
}

static int vf_mtu_set(struct fakevf_eth_dev *dev, uint16_t mtu)
{
	(void)dev;
	return mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN > VF_MAX_PKTLEN ? -EINVAL : 0;
}

static int vf_stats_get(struct fakevf_eth_dev *dev, struct rte_eth_stats *st)
{
	struct fakevf *vf = vf_of(dev);

	st->ipackets = vf->ipackets;
	st->ibytes = vf->ibytes;
	st->ierrors = vf->ierrors;
	st->rx_nombuf = vf->nombuf;
	st->imissed = vf->filtered_uc + vf->filtered_mc;
	st->opackets = __atomic_load_n(&vf->opackets, __ATOMIC_RELAXED);
	st->obytes = __atomic_load_n(&vf->obytes, __ATOMIC_RELAXED);
	st->oerrors = __atomic_load_n(&vf->oerrors, __ATOMIC_RELAXED);
	return 0;
}

static int vf_stats_reset(struct fakevf_eth_dev *dev)
{
	struct fakevf *vf = vf_of(dev);

	vf->ipackets = vf->ibytes = vf->ierrors = vf->nombuf = 0;
	vf->filtered_uc = vf->filtered_mc = 0;
	vf->opackets = vf->obytes = vf->oerrors = 0;
	return 0;
}

static const char *const vf_xstat_names[] = {"rx_filtered_unicast_packets",
					     "rx_filtered_multicast_packets"};

static int vf_xstats_get(struct fakevf_eth_dev *dev, struct rte_eth_xstat *xs, unsigned int n)
{
	struct fakevf *vf = vf_of(dev);

	if (xs == NULL || n < RTE_DIM(vf_xstat_names))
		return RTE_DIM(vf_xstat_names);
	xs[0] = (struct rte_eth_xstat){.id = 0, .value = vf->filtered_uc};
	xs[1] = (struct rte_eth_xstat){.id = 1, .value = vf->filtered_mc};
	return RTE_DIM(vf_xstat_names);
}

static int vf_xstats_names(struct fakevf_eth_dev *dev, struct rte_eth_xstat_name *names,
			   unsigned int n)
{
	unsigned int i;

	(void)dev;
	if (names == NULL || n < RTE_DIM(vf_xstat_names))
		return RTE_DIM(vf_xstat_names);
	for (i = 0; i < RTE_DIM(vf_xstat_names); i++)
		snprintf(names[i].name, sizeof(names[i].name), "%s", vf_xstat_names[i]);
	return RTE_DIM(vf_xstat_names);
}

static int vf_info(struct fakevf_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct fakevf *vf = vf_of(dev);

	info->if_index = (uint32_t)vf->ifindex;
	info->max_mac_addrs = 1 + vf->uc_slots;
	info->max_hash_mac_addrs = 0;
	info->max_rx_pktlen = VF_MAX_PKTLEN;
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->max_mtu = VF_MAX_PKTLEN - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN;
	info->max_rx_queues = 1;
	info->max_tx_queues = VF_MAX_TXQ;
	info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	info->speed_capa = RTE_ETH_LINK_SPEED_10G;
	return 0;
}

/* A packet socket on the interface: receiving (ETH_P_ALL) or send-only. */
static int vf_socket(const struct fakevf *vf, bool rx)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = rx ? htons(ETH_P_ALL) : 0,
		.sll_ifindex = vf->ifindex,
	};
	int one = 1, fd;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, rx ? htons(ETH_P_ALL) : 0);
	if (fd < 0)
		return -errno;
	/* our own tx must not come back on our rx socket */
	if (rx)
		setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int vf_rxq_setup(struct fakevf_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
			unsigned int socket, const struct rte_eth_rxconf *conf,
			struct rte_mempool *mp)
{
	struct vf_rxq *q;
	int fd;

	(void)nb_desc, (void)conf;
	vf_rxq_release(dev, qid);
	fd = vf_socket(vf_of(dev), true);
	if (fd < 0)
		return fd;
	q = rte_zmalloc_socket("fakevf_rxq", sizeof(*q), RTE_CACHE_LINE_SIZE, (int)socket);
	if (q == NULL) {
		close(fd);
		return -ENOMEM;
	}
	*q = (struct vf_rxq){.vf = vf_of(dev), .fd = fd, .mp = mp};
	dev->data->rx_queues[qid] = q;
	return 0;
}

static int vf_txq_setup(struct fakevf_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
			unsigned int socket, const struct rte_eth_txconf *conf)
{
	struct vf_txq *q;
	int fd;

	(void)nb_desc, (void)conf;
	vf_txq_release(dev, qid);
	fd = vf_socket(vf_of(dev), false);
	if (fd < 0)
		return fd;
	q = rte_zmalloc_socket("fakevf_txq", sizeof(*q), RTE_CACHE_LINE_SIZE, (int)socket);
	if (q == NULL) {
		close(fd);
		return -ENOMEM;
	}
	*q = (struct vf_txq){.vf = vf_of(dev), .fd = fd};
	dev->data->tx_queues[qid] = q;
	return 0;
}

static const struct fakevf_eth_dev_ops vf_ops = {
	.dev_configure = vf_configure,
	.dev_start = vf_start,
	.dev_stop = vf_stop,
	.dev_close = vf_close,
	.link_update = vf_link_update,
	.promiscuous_enable = vf_promisc_enable,
	.promiscuous_disable = vf_promisc_disable,
	.allmulticast_enable = vf_allmulti_enable,
	.allmulticast_disable = vf_allmulti_disable,
	.mac_addr_remove = vf_mac_remove,
	.mac_addr_add = vf_mac_add,
	.mac_addr_set = vf_mac_set,
	.set_mc_addr_list = vf_mc_list,
	.mtu_set = vf_mtu_set,
	.stats_get = vf_stats_get,
	.stats_reset = vf_stats_reset,
	.xstats_get = vf_xstats_get,
	.xstats_get_names = vf_xstats_names,
	.dev_infos_get = vf_info,
	.rx_queue_setup = vf_rxq_setup,
	.rx_queue_release = vf_rxq_release,
	.tx_queue_setup = vf_txq_setup,
	.tx_queue_release = vf_txq_release,
};

/* ---- probe / remove ---- */

struct vf_args {
	char iface[IF_NAMESIZE];
	uint32_t uc_slots, mc_slots;
	bool trust, have_mac;
	struct rte_ether_addr mac;
	uint64_t reps; /* representor=[0-3]: one more ethdev per VF number */
};

static int arg_uint(const char *key, const char *v, void *out)
{
	char *end;
	unsigned long x = strtoul(v, &end, 10);
	uint32_t max = strcmp(key, "trust") == 0      ? 1
		       : strcmp(key, "uc_slots") == 0 ? VF_MAX_UC
						      : VF_MAX_MC;

	if (*v == '\0' || *end != '\0' || x > max)
		return -1;
	*(uint32_t *)out = (uint32_t)x;
	return 0;
}

static int arg_str(const char *key, const char *v, void *out)
{
	(void)key;
	if (strlen(v) == 0 || strlen(v) >= IF_NAMESIZE)
		return -1;
	snprintf(out, IF_NAMESIZE, "%s", v);
	return 0;
}

static int arg_mac(const char *key, const char *v, void *out)
{
	(void)key;
	return rte_ether_unformat_addr(v, out) == 0 ? 0 : -1;
}

/* "[0-3]", "[0,2]", "1": VF numbers 0..63 as a bit set. */
static int arg_reps(const char *key, const char *v, void *out)
{
	uint64_t *set = out;
	char *end;

	(void)key;
	v += *v == '[';
	while (*v != '\0' && *v != ']') {
		unsigned long lo = strtoul(v, &end, 10), hi = lo;

		if (end == v)
			return -1;
		if (*end == '-') {
			v = end + 1;
			hi = strtoul(v, &end, 10);
			if (end == v)
				return -1;
		}
		if (lo > hi || hi > 63)
			return -1;
		for (; lo <= hi; lo++)
			*set |= 1ULL << lo;
		v = end + (*end == ',');
	}
	return 0;
}

static int parse_args(const char *name, const char *args, struct vf_args *a)
{
	struct rte_kvargs *kv = rte_kvargs_parse(args ? args : "", vf_keys);
	uint32_t trust = 0;
	int rc = 0;

	*a = (struct vf_args){.uc_slots = VF_DEFAULT_UC, .mc_slots = VF_DEFAULT_MC};
	if (kv == NULL) {
		VF_LOG(ERR,
		       "%s: cannot parse '%s' (keys: iface, uc_slots, mc_slots, trust, mac, "
		       "representor)\n",
		       name, args);
		return -EINVAL;
	}
	if (rte_kvargs_count(kv, "iface") != 1) {
		VF_LOG(ERR, "%s: iface=IFNAME is required\n", name);
		rc = -EINVAL;
	}
	if (rc == 0 && (rte_kvargs_process(kv, "iface", arg_str, a->iface) < 0 ||
			rte_kvargs_process(kv, "uc_slots", arg_uint, &a->uc_slots) < 0 ||
			rte_kvargs_process(kv, "mc_slots", arg_uint, &a->mc_slots) < 0 ||
			rte_kvargs_process(kv, "trust", arg_uint, &trust) < 0 ||
			rte_kvargs_process(kv, "mac", arg_mac, &a->mac) < 0 ||
			rte_kvargs_process(kv, "representor", arg_reps, &a->reps) < 0)) {
		VF_LOG(ERR,
		       "%s: bad value in '%s' (uc_slots 0..%d, mc_slots 0..%d, trust 0|1, "
		       "representor=[N-M])\n",
		       name, args, VF_MAX_UC, VF_MAX_MC);
		rc = -EINVAL;
	}
	a->trust = trust;
	a->have_mac = rte_kvargs_count(kv, "mac") == 1;
	rte_kvargs_free(kv);
	return rc;
}

/* One ethdev of the device: the VF itself (rep < 0) or a representor. */
static int vf_create(struct rte_device *rdev, const char *name, const struct vf_args *a,
		     int ifindex, int rep, uint16_t backer)
{
	struct rte_ether_addr mac = a->mac;
	struct fakevf_eth_dev *eth;
	struct fakevf *vf;

	eth = rte_eth_dev_allocate(name);
	if (eth == NULL)
		return -ENOMEM;
	if (fakevf_abi_check(eth, name) != 0) {
		VF_LOG(ERR, "%s: this ethdev is not laid out as DPDK 22.11's\n", name);
		rte_eth_dev_release_port(eth);
		return -ENOTSUP;
	}
	vf = rte_zmalloc("fakevf", sizeof(*vf), RTE_CACHE_LINE_SIZE);
	eth->data->mac_addrs =
		rte_zmalloc("fakevf_mac", sizeof(struct rte_ether_addr) * (1 + a->uc_slots), 0);
	if (vf == NULL || eth->data->mac_addrs == NULL) {
		rte_free(vf);
		rte_eth_dev_release_port(eth); /* frees mac_addrs */
		return -ENOMEM;
	}
	snprintf(vf->iface, sizeof(vf->iface), "%s", a->iface);
	vf->ifindex = ifindex;
	vf->uc_slots = a->uc_slots;
	vf->mc_slots = a->mc_slots;
	vf->trust = a->trust;
	if (!a->have_mac || rep >= 0) /* locally administered, from the port id */
		mac = (struct rte_ether_addr){
			{0x02, 0xfa, 0x4b, 0x56, 0x46, (uint8_t)eth->data->port_id}};
	eth->data->mac_addrs[0] = mac;
	vf->uc[0] = mac_word(mac.addr_bytes);
	if (rep >= 0) {
		/* what the eth class matches representor=[...] against */
		eth->data->dev_flags |= RTE_ETH_DEV_REPRESENTOR;
		eth->data->representor_id = (uint16_t)rep;
		eth->data->backer_port_id = backer;
	}
	eth->data->dev_private = vf;
	eth->dev_ops = &vf_ops;
	eth->rx_pkt_burst = vf_rx;
	eth->tx_pkt_burst = vf_tx;
	eth->device = rdev;
	rte_eth_dev_probing_finish(eth);
	VF_LOG(INFO, "%s: port %u on %s, %u unicast and %u multicast filter slots, %s\n", name,
	       eth->data->port_id, a->iface, a->uc_slots, a->mc_slots,
	       a->trust ? "trusted" : "untrusted");
	return eth->data->port_id;
}

static int vf_remove(struct fakevf_vdev_device *vdev)
{
	struct rte_device *rdev = fakevf_vdev_rte_device(vdev);
	uint16_t ids[RTE_MAX_ETHPORTS], pid, n = 0, i;
	int rc = 0;

	/* whatever ethdevs of it are still open (kvswitch closes them first) */
	RTE_ETH_FOREACH_DEV_OF(pid, rdev)
	ids[n++] = pid;
	for (i = 0; i < n; i++)
		if (rte_eth_dev_close(ids[i]) < 0)
			rc = -EIO;
	return rc;
}

static int vf_probe(struct fakevf_vdev_device *vdev)
{
	struct rte_device *rdev = fakevf_vdev_rte_device(vdev);
	const char *name = rte_dev_name(rdev);
	const struct rte_devargs *da = rte_dev_devargs(rdev);
	char rep_name[RTE_ETH_NAME_MAX_LEN];
	struct vf_args a;
	int rc, ifindex, backer;
	uint32_t r;

	rc = parse_args(name, da ? da->args : "", &a);
	if (rc < 0)
		return rc;
	ifindex = (int)if_nametoindex(a.iface);
	if (ifindex == 0) {
		VF_LOG(ERR, "%s: no interface '%s'\n", name, a.iface);
		return -ENODEV;
	}
	backer = vf_create(rdev, name, &a, ifindex, -1, 0);
	if (backer < 0)
		return backer;
	for (r = 0; r < 64; r++) {
		if (!(a.reps >> r & 1))
			continue;
		snprintf(rep_name, sizeof(rep_name), "%s_representor_%u", name, r);
		rc = vf_create(rdev, rep_name, &a, ifindex, (int)r, (uint16_t)backer);
		if (rc < 0) {
			vf_remove(vdev);
			return rc;
		}
	}
	return 0;
}

static struct fakevf_vdev_driver vf_driver = {
	.driver = {.name = "net_fakevf"},
	.probe = vf_probe,
	.remove = vf_remove,
};

RTE_INIT(fakevf_register)
{
	rte_vdev_register(&vf_driver);
}

RTE_FINI(fakevf_unregister)
{
	rte_vdev_unregister(&vf_driver);
}
