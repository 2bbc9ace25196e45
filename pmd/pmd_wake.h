/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pmd_wake (private to pmd/): an idle PMD's sleep ends when a guest kicks.
 *
 * A polling switch asks guests not to kick (vhost_port.c), so a sleeping
 * PMD (pmd-sleep-max) learns of a guest's frame only when its timer runs
 * out: up to pmd-sleep-max of latency, which is why the sleep costs TCP
 * between guests so much.  Here, for the spell of empty loops only, the
 * PMD turns kicks back on for the rx queues that can kick (a port's
 * dp_port_ops.rx_wake) and sleeps in epoll on their kick eventfds; the
 * first frame of a busy loop turns them off again.  Kicks go on only once a
 * spell has lasted PMD_WAKE_ARM_US, so a guest sending steadily does not
 * kick; one sending a burst now and then kicks once per burst (which its
 * frame's latency repays).  An ethdev queue with rx interrupts (net_tap,
 * a VF's MSI-X vector through VFIO) wakes the PMD the same way, its
 * interrupt standing for the kick; queues without them (any device but
 * net_tap unless options:rx-interrupts=true; af_packet and af_xdp in DPDK
 * 22.11) still wait for the timer.  A guest writing its kick eventfd
 * without sending ends every sleep: its PMD then spins as with
 * pmd-sleep-max 0, which the guest could cause anyway by sending.
 *
 * The kick eventfds belong to librte_vhost, which replaces and closes them
 * when a guest re-sets a ring: the PMD waits on dup()s of its own, edge
 * triggered (nobody reads a kick eventfd; an edge is a write), checked
 * against the port's current fd with kcmp(2) at each arming and replaced
 * when it changed.  A stale one can only make a sleep end early or run to
 * its timer, never lose a frame: the timer bounds every sleep as before.
 *
 * Calling context: the PMD thread only, on its idle path (never during a
 * busy spell); the state is the PMD's own.  Arming is called while the PMD
 * is RCU-online (rx_wake touches the port); the wait itself runs offline.
 */
#ifndef KVS_PMD_WAKE_H
#define KVS_PMD_WAKE_H

#include <stdbool.h>
#include <stdint.h>

struct pmd_rxq_list;

struct pmd_wake_fd {
	int kick; /* the port's fd at the last arming, -1: none */
	int dup;  /* ours, registered in epfd; -1: none */
};

/* The back-off sleep from which kicks are turned on (pmd.c): the spell has
 * then lasted 15 us, longer than the gaps between a busy guest's bursts. */
#define PMD_WAKE_ARM_US 16u

struct pmd_wake {
	int epfd; /* -1: no epoll: sleeps are timed only */
	/* The last list the loop saw: compared, never dereferenced (a list is
	 * freed after the PMD's quiescent state), and with its gen, since a
	 * new list can be allocated where the old one was. */
	const struct pmd_rxq_list *seen;
	uint32_t seen_gen;
	uint16_t n;              /* fds[] is by position in that list */
	struct pmd_wake_fd *fds; /* NULL: built at the next arming */
	bool armed;              /* kicks are on for the current idle spell */
	unsigned int n_fds;      /* armed queues that can kick */
	bool no_kcmp;            /* kcmp(2) refused: said once */
	bool bell;               /* the PMD's bell is in epfd */
	bool rang;               /* arming saw the bell: the next sleep is none */
};

/* bell: an eventfd the control thread writes when it changes what the PMD
 * polls or how long it sleeps, or stops it (pmd.c): it ends any armed sleep
 * (the few-us sleeps before arming run out by themselves), so a queue moved
 * to a sleeping PMD is polled at once, not after up to pmd-sleep-max (a busy
 * guest's ring fills in about a millisecond).  -1: none.  Not counted as a
 * kick. */
void pmd_wake_init(struct pmd_wake *w, int bell);
void pmd_wake_fini(struct pmd_wake *w);
/* Is l another list than the one the last call saw?  Then the watches of
 * the old one are dropped, and the caller turns kicks off for all of l
 * (pmd_wake_disarm): a queue can come from a PMD that had armed it, and a
 * busy PMD would never turn them off.  Called once per loop, before
 * arming. */
bool pmd_wake_list_changed(struct pmd_wake *w, const struct pmd_rxq_list *l);
/*
 * Turn kicks on for every queue of l (the list pmd_wake_list_changed last
 * saw) that can kick.  Returns how many can:
 * when > 0 the caller polls l once more before it sleeps, since a frame
 * queued before the kicks were on kicked nobody.
 */
unsigned int pmd_wake_arm(struct pmd_wake *w, const struct pmd_rxq_list *l);
/* Turn kicks off again for the queues of l (the PMD's current list). */
void pmd_wake_disarm(struct pmd_wake *w, const struct pmd_rxq_list *l);
/* Sleep up to us microseconds, or until an armed queue kicks or the bell
 * rings: true if a kick ended it. */
bool pmd_wake_sleep(struct pmd_wake *w, uint32_t us);

#endif
