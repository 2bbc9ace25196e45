/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of pmd_wake (pmd/pmd_wake.h), on test ports whose rx_wake hands
 * out eventfds the test writes to as a guest's kick would: a kick after
 * arming ends a sleep at once and one from before arming does not; a sleep
 * nobody kicks lasts its time; a ring whose eventfd was replaced (same fd
 * number, a new file, as after a guest resets the ring) is watched anew; a
 * port without rx_wake, one that cannot wake now and a vhost one that hands
 * out something else than an eventfd are left to the timer, while an
 * ethdev's stable fd of any kind (net_tap's queue fd) wakes; the PMD's
 * bell ends a sleep without counting as a kick, even rung just before an
 * arming drains stale kicks; disarming turns
 * every queue's kicks off, and so does the PMD a queue moves to, busy or
 * not; a list reallocated at the same address is still a new list; and no
 * fd is left open afterwards.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>

#include "dataplane/port.h"
#include "pmd/pmd.h"
#include "pmd/pmd_wake.h"

struct wport {
	int fd; /* what rx_wake(on) returns: an fd or -errno */
	int on; /* the last state asked: 1 on, 0 off, -1 never asked */
	unsigned int calls;
};

static int w_rx_wake(struct dp_port *p, uint16_t qid, bool on)
{
	struct wport *w = p->priv;

	(void)qid;
	w->on = on;
	w->calls++;
	return on ? w->fd : 0;
}

static const struct dp_port_ops wake_ops = {.rx_wake = w_rx_wake};
static const struct dp_port_ops timer_ops = {0}; /* no rx_wake at all */
/* an ethdev with rx interrupts: its fd lives as long as the port, any file */
static const struct dp_port_ops intr_ops = {.rx_wake = w_rx_wake, .rx_wake_fd_stable = true};

static unsigned int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void kick(int fd)
{
	uint64_t one = 1;

	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
}

/* A sleep of `us`: did a kick end it, and how long did it take (ms)? */
static bool timed_sleep(struct pmd_wake *w, uint32_t us, double *ms)
{
	double t0 = now_ms();
	bool kicked = pmd_wake_sleep(w, us);

	*ms = now_ms() - t0;
	return kicked;
}

/* A 20 ms sleep that nothing ends. */
static void sleeps_its_time(struct pmd_wake *w)
{
	double ms;

	assert_false(timed_sleep(w, 20000, &ms));
	assert_true(ms >= 19.0);
}

/* A 2 s sleep that something ends at once: a queue's kick if `kick`. */
static void woken_at_once(struct pmd_wake *w, bool kick)
{
	double ms;

	assert_int_equal(timed_sleep(w, 2000000, &ms), kick);
	assert_true(ms < 500.0);
}

static struct pmd_rxq_list *list_of(struct dp_port *ports, unsigned int n)
{
	struct pmd_rxq_list *l = calloc(1, sizeof(*l) + n * sizeof(l->q[0]));

	assert_non_null(l);
	l->n = (uint16_t)n;
	for (unsigned int i = 0; i < n; i++)
		l->q[i] = (struct pmd_rxq){.port = &ports[i], .qid = 0};
	return l;
}

static void test_kick_ends_a_sleep_and_only_after_arming(void **state)
{
	unsigned int fds_before = open_fds();
	struct wport wp = {.fd = eventfd(0, EFD_CLOEXEC), .on = -1};
	struct dp_port port = {.ops = &wake_ops, .priv = &wp};
	struct pmd_rxq_list *l = list_of(&port, 1);
	struct pmd_wake w;
	double ms;

	(void)state;
	assert_true(wp.fd >= 0);
	pmd_wake_init(&w, -1);
	kick(wp.fd); /* before the spell: the PMD's next poll covers it */
	assert_int_equal(pmd_wake_arm(&w, l), 1);
	assert_int_equal(wp.on, 1);
	assert_true(w.armed);
	assert_false(timed_sleep(&w, 20000, &ms));
	assert_true(ms >= 19.0);

	kick(wp.fd);
	assert_true(timed_sleep(&w, 2000000, &ms));
	assert_true(ms < 500.0);                   /* not the 2 s of the timer */
	assert_false(timed_sleep(&w, 10000, &ms)); /* one kick, one wake */

	/* a second arming of the same list reuses the dup: no fd more */
	{
		unsigned int n = open_fds();

		assert_int_equal(pmd_wake_arm(&w, l), 1);
		assert_int_equal(open_fds(), n);
	}
	pmd_wake_disarm(&w, l);
	assert_int_equal(wp.on, 0);
	assert_false(w.armed);

	pmd_wake_fini(&w);
	close(wp.fd);
	free(l);
	assert_int_equal(open_fds(), fds_before);
}

static void test_replaced_ring_fd_is_watched_anew(void **state)
{
	struct wport wp = {.fd = eventfd(0, EFD_CLOEXEC), .on = -1};
	struct dp_port port = {.ops = &wake_ops, .priv = &wp};
	struct pmd_rxq_list *l = list_of(&port, 1);
	struct pmd_wake w;
	unsigned int fds_armed;
	double ms;
	int fresh;

	(void)state;
	pmd_wake_init(&w, -1);
	assert_int_equal(pmd_wake_arm(&w, l), 1);
	fds_armed = open_fds();
	pmd_wake_disarm(&w, l);

	/* the guest resets the ring: librte_vhost closes the old eventfd and
	 * receives a new one under the same number */
	fresh = eventfd(0, EFD_CLOEXEC);
	assert_true(fresh >= 0);
	assert_int_equal(dup2(fresh, wp.fd), wp.fd);
	close(fresh);

	assert_int_equal(pmd_wake_arm(&w, l), 1);
	assert_int_equal(open_fds(), fds_armed); /* the old file's dup was closed */
	kick(wp.fd);
	assert_true(timed_sleep(&w, 2000000, &ms));
	assert_true(ms < 500.0);

	pmd_wake_fini(&w);
	close(wp.fd);
	free(l);
}

static void test_queues_that_cannot_kick_wait_for_the_timer(void **state)
{
	unsigned int fds_before = open_fds();
	struct wport gone = {.fd = -ENODEV, .on = -1}, piped = {.on = -1}, none = {.on = -1};
	struct dp_port ports[3] = {
		{.ops = &timer_ops, .priv = &none},
		{.ops = &wake_ops, .priv = &gone},
		{.ops = &wake_ops, .priv = &piped},
	};
	struct pmd_rxq_list *l = list_of(ports, 3);
	struct pmd_wake w;
	int pipefd[2];
	double ms;

	(void)state;
	assert_int_equal(pipe(pipefd), 0);
	piped.fd = pipefd[0]; /* not an eventfd: never watched */
	assert_int_equal(write(pipefd[1], "x", 1), 1);
	pmd_wake_init(&w, -1);
	assert_int_equal(pmd_wake_arm(&w, l), 0);
	assert_int_equal(gone.calls, 1);
	assert_int_equal(piped.calls, 1);
	assert_false(timed_sleep(&w, 20000, &ms));
	assert_true(ms >= 19.0);
	pmd_wake_disarm(&w, l);
	assert_int_equal(gone.on, 0);
	assert_int_equal(piped.on, 0);
	assert_int_equal(none.calls, 0);

	pmd_wake_fini(&w);
	close(pipefd[0]);
	close(pipefd[1]);
	free(l);
	assert_int_equal(open_fds(), fds_before);
}

static void test_stable_fd_of_any_kind_wakes(void **state)
{
	unsigned int fds_before = open_fds(), fds_armed;
	struct wport tap = {.on = -1};
	struct dp_port port = {.ops = &intr_ops, .priv = &tap};
	struct pmd_rxq_list *l = list_of(&port, 1);
	struct pmd_wake w;
	int pipefd[2];

	(void)state;
	assert_int_equal(pipe(pipefd), 0);
	tap.fd = pipefd[0]; /* like a tap queue's fd: readable while frames wait */
	pmd_wake_init(&w, -1);
	assert_int_equal(pmd_wake_arm(&w, l), 1);
	sleeps_its_time(&w);
	assert_int_equal(write(pipefd[1], "x", 1), 1); /* a frame arrives */
	woken_at_once(&w, true);
	pmd_wake_disarm(&w, l);
	assert_int_equal(tap.on, 0);

	/* armed again with the frame still unread (the PMD's re-poll takes
	 * it): edge triggered, it does not end the sleep by itself; the next
	 * frame does; the dup is kept, not made again */
	fds_armed = open_fds();
	assert_int_equal(pmd_wake_arm(&w, l), 1);
	assert_int_equal(open_fds(), fds_armed);
	sleeps_its_time(&w);
	assert_int_equal(write(pipefd[1], "y", 1), 1);
	woken_at_once(&w, true);

	pmd_wake_fini(&w);
	close(pipefd[0]);
	close(pipefd[1]);
	free(l);
	assert_int_equal(open_fds(), fds_before);
}

static void test_bell_ends_a_sleep_and_is_no_kick(void **state)
{
	unsigned int fds_before = open_fds();
	int bell = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct wport wp = {.fd = eventfd(0, EFD_CLOEXEC), .on = -1};
	struct dp_port port = {.ops = &wake_ops, .priv = &wp};
	struct wport none = {.on = -1};
	struct dp_port timer_port = {.ops = &timer_ops, .priv = &none};
	struct pmd_rxq_list *l = list_of(&port, 1), *dumb = list_of(&timer_port, 1);
	struct pmd_wake w;

	(void)state;
	assert_true(bell >= 0 && wp.fd >= 0);
	pmd_wake_init(&w, bell);
	/* a spell armed on queues that cannot kick: the bell alone ends it */
	assert_true(pmd_wake_list_changed(&w, dumb));
	assert_int_equal(pmd_wake_arm(&w, dumb), 0);
	sleeps_its_time(&w);
	kick(bell);               /* the control thread published a list */
	woken_at_once(&w, false); /* not a kick */
	pmd_wake_disarm(&w, dumb);
	/* not armed yet: the back-off's short sleeps run out, bell or not */
	assert_false(w.armed);
	kick(bell);
	sleeps_its_time(&w);

	/* rung just before arming (or before it, unseen, as above): the
	 * arming's drain of stale kicks keeps it, so the sleep after is none */
	assert_true(pmd_wake_list_changed(&w, l));
	assert_int_equal(pmd_wake_arm(&w, l), 1);
	woken_at_once(&w, false);
	sleeps_its_time(&w); /* and only that one */
	/* a kick and the bell together: a kick */
	kick(bell);
	kick(wp.fd);
	woken_at_once(&w, true);

	pmd_wake_disarm(&w, l);
	pmd_wake_fini(&w);
	close(bell);
	close(wp.fd);
	free(l);
	free(dumb);
	assert_int_equal(open_fds(), fds_before);
}

static void test_a_new_list_drops_the_old_watches(void **state)
{
	unsigned int fds_before = open_fds();
	struct wport a = {.fd = eventfd(0, EFD_CLOEXEC), .on = -1};
	struct wport b = {.fd = eventfd(0, EFD_CLOEXEC), .on = -1};
	struct dp_port ports[2] = {{.ops = &wake_ops, .priv = &a}, {.ops = &wake_ops, .priv = &b}};
	struct pmd_rxq_list *both = list_of(ports, 2), *only_b = list_of(&ports[1], 1);
	struct pmd_rxq_list *only_a = list_of(&ports[0], 1);
	struct pmd_wake w, other;
	double ms;

	(void)state;
	pmd_wake_init(&w, -1);
	pmd_wake_init(&other, -1);
	assert_true(pmd_wake_list_changed(&w, both));
	assert_false(pmd_wake_list_changed(&w, both));
	assert_int_equal(pmd_wake_arm(&w, both), 2);
	assert_int_equal(a.on, 1);

	/* a's queue moves to another PMD, busy: seeing its new list turns the
	 * kicks off, or a busy PMD would leave a guest kicking */
	assert_true(pmd_wake_list_changed(&other, only_a));
	pmd_wake_disarm(&other, only_a);
	assert_int_equal(a.on, 0);

	/* this PMD's new list: b only; a list at the same address with a new
	 * gen is a new list too */
	assert_true(pmd_wake_list_changed(&w, only_b));
	pmd_wake_disarm(&w, only_b);
	assert_int_equal(pmd_wake_arm(&w, only_b), 1);
	kick(a.fd); /* no longer ours: does not wake this PMD */
	assert_false(timed_sleep(&w, 20000, &ms));
	kick(b.fd);
	assert_true(timed_sleep(&w, 2000000, &ms));
	only_b->gen++;
	assert_true(pmd_wake_list_changed(&w, only_b));
	assert_int_equal(pmd_wake_arm(&w, only_b), 1); /* re-registered, one fd still */

	pmd_wake_fini(&other);
	pmd_wake_fini(&w);
	close(a.fd);
	close(b.fd);
	free(both);
	free(only_a);
	free(only_b);
	assert_int_equal(open_fds(), fds_before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kick_ends_a_sleep_and_only_after_arming),
		cmocka_unit_test(test_replaced_ring_fd_is_watched_anew),
		cmocka_unit_test(test_queues_that_cannot_kick_wait_for_the_timer),
		cmocka_unit_test(test_stable_fd_of_any_kind_wakes),
		cmocka_unit_test(test_bell_ends_a_sleep_and_is_no_kick),
		cmocka_unit_test(test_a_new_list_drops_the_old_watches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
