/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of dataplane/macfilter.c: the receive filter of a port that is
 * not promiscuous, driven against a fake device that behaves like a VF (a
 * fixed number of unicast slots, a bounded multicast list, promiscuous and
 * allmulticast only when trusted), and the wanted-set builders.  No EAL. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/macfilter.h"

#define MAX_SLOTS 16

struct fake_dev {
	uint32_t slots, mc_slots, fail_at; /* fail_at: -ENOSPC once this many are in */
	bool trust, promisc, allmulti;
	int add_rc; /* forced error for every add, 0 = none */
	struct rte_ether_addr uc[MAX_SLOTS];
	uint32_t n_uc;
	struct rte_ether_addr mc[MAX_SLOTS];
	uint32_t n_mc;
	unsigned int adds, dels, mc_sets, promisc_calls, allmulti_calls;
};

/* memcmp, not same(): that one reads the bytes as
 * uint16_t, which strict aliasing lets the compiler move before the store of
 * a MAC built on the stack. */
static bool same(const struct rte_ether_addr *a, const struct rte_ether_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static int fd_find(const struct fake_dev *d, const struct rte_ether_addr *m)
{
	uint32_t i;

	for (i = 0; i < d->n_uc; i++)
		if (same(&d->uc[i], m))
			return (int)i;
	return -1;
}

static int fd_add(void *dev, const struct rte_ether_addr *m)
{
	struct fake_dev *d = dev;

	d->adds++;
	if (d->add_rc)
		return d->add_rc;
	if (d->n_uc == d->slots || (d->fail_at && d->n_uc == d->fail_at))
		return -ENOSPC;
	assert_int_equal(fd_find(d, m), -1);
	d->uc[d->n_uc++] = *m;
	return 0;
}

static int fd_del(void *dev, const struct rte_ether_addr *m)
{
	struct fake_dev *d = dev;
	int i = fd_find(d, m);

	d->dels++;
	assert_true(i >= 0);
	d->uc[i] = d->uc[--d->n_uc];
	return 0;
}

static int fd_mc(void *dev, const struct rte_ether_addr *m, uint32_t n)
{
	struct fake_dev *d = dev;

	d->mc_sets++;
	if (n > d->mc_slots)
		return -ENOSPC;
	if (n)
		memcpy(d->mc, m, n * sizeof(*m));
	d->n_mc = n;
	return 0;
}

static int fd_promisc(void *dev, bool on)
{
	struct fake_dev *d = dev;

	d->promisc_calls++;
	if (on && !d->trust)
		return -EPERM;
	d->promisc = on;
	return 0;
}

static int fd_allmulti(void *dev, bool on)
{
	struct fake_dev *d = dev;

	d->allmulti_calls++;
	if (on && !d->trust)
		return -EPERM;
	d->allmulti = on;
	return 0;
}

static const struct macfilter_ops fd_ops = {
	.uc_add = fd_add,
	.uc_del = fd_del,
	.mc_set = fd_mc,
	.promisc = fd_promisc,
	.allmulti = fd_allmulti,
};

static struct rte_ether_addr mac(unsigned int i)
{
	return (struct rte_ether_addr){{0x52, 0x54, 0x00, 0x00, 0x01, (uint8_t)i}};
}

/* macs(out, 1, 2, 3, 0): a list of MACs numbered 1..255, 0-terminated. */
static uint32_t macs(struct rte_ether_addr *out, ...)
{
	va_list ap;
	uint32_t n = 0;
	unsigned int i;

	va_start(ap, out);
	while ((i = va_arg(ap, unsigned int)) != 0)
		out[n++] = mac(i);
	va_end(ap);
	return n;
}

static bool dev_has(const struct fake_dev *d, unsigned int i)
{
	struct rte_ether_addr m = mac(i);

	return fd_find(d, &m) >= 0;
}

static struct macfilter_status status(const struct macfilter *mf)
{
	struct macfilter_status st;

	macfilter_status(mf, &st);
	return st;
}

static unsigned int sync_uc(struct macfilter *mf, bool promisc, const struct rte_ether_addr *uc,
			    uint32_t n, uint64_t now)
{
	return macfilter_sync(mf, promisc, uc, n, NULL, 0, now);
}

static void test_programs_the_difference_only(void **state)
{
	struct fake_dev d = {.slots = 4, .mc_slots = 4};
	struct macfilter *mf = macfilter_create(&fd_ops, &d, d.slots, false);
	struct rte_ether_addr w[8];
	uint32_t n;

	(void)state;
	n = macs(w, 1, 2, 0);
	assert_int_equal(sync_uc(mf, false, w, n, 0), 0);
	assert_true(dev_has(&d, 1) && dev_has(&d, 2));
	assert_int_equal(status(mf).mode, MACFILTER_FILTER);
	assert_int_equal(status(mf).uc_programmed, 2);
	assert_int_equal(status(mf).uc_overflow, 0);
	/* 1 ages out, 3 is learned: one remove, one add, nothing else touched */
	n = macs(w, 2, 3, 0);
	sync_uc(mf, false, w, n, 100);
	assert_false(dev_has(&d, 1));
	assert_true(dev_has(&d, 2) && dev_has(&d, 3));
	assert_int_equal(d.adds, 3);
	assert_int_equal(d.dels, 1);
	/* same set again: no device call at all */
	sync_uc(mf, false, w, n, 200);
	assert_int_equal(d.adds, 3);
	assert_int_equal(d.dels, 1);
	assert_int_equal(d.promisc_calls, 0);
	/* duplicates, multicast, broadcast and zero are not unicast MACs to add */
	w[n++] = mac(3);
	w[n++] = (struct rte_ether_addr){{0x01, 0, 0x5e, 0, 0, 1}};
	w[n++] = (struct rte_ether_addr){{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	w[n++] = (struct rte_ether_addr){{0}};
	sync_uc(mf, false, w, n, 300);
	assert_int_equal(d.n_uc, 2);
	assert_int_equal(status(mf).uc_wanted, 2);
	/* nothing wanted: everything removed */
	sync_uc(mf, false, NULL, 0, 400);
	assert_int_equal(d.n_uc, 0);
	assert_int_equal(status(mf).uc_removed, 3);
	macfilter_destroy(mf);
}

static void test_full_untrusted_reports_loss_without_retry_storm(void **state)
{
	struct fake_dev d = {.slots = 4, .mc_slots = 4};
	struct macfilter *mf = macfilter_create(&fd_ops, &d, d.slots, false);
	struct rte_ether_addr w[8];
	struct macfilter_status st;
	uint32_t n = macs(w, 1, 2, 3, 4, 5, 6, 0);
	unsigned int ev, i;

	(void)state;
	ev = sync_uc(mf, false, w, n, 0);
	assert_int_equal(ev, MACFILTER_EV_FULL | MACFILTER_EV_LOSING);
	st = status(mf);
	assert_int_equal(st.mode, MACFILTER_FULL);
	assert_int_equal(st.uc_programmed, 4);
	assert_int_equal(st.uc_max, 4);
	assert_int_equal(st.uc_wanted, 6);
	assert_int_equal(st.uc_overflow, 2);
	assert_int_equal(st.full_events, 1);
	assert_int_equal(st.promisc_err, -EPERM);
	assert_false(st.promisc);
	/* the first four in priority order got the slots */
	for (i = 1; i <= 4; i++)
		assert_true(dev_has(&d, i));
	assert_int_equal(d.adds, 4); /* never asked for a fifth: the table is known full */
	assert_int_equal(d.promisc_calls, 1);
	/* every 100 ms for 9 s: nothing new is asked, nothing reported again */
	for (i = 1; i < 90; i++)
		assert_int_equal(sync_uc(mf, false, w, n, i * 100), 0);
	assert_int_equal(d.adds, 4);
	assert_int_equal(d.promisc_calls, 1);
	/* after the retry interval promiscuous is asked again, once, quietly */
	assert_int_equal(sync_uc(mf, false, w, n, MACFILTER_RETRY_MS), 0);
	assert_int_equal(d.promisc_calls, 2);
	assert_int_equal(status(mf).full_events, 1);
	/* the PF trusts the VF now: the next retry succeeds */
	d.trust = true;
	ev = sync_uc(mf, false, w, n, 2 * MACFILTER_RETRY_MS);
	assert_int_equal(ev, MACFILTER_EV_FALLBACK);
	assert_int_equal(status(mf).mode, MACFILTER_FULL_PROMISC);
	assert_true(d.promisc);
	macfilter_destroy(mf);
}

static void test_full_trusted_falls_back_and_returns(void **state)
{
	struct fake_dev d = {.slots = 4, .mc_slots = 4, .trust = true};
	struct macfilter *mf = macfilter_create(&fd_ops, &d, d.slots, false);
	struct rte_ether_addr w[8];
	struct macfilter_status st;
	uint32_t n = macs(w, 1, 2, 3, 4, 5, 6, 0);

	(void)state;
	assert_int_equal(sync_uc(mf, false, w, n, 0), MACFILTER_EV_FULL | MACFILTER_EV_FALLBACK);
	st = status(mf);
	assert_int_equal(st.mode, MACFILTER_FULL_PROMISC);
	assert_true(st.promisc && d.promisc);
	assert_int_equal(st.fallbacks, 1);
	assert_int_equal(st.uc_programmed, 4); /* kept in step, so leaving is lossless */
	/* 1 goes away: 5 takes its slot, 6 still does not fit */
	n = macs(w, 2, 3, 4, 5, 6, 0);
	assert_int_equal(sync_uc(mf, false, w, n, 100), 0);
	assert_true(dev_has(&d, 5));
	assert_int_equal(status(mf).uc_overflow, 1);
	/* 2 goes away too: everything fits, promiscuous goes back off */
	n = macs(w, 3, 4, 5, 6, 0);
	assert_int_equal(sync_uc(mf, false, w, n, 200), MACFILTER_EV_FITS);
	st = status(mf);
	assert_int_equal(st.mode, MACFILTER_FILTER);
	assert_false(st.promisc || d.promisc);
	assert_true(dev_has(&d, 6));
	/* full again later: a second event, a second fallback */
	n = macs(w, 3, 4, 5, 6, 7, 0);
	assert_int_equal(sync_uc(mf, false, w, n, 300), MACFILTER_EV_FULL | MACFILTER_EV_FALLBACK);
	assert_int_equal(status(mf).full_events, 2);
	assert_int_equal(status(mf).fallbacks, 2);
	/* clearing (port deleted) takes everything out and promiscuous off */
	macfilter_clear(mf);
	assert_int_equal(d.n_uc, 0);
	assert_false(d.promisc);
	macfilter_destroy(mf);
}

static void test_configured_promiscuous(void **state)
{
	struct fake_dev d = {.slots = 4, .mc_slots = 4, .trust = true};
	struct macfilter *mf = macfilter_create(&fd_ops, &d, d.slots, false);
	struct rte_ether_addr w[8], m[8];
	uint32_t n = macs(w, 1, 2, 0), nm;
	unsigned int ev;

	(void)state;
	nm = macfilter_wanted_mc(w, n, m);
	/* accepted: no filter needed, none programmed */
	assert_int_equal(macfilter_sync(mf, true, w, n, m, nm, 0), 0);
	assert_int_equal(status(mf).mode, MACFILTER_PROMISC);
	assert_int_equal(d.n_uc, 0);
	assert_int_equal(d.mc_sets, 0);
	/* options:promiscuous=false at run time: filter first, then promiscuous off */
	assert_int_equal(macfilter_sync(mf, false, w, n, m, nm, 100), 0);
	assert_int_equal(status(mf).mode, MACFILTER_FILTER);
	assert_false(d.promisc);
	assert_int_equal(d.n_uc, 2);
	assert_int_equal(d.n_mc, 3);
	/* and back: the filter is emptied */
	macfilter_sync(mf, true, w, n, m, nm, 200);
	assert_true(d.promisc);
	assert_int_equal(d.n_uc, 0);
	assert_int_equal(d.n_mc, 0);
	macfilter_destroy(mf);

	/* refused (untrusted VF): reported once, and the port filters instead */
	d = (struct fake_dev){.slots = 4, .mc_slots = 4};
	mf = macfilter_create(&fd_ops, &d, d.slots, false);
	ev = macfilter_sync(mf, true, w, n, m, nm, 0);
	assert_int_equal(ev, MACFILTER_EV_PROMISC_REFUSED);
	assert_int_equal(status(mf).mode, MACFILTER_FILTER);
	assert_int_equal(d.n_uc, 2);
	assert_int_equal(macfilter_sync(mf, true, w, n, m, nm, 100), 0);
	assert_int_equal(d.promisc_calls, 1);
	assert_int_equal(macfilter_sync(mf, true, w, n, m, nm, MACFILTER_RETRY_MS), 0);
	assert_int_equal(d.promisc_calls, 2);
	macfilter_destroy(mf);
}

static void test_device_smaller_than_advertised(void **state)
{
	struct fake_dev d = {.slots = 8, .mc_slots = 4, .fail_at = 2};
	struct macfilter *mf = macfilter_create(&fd_ops, &d, d.slots, false);
	struct rte_ether_addr w[8];
	uint32_t n = macs(w, 1, 2, 3, 4, 0);

	(void)state;
	assert_int_equal(sync_uc(mf, false, w, n, 0), MACFILTER_EV_FULL | MACFILTER_EV_LOSING);
	assert_int_equal(d.adds, 3); /* two in, the third refused with -ENOSPC */
	assert_int_equal(status(mf).uc_overflow, 2);
	sync_uc(mf, false, w, n, 100);
	assert_int_equal(d.adds, 3); /* not asked again before the retry */
	/* one leaves: its slot is reused at once */
	n = macs(w, 2, 3, 4, 0);
	sync_uc(mf, false, w, n, 200);
	assert_true(dev_has(&d, 3));
	assert_int_equal(d.adds, 4);
	macfilter_destroy(mf);
}

static void test_mac_refused_for_other_reasons(void **state)
{
	struct fake_dev d = {.slots = 4, .mc_slots = 4, .add_rc = -ENOTSUP};
	struct macfilter *mf = macfilter_create(&fd_ops, &d, d.slots, false);
	struct rte_ether_addr w[8];
	uint32_t n = macs(w, 1, 0);
	unsigned int ev;

	(void)state;
	ev = sync_uc(mf, false, w, n, 0);
	assert_int_equal(ev, MACFILTER_EV_UC_ERROR | MACFILTER_EV_FULL | MACFILTER_EV_LOSING);
	assert_int_equal(status(mf).uc_err, -ENOTSUP);
	assert_int_equal(status(mf).mode, MACFILTER_FULL);
	sync_uc(mf, false, w, n, 100);
	assert_int_equal(d.adds, 1);
	d.add_rc = 0;
	assert_int_equal(sync_uc(mf, false, w, n, MACFILTER_RETRY_MS), MACFILTER_EV_FITS);
	assert_int_equal(status(mf).uc_err, 0);
	assert_true(dev_has(&d, 1));
	macfilter_destroy(mf);
}

static void test_multicast_list_and_fallbacks(void **state)
{
	struct fake_dev d = {.slots = 4, .mc_slots = 2};
	struct macfilter *mf = macfilter_create(&fd_ops, &d, d.slots, false);
	struct rte_ether_addr w[8], m[8];
	uint32_t n = macs(w, 1, 0), nm = macfilter_wanted_mc(w, n, m);
	unsigned int ev;

	(void)state;
	assert_int_equal(nm, 2);
	assert_int_equal(macfilter_sync(mf, false, w, n, m, nm, 0), 0);
	assert_int_equal(status(mf).mc_mode, MACFILTER_MC_LIST);
	assert_int_equal(d.n_mc, 2);
	assert_int_equal(status(mf).mc_programmed, 2);
	/* three groups do not fit, allmulticast is refused: lost, said once */
	n = macs(w, 1, 2, 0);
	nm = macfilter_wanted_mc(w, n, m);
	ev = macfilter_sync(mf, false, w, n, m, nm, 100);
	assert_int_equal(ev, MACFILTER_EV_MC_LOST);
	assert_int_equal(status(mf).mc_mode, MACFILTER_MC_LOST);
	assert_int_equal(status(mf).mc_err, -ENOSPC);
	assert_int_equal(macfilter_sync(mf, false, w, n, m, nm, 200), 0);
	assert_int_equal(d.mc_sets, 2); /* the same refused list is not sent again */
	/* trusted: at the retry, allmulticast */
	d.trust = true;
	ev = macfilter_sync(mf, false, w, n, m, nm, 100 + MACFILTER_RETRY_MS);
	assert_int_equal(ev, MACFILTER_EV_MC_ALLMULTI);
	assert_true(d.allmulti);
	/* back to a list that fits: the list, and allmulticast off */
	n = macs(w, 2, 0);
	nm = macfilter_wanted_mc(w, n, m);
	ev = macfilter_sync(mf, false, w, n, m, nm, 200 + MACFILTER_RETRY_MS);
	assert_int_equal(ev, MACFILTER_EV_MC_LIST);
	assert_false(d.allmulti);
	assert_int_equal(d.n_mc, 2);
	macfilter_destroy(mf);
}

static void test_wanted_sets(void **state)
{
	const struct rte_ether_addr own = mac(9);
	struct macfilter_entry e[] = {
		{.mac = mac(5), .port = 3},                     /* learned on a guest */
		{.mac = mac(4), .port = 1},                     /* on the uplink itself */
		{.mac = mac(6), .port = 1},                     /* on the uplink in one VLAN... */
		{.mac = mac(6), .port = 4},                     /* ...and on a guest in another */
		{.mac = mac(7), .port = 2, .configured = true}, /* attached-mac */
		{.mac = mac(7), .port = 2},                     /* and learned too */
		{.mac = mac(2), .port = 2},
		{.mac = mac(9), .port = 2}, /* the device's own MAC */
		{.mac = mac(8),
		 .port = 1,
		 .configured = true}, /* configured on the uplink: not wanted */
	};
	struct rte_ether_addr out[RTE_DIM(e)], mc[RTE_DIM(e) + 1];
	uint32_t n, nm;

	(void)state;
	n = macfilter_wanted_uc(e, RTE_DIM(e), 1, NULL, &own, out);
	assert_int_equal(n, 4);
	{
		struct rte_ether_addr m7 = mac(7), m2 = mac(2), m5 = mac(5), m6 = mac(6);

		assert_true(same(&out[0], &m7)); /* configured first */
		assert_true(same(&out[1], &m2)); /* then learned, sorted */
		assert_true(same(&out[2], &m5));
		assert_true(same(&out[3], &m6));
	}
	nm = macfilter_wanted_mc(out, n, mc);
	assert_int_equal(nm, 5);
	assert_int_equal(mc[0].addr_bytes[0], 0x33);
	assert_int_equal(mc[0].addr_bytes[5], 0x01);
	/* solicited-node of fe80::5054:ff:fe00:107 -> 33:33:ff:00:01:07 */
	assert_int_equal(mc[1].addr_bytes[2], 0xff);
	assert_int_equal(mc[1].addr_bytes[3], 0x00);
	assert_int_equal(mc[1].addr_bytes[4], 0x01);
	assert_int_equal(mc[1].addr_bytes[5], 0x07);
	assert_int_equal(macfilter_wanted_uc(e, 0, 1, NULL, &own, out), 0);
}

static void test_wanted_only_in_vlans_the_uplink_carries(void **state)
{
	struct macfilter_entry e[] = {
		{.mac = mac(1), .vlan = 10, .port = 2},
		{.mac = mac(2), .vlan = 20, .port = 3}, /* VLAN 20: not on the uplink */
		{.mac = mac(3), .vlan = 20, .port = 4},
		{.mac = mac(3), .vlan = 10, .port = 4}, /* in both: wanted */
		{.mac = mac(4), .vlan = MACFILTER_ANY_VLAN, .port = 3, .configured = true},
	};
	uint64_t vlans[64] = {0};
	struct rte_ether_addr out[RTE_DIM(e)], m1 = mac(1), m3 = mac(3), m4 = mac(4);

	(void)state;
	vlans[0] = 1ULL << 10; /* an access uplink in VLAN 10 */
	assert_int_equal(macfilter_wanted_uc(e, RTE_DIM(e), 1, vlans, NULL, out), 3);
	assert_true(same(&out[0], &m4));
	assert_true(same(&out[1], &m1));
	assert_true(same(&out[2], &m3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_programs_the_difference_only),
		cmocka_unit_test(test_full_untrusted_reports_loss_without_retry_storm),
		cmocka_unit_test(test_full_trusted_falls_back_and_returns),
		cmocka_unit_test(test_configured_promiscuous),
		cmocka_unit_test(test_device_smaller_than_advertised),
		cmocka_unit_test(test_mac_refused_for_other_reasons),
		cmocka_unit_test(test_multicast_list_and_fallbacks),
		cmocka_unit_test(test_wanted_sets),
		cmocka_unit_test(test_wanted_only_in_vlans_the_uplink_carries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
