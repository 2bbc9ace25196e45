/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user ports on librte_vhost (see vhost_port.h for the thread rules).
 *
 * Callers: the control thread creates/destroys ports and reads events;
 * librte_vhost's threads call the device callbacks; PMDs call the burst
 * functions through dp_port_ops.
 *
 * Offloads: guests are offered partial checksums and TCP segmentation both
 * ways (CSUM, GUEST_CSUM, HOST/GUEST_TSO4/6, HOST/GUEST_ECN; never UFO),
 * unless the port's options turn them off.  librte_vhost runs in its
 * compliant mode: a dequeued frame says what its virtio-net header asked
 * with RX flags, which vhost_rx turns into TX flags (dataplane/offload.h);
 * vhost_tx completes in software what the receiving guest did not accept
 * and leaves the rest to enqueue, which writes the guest's header.
 */
#include <errno.h>
#include <limits.h>
#include <linux/virtio_net.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_ether.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_vhost.h>

#include "dataplane/offload.h"
#include "dataplane/txhold.h"
#include "vhost-user/vhost_port.h"
#include "vhost-user/vhost_priv.h"
#include "vhost-user/vhost_sock.h"
#include "vhost-user/vhost_wake.h"

#define VHOST_LOG(lvl, ...) rte_log(RTE_LOG_##lvl, RTE_LOGTYPE_USER1, "vhost: " __VA_ARGS__)

/* path -> port, for callbacks (which only know the vid). */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vhost_port *registry[DP_MAX_PORTS];
static int event_fd = -1;

static void bits_set(uint64_t *b, uint16_t q, bool on)
{
	uint64_t m = 1ULL << (q & 63);

	if (on)
		__atomic_fetch_or(&b[q >> 6], m, __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(&b[q >> 6], ~m, __ATOMIC_RELEASE);
}

static void notify(struct vhost_port *vp, unsigned int ev)
{
	uint64_t one = 1;

	__atomic_fetch_or(&vp->events, ev, __ATOMIC_RELEASE);
	if (event_fd >= 0 && write(event_fd, &one, sizeof(one)) < 0)
		VHOST_LOG(WARNING, "%s: event not signalled: %s\n", vp->port->name,
			  strerror(errno));
}

/* Called with reg_lock held. */
static struct vhost_port *lookup_vid(int vid)
{
	char path[PATH_MAX];
	unsigned int i;

	if (rte_vhost_get_ifname(vid, path, sizeof(path)) < 0)
		return NULL;
	for (i = 0; i < DP_MAX_PORTS; i++)
		if (registry[i] != NULL && strcmp(registry[i]->path, path) == 0)
			return registry[i];
	return NULL;
}

/*
 * Guests need not kick a poll-mode switch: ask them not to (the vring's
 * NO_NOTIFY flag, or no avail-event update with EVENT_IDX) on every ring of
 * [first, last).  A kick is an eventfd write() in a virtio-user guest and a
 * VM exit in a KVM guest, per burst; measured through bench/gen it was about
 * 30% of a virtio-user sender's time.  Interrupts the other way (switch to
 * guest) are the guest's choice and unaffected.
 * Calling context matters: new_device runs with no ring locked, whereas
 * vring_state_changed runs under the rings' access locks, which this call
 * takes (it would deadlock there).  Guests allocate every ring before the
 * first pair is ready, and librte_vhost keeps the setting of a ring not yet
 * ready and applies it when the ring is kicked into use, so queue pairs
 * enabled later are covered too.
 */
static void quiet_kicks(int vid, uint16_t first, uint16_t last)
{
	uint16_t v;

	for (v = first; v < last; v++)
		if (rte_vhost_enable_guest_notification(vid, v, 0) != 0)
			VHOST_LOG(DEBUG, "vid %d: ring %u not set up: kicks stay on\n", vid, v);
}

#define F(bit) (1ULL << VIRTIO_NET_F_##bit)

/* Before the vid is published: PMDs read these after they see it. */
static void offloads_negotiated(struct vhost_port *vp, int vid)
{
	uint64_t f = 0;
	uint32_t caps = DP_OFL_IPCSUM; /* enqueue computes IPv4 header sums */

	if (rte_vhost_get_negotiated_features(vid, &f) != 0)
		f = 0;
	vp->features = f;
	if (f & F(GUEST_CSUM))
		caps |= DP_OFL_CSUM;
	if (f & F(GUEST_TSO4))
		caps |= DP_OFL_TSO4;
	if (f & F(GUEST_TSO6))
		caps |= DP_OFL_TSO6;
	__atomic_store_n(&vp->port->ol_caps, caps, __ATOMIC_RELEASE);
	__atomic_store_n(&vp->rx_offloads, (f & (F(CSUM) | F(HOST_TSO4) | F(HOST_TSO6))) != 0,
			 __ATOMIC_RELEASE);
}

static int cb_new_device(int vid)
{
	struct vhost_port *vp;
	uint16_t nq;
	int numa;

	pthread_mutex_lock(&reg_lock);
	vp = lookup_vid(vid);
	if (vp == NULL) {
		pthread_mutex_unlock(&reg_lock);
		VHOST_LOG(ERR, "new device %d on an unknown socket\n", vid);
		return -1;
	}
	nq = rte_vhost_get_vring_num(vid) / 2;
	numa = rte_vhost_get_numa_node(vid);
	vp->n_qp = nq > DP_MAX_QUEUES ? DP_MAX_QUEUES : nq;
	offloads_negotiated(vp, vid);
	vp->numa = numa < 0 ? 0 : numa;
	vp->connects++;
	quiet_kicks(vid, 0, rte_vhost_get_vring_num(vid));
	__atomic_store_n(&vp->vid, vid, __ATOMIC_RELEASE);
	VHOST_LOG(INFO, "%s: guest connected (vid %d, %u queue pairs, NUMA node %d)\n",
		  vp->port->name, vid, vp->n_qp, vp->numa);
	notify(vp, VHOST_EV_CONNECTED);
	pthread_mutex_unlock(&reg_lock);
	return 0;
}

static void cb_destroy_device(int vid)
{
	struct vhost_port *vp;

	pthread_mutex_lock(&reg_lock);
	vp = lookup_vid(vid);
	if (vp != NULL) {
		__atomic_store_n(&vp->vid, -1, __ATOMIC_RELEASE);
		/* frames held for this guest were fitted to its features */
		dp_txhold_invalidate(vp->port);
		memset(vp->rx_enabled, 0, sizeof(vp->rx_enabled));
		memset(vp->tx_enabled, 0, sizeof(vp->tx_enabled));
		vp->disconnects++;
	}
	pthread_mutex_unlock(&reg_lock);
	if (vp == NULL)
		return;
	/* librte_vhost frees the vrings when we return: wait until no PMD can
	 * still be inside a burst on this vid. */
	dp_rcu_synchronize();
	VHOST_LOG(INFO, "%s: guest disconnected (vid %d)\n", vp->port->name, vid);
	notify(vp, VHOST_EV_DISCONNECTED);
}

static int cb_vring_state_changed(int vid, uint16_t vring, int enable)
{
	struct vhost_port *vp;
	uint16_t q = vring / 2;

	if (q >= DP_MAX_QUEUES)
		return 0;
	pthread_mutex_lock(&reg_lock);
	vp = lookup_vid(vid);
	if (vp != NULL) {
		/* librte_vhost calls new_device once queue pair 0 is ready: a
		 * guest (QEMU) may set up and enable its other pairs later */
		uint16_t nq = rte_vhost_get_vring_num(vid) / 2;

		if (nq > DP_MAX_QUEUES)
			nq = DP_MAX_QUEUES;
		if (nq > vp->n_qp)
			__atomic_store_n(&vp->n_qp, nq, __ATOMIC_RELEASE);
		bits_set(vring & 1 ? vp->rx_enabled : vp->tx_enabled, q, enable != 0);
		notify(vp, VHOST_EV_QUEUES);
	}
	pthread_mutex_unlock(&reg_lock);
	return 0;
}

static const struct rte_vhost_device_ops device_ops = {
	.new_device = cb_new_device,
	.destroy_device = cb_destroy_device,
	.vring_state_changed = cb_vring_state_changed,
};

/* ---- PMD burst functions ---- */

/* The frames of a burst with offload requests: convert, or drop the ones
 * that make no sense (counted on the rx queue, whose PMD alone writes it). */
static uint16_t rx_check_offloads(struct dp_port *p, uint16_t qid, struct rte_mbuf **pkts,
				  uint16_t n, uint32_t lim)
{
	uint16_t i, k = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		bool ok = true;

		if (m->ol_flags & DP_OFL_RX_WORK)
			ok = dp_offload_rx_prep(m);
		if (ok && m->pkt_len > lim && !(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG))
			ok = false;
		if (!ok) {
			p->rxq[qid].drops[DP_DROP_BAD_OFFLOAD]++;
			rte_pktmbuf_free(m);
			continue;
		}
		pkts[k++] = m;
	}
	return k;
}

static uint16_t vhost_rx(struct dp_port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	struct vhost_port *vp = p->priv;
	int vid = __atomic_load_n(&vp->vid, __ATOMIC_ACQUIRE);

	const struct dp_port_conf *conf;
	struct rte_mbuf **m, **end;
	uint64_t fl = 0;
	uint32_t lim, len = 0;

	if (vid < 0 || !bits_get(vp->rx_enabled, qid) || vp->pool == NULL)
		return 0;
	n = rte_vhost_dequeue_burst(vid, GUEST_TX_VRING(qid), vp->pool, pkts, n);
	if (!__atomic_load_n(&vp->rx_offloads, __ATOMIC_RELAXED) || n == 0)
		return n;
	/* a guest that may offload: one OR per frame finds the bursts to
	 * look at; longer than the MTU (and a tag) without being a GSO frame
	 * is a GSO request librte_vhost refused (an MSS of 0, no TCP) */
	end = pkts + n;
	conf = __atomic_load_n(&p->conf, __ATOMIC_ACQUIRE);
	lim = conf ? conf->max_len + sizeof(struct rte_vlan_hdr) : UINT32_MAX;
	/* the lengths ORed, not compared: a burst whose OR passes lim (a long
	 * frame, or a mix like 1000|1514) is checked exactly; about 3.75
	 * instructions per frame, unrolled by 4 */
	for (m = pkts; m + 4 <= end; m += 4) {
		fl |= m[0]->ol_flags | m[1]->ol_flags | m[2]->ol_flags | m[3]->ol_flags;
		len |= m[0]->pkt_len | m[1]->pkt_len | m[2]->pkt_len | m[3]->pkt_len;
	}
	for (; m < end; m++) {
		fl |= m[0]->ol_flags;
		len |= m[0]->pkt_len;
	}
	if (likely(!(fl & DP_OFL_RX_WORK) && len <= lim))
		return n;
	return rx_check_offloads(p, qid, pkts, n, lim);
}

/*
 * PMD, idle path (pmd/pmd_wake.c): kicks on or off for the ring the guest
 * sends on (see quiet_kicks for why they are off).  The PMD is RCU-online,
 * so a vid it reads stays valid (cb_destroy_device waits for it).  Turning
 * kicks on takes the ring's access lock, which librte_vhost's message
 * thread holds only while it handles a message, never while it waits for
 * a PMD (no destroy_device is called under it); a ring reset meanwhile
 * only makes the returned fd stale, which the caller tolerates.
 */
static int vhost_rx_wake(struct dp_port *p, uint16_t qid, bool on)
{
	struct vhost_port *vp = p->priv;
	int vid = __atomic_load_n(&vp->vid, __ATOMIC_ACQUIRE);
	struct rte_vhost_vring vr;

	/* off even for a disabled ring: librte_vhost keeps the setting and
	 * applies it when the ring comes back, which must not be with kicks */
	if (vid < 0 || (on && !bits_get(vp->rx_enabled, qid)))
		return -ENODEV;
	if (rte_vhost_enable_guest_notification(vid, GUEST_TX_VRING(qid), on) != 0)
		return -EIO;
	if (!on)
		return 0;
	if (rte_vhost_get_vhost_vring(vid, GUEST_TX_VRING(qid), &vr) != 0 || vr.kickfd < 0)
		return -ENOTSUP; /* no kick eventfd: a guest that polls */
	return vr.kickfd;
}

static const struct dp_port_ops vhost_ops = {
	.rx_burst = vhost_rx,
	.tx_burst = vhost_tx,
	.tx_flush = vhost_tx_flush,
	.rx_wake = vhost_rx_wake,
};

/* ---- control thread ---- */

void vhost_init(int efd)
{
	event_fd = efd;
}

int vhost_port_set_perms(struct dp_port *p, const struct vhost_sock_opts *opts)
{
	struct vhost_port *vp = p->priv;
	char err[PATH_MAX + 128];
	int rc;

	if (vp->client)
		return 0;
	/* the directory too: a QEMU of a newly chosen group must reach it */
	if (vhost_sock_dir_perms(opts, err, sizeof(err)) < 0)
		VHOST_LOG(ERR, "%s: socket directory: %s\n", p->name, err);
	rc = vhost_sock_apply_perms(vp->path, opts, err, sizeof(err));
	if (rc < 0)
		VHOST_LOG(ERR, "%s: %s\n", p->name, err);
	return rc;
}

/* Features of each VHOST_OL_* option; a later one needs the earlier ones
 * (virtio: TSO needs CSUM, ECN needs TSO). */
static const uint64_t ol_features[] = {
	F(CSUM) | F(GUEST_CSUM),
	F(HOST_TSO4) | F(HOST_TSO6) | F(GUEST_TSO4) | F(GUEST_TSO6),
	F(HOST_ECN) | F(GUEST_ECN),
};

/* Offer the features of ol to guests connecting from now on. */
static int offer_offloads(struct vhost_port *vp, unsigned int ol)
{
	uint64_t on = 0, off = F(HOST_UFO) | F(GUEST_UFO); /* UDP: not segmented here */
	unsigned int i;
	bool all = true;

	for (i = 0; i < RTE_DIM(ol_features); i++) {
		all = all && (ol & (1u << i));
		if (all)
			on |= ol_features[i];
		else
			off |= ol_features[i];
	}
	if (rte_vhost_driver_disable_features(vp->path, off) < 0 ||
	    (on && rte_vhost_driver_enable_features(vp->path, on) < 0))
		return -EINVAL;
	vp->offloads = ol;
	return 0;
}

int vhost_port_set_offloads(struct dp_port *p, unsigned int ol)
{
	struct vhost_port *vp = p->priv;

	if (ol == vp->offloads)
		return 0;
	if (offer_offloads(vp, ol) < 0) {
		VHOST_LOG(ERR, "%s: cannot change the offloads offered on '%s'\n", p->name,
			  vp->path);
		return -EINVAL;
	}
	VHOST_LOG(INFO,
		  "%s: offloads offered changed; a connected guest keeps its own until "
		  "it reconnects\n",
		  p->name);
	return 0;
}

struct dp_port *vhost_port_create(const char *name, bool client, const char *server_path,
				  const struct vhost_sock_opts *opts, char *err, size_t errlen)
{
	/* compliant: dequeue reports offload requests as RX flags and never
	 * writes checksums itself (dataplane/offload.h) */
	uint64_t flags =
		(client ? RTE_VHOST_USER_CLIENT : 0) | RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS;
	struct vhost_port *vp;
	struct dp_port *p;
	int rc;

	vp = rte_zmalloc("kvs_vhost", sizeof(*vp), RTE_CACHE_LINE_SIZE);
	if (vp == NULL) {
		snprintf(err, errlen, "port '%s': out of memory", name);
		errno = ENOMEM;
		return NULL;
	}
	vp->vid = -1;
	vp->client = client;
	if (client) {
		snprintf(vp->path, sizeof(vp->path), "%s", server_path);
	} else {
		if (vhost_sock_make_dir(opts->dir, opts, err, errlen) < 0)
			goto fail_free;
		snprintf(vp->path, sizeof(vp->path), "%s/%s", opts->dir, name);
		/* a stale socket from a previous run would make bind() fail */
		rc = vhost_sock_unlink(vp->path, err, errlen);
		if (rc < 0) {
			if (rc != -EEXIST)
				snprintf(err, errlen, "port '%s': cannot remove stale '%s': %s",
					 name, vp->path, strerror(-rc));
			errno = -rc;
			goto fail_free;
		}
	}
	p = dp_port_alloc(name, DP_PORT_VHOST, &vhost_ops, SOCKET_ID_ANY);
	if (p == NULL) {
		snprintf(err, errlen, "port '%s': %s", name, strerror(errno));
		goto fail_free;
	}
	p->priv = vp;
	vp->port = p;

	pthread_mutex_lock(&reg_lock);
	registry[p->id] = vp;
	pthread_mutex_unlock(&reg_lock);

	rc = rte_vhost_driver_register(vp->path, flags);
	if (rc < 0) {
		snprintf(err, errlen, "port '%s': cannot register vhost-user socket '%s'", name,
			 vp->path);
		goto fail_port;
	}
	if (offer_offloads(vp, opts->offloads) < 0 ||
	    rte_vhost_driver_callback_register(vp->path, &device_ops) < 0) {
		snprintf(err, errlen, "port '%s': cannot set up vhost-user socket '%s'", name,
			 vp->path);
		goto fail_unreg;
	}
	if (rte_vhost_driver_start(vp->path) < 0) {
		snprintf(err, errlen, "port '%s': cannot %s vhost-user socket '%s'", name,
			 client ? "connect to" : "listen on", vp->path);
		goto fail_unreg;
	}
	if (!client && vhost_sock_apply_perms(vp->path, opts, err, errlen) < 0)
		goto fail_unreg;
	if (!client)
		vhost_wake_events();
	return p;

fail_unreg:
	rc = errno ? errno : EINVAL;
	rte_vhost_driver_unregister(vp->path);
	errno = rc;
fail_port:
	pthread_mutex_lock(&reg_lock);
	registry[p->id] = NULL;
	pthread_mutex_unlock(&reg_lock);
	dp_port_free(p);
fail_free:
	rc = errno ? errno : EINVAL;
	rte_free(vp);
	errno = rc;
	return NULL;
}

void vhost_port_destroy(struct dp_port *p)
{
	struct vhost_port *vp = p->priv;
	int tries;

	/* unregister fails with -EBUSY while a connection is being set up or
	 * torn down in a vhost thread; that is short, so retry. */
	for (tries = 0; tries < 1000; tries++) {
		if (rte_vhost_driver_unregister(vp->path) == 0)
			break;
		usleep(1000);
	}
	if (tries == 1000)
		VHOST_LOG(ERR, "%s: cannot unregister '%s'\n", p->name, vp->path);
	pthread_mutex_lock(&reg_lock);
	registry[p->id] = NULL;
	pthread_mutex_unlock(&reg_lock);
	if (!vp->client) {
		char err[PATH_MAX + 64];

		if (vhost_sock_unlink(vp->path, err, sizeof(err)) < 0)
			VHOST_LOG(ERR, "%s: %s\n", p->name, err);
	}
	rte_free(vp);
	dp_port_free(p);
}

unsigned int vhost_port_events(struct dp_port *p)
{
	struct vhost_port *vp = p->priv;

	return __atomic_exchange_n(&vp->events, 0, __ATOMIC_ACQ_REL);
}

void vhost_port_info(const struct dp_port *p, struct vhost_port_info *info)
{
	const struct vhost_port *vp = p->priv;

	memset(info, 0, sizeof(*info));
	info->client = vp->client;
	info->vid = __atomic_load_n(&vp->vid, __ATOMIC_ACQUIRE);
	info->connected = info->vid >= 0;
	info->numa = vp->numa;
	info->n_qp = info->connected ? vp->n_qp : 0;
	info->rx_enabled[0] = __atomic_load_n(&vp->rx_enabled[0], __ATOMIC_ACQUIRE);
	info->rx_enabled[1] = __atomic_load_n(&vp->rx_enabled[1], __ATOMIC_ACQUIRE);
	info->tx_enabled[0] = __atomic_load_n(&vp->tx_enabled[0], __ATOMIC_ACQUIRE);
	info->tx_enabled[1] = __atomic_load_n(&vp->tx_enabled[1], __ATOMIC_ACQUIRE);
	info->connects = vp->connects;
	info->features = info->connected ? vp->features : 0;
	info->disconnects = vp->disconnects;
	snprintf(info->path, sizeof(info->path), "%s", vp->path);
}

void vhost_port_set_pool(struct dp_port *p, struct rte_mempool *mp)
{
	struct vhost_port *vp = p->priv;

	if (dp_offload_init() < 0)
		VHOST_LOG(ERR,
			  "%s: no mbuf pool for segmenting: large frames from guests "
			  "to ports without TSO will be dropped (clone_failed)\n",
			  p->name);

	__atomic_store_n(&vp->pool, mp, __ATOMIC_RELEASE);
}

void vhost_port_txmap(const struct dp_port *p, unsigned int n_pmds, struct dp_txmap *m)
{
	const struct vhost_port *vp = p->priv;
	uint16_t en[DP_MAX_QUEUES], n_en = 0, q;
	unsigned int i;

	memset(m, 0, sizeof(*m));
	for (q = 0; q < vp->n_qp; q++)
		if (bits_get(vp->tx_enabled, q))
			en[n_en++] = q;
	if (n_en == 0)
		return;
	m->n = n_pmds > DP_MAX_PMDS ? DP_MAX_PMDS : n_pmds;
	for (i = 0; i < m->n; i++)
		m->qid[i] = en[i % n_en];
	dp_txmap_mark_shared(m);
}

bool vhost_port_rxq_enabled(const struct dp_port *p, uint16_t q)
{
	const struct vhost_port *vp = p->priv;

	return bits_get(vp->rx_enabled, q);
}

void vhost_port_offloads_text(uint64_t features, char *buf, size_t len)
{
	static const struct {
		int bit;
		const char *name;
	} names[] = {
		{VIRTIO_NET_F_CSUM, "csum"},
		{VIRTIO_NET_F_GUEST_CSUM, "guest_csum"},
		{VIRTIO_NET_F_HOST_TSO4, "host_tso4"},
		{VIRTIO_NET_F_HOST_TSO6, "host_tso6"},
		{VIRTIO_NET_F_GUEST_TSO4, "guest_tso4"},
		{VIRTIO_NET_F_GUEST_TSO6, "guest_tso6"},
		{VIRTIO_NET_F_HOST_ECN, "host_ecn"},
		{VIRTIO_NET_F_GUEST_ECN, "guest_ecn"},
	};
	size_t off = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < RTE_DIM(names) && off < len; i++)
		if (features & (1ULL << names[i].bit))
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "",
						names[i].name);
}
