/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An idle PMD woken by guest kicks and device rx interrupts (pmd_wake.h
 * says why and the rules).
 * Caller: pmd.c's loop, on the PMD thread, between busy spells only.
 *
 * What it costs: per idle spell, one rx_wake call per queue to turn kicks
 * on (librte_vhost takes the ring's access lock; an ethdev may write a
 * register) and, for a vhost ring, one kcmp(2) to see that our dup is
 * still its eventfd, and the same calls to turn them off when the next
 * frame comes; nothing per frame.  A guest pays one
 * kick (an eventfd write, or an exit in a VM) for its first frame after a
 * quiet spell, no more.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rte_atomic.h>
#include <rte_common.h>
#include <rte_log.h>

#include "dataplane/port.h"
#include "pmd/pmd.h"
#include "pmd/pmd_wake.h"

#define WAKE_LOG(lvl, ...) rte_log(RTE_LOG_##lvl, RTE_LOGTYPE_USER1, "pmd: " __VA_ARGS__)

/* epoll_event.data of the bell; a queue's fd has 0 */
#define WAKE_TAG_BELL 1u

/* Did any of the n events come from the bell (bell) or from a queue? */
static bool any_from(const struct epoll_event *ev, int n, bool bell)
{
	for (int i = 0; i < n; i++)
		if ((ev[i].data.u32 == WAKE_TAG_BELL) == bell)
			return true;
	return false;
}

void pmd_wake_init(struct pmd_wake *w, int bell)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u32 = WAKE_TAG_BELL};

	*w = (struct pmd_wake){.epfd = epoll_create1(EPOLL_CLOEXEC)};
	if (w->epfd < 0) {
		WAKE_LOG(WARNING, "epoll_create1: %s: idle sleeps end on their timer only\n",
			 strerror(errno));
		return;
	}
	if (bell >= 0) {
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, bell, &ev) == 0)
			w->bell = true;
		else
			WAKE_LOG(WARNING,
				 "epoll_ctl: %s: a new poll list waits for the sleep's end\n",
				 strerror(errno));
	}
}

static void fd_drop(struct pmd_wake *w, struct pmd_wake_fd *f)
{
	if (f->dup >= 0) {
		/* epoll forgets a registration only when the file is gone, and
		 * the ring's own fd keeps it alive: remove it by name first */
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, f->dup, NULL);
		close(f->dup);
	}
	*f = (struct pmd_wake_fd){.kick = -1, .dup = -1};
}

static void fds_drop(struct pmd_wake *w)
{
	for (uint16_t i = 0; i < w->n; i++)
		fd_drop(w, &w->fds[i]);
	free(w->fds);
	w->fds = NULL;
	w->n = 0;
}

bool pmd_wake_list_changed(struct pmd_wake *w, const struct pmd_rxq_list *l)
{
	uint32_t gen = l != NULL ? l->gen : 0;

	if (l == w->seen && gen == w->seen_gen)
		return false;
	fds_drop(w);
	w->seen = l;
	w->seen_gen = gen;
	return true;
}

void pmd_wake_fini(struct pmd_wake *w)
{
	fds_drop(w);
	if (w->epfd >= 0)
		close(w->epfd);
	w->epfd = -1;
}

/* Is our dup still the file behind the port's fd `kick`?  Without kcmp (a
 * kernel without CONFIG_KCMP, a seccomp filter) say no: then every arming
 * re-registers each queue (epoll del and add, a close, a dup, a readlink). */
static bool same_file(struct pmd_wake *w, int dup, int kick)
{
	pid_t me = getpid();
	long rc = syscall(SYS_kcmp, me, me, KCMP_FILE, dup, kick);

	if (rc < 0 && !w->no_kcmp) {
		w->no_kcmp = true;
		WAKE_LOG(INFO, "kcmp: %s: kick eventfds are re-registered at each idle spell\n",
			 strerror(errno));
	}
	return rc == 0;
}

/* Is fd an eventfd?  A ring reset on librte_vhost's thread can close the
 * kick fd between rx_wake and our dup, and the number can be reused at
 * once: a dup of another file (a guest's socket) would keep it open. */
static bool is_eventfd(int fd)
{
	char path[32], link[32];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return strcmp(link, "anon_inode:[eventfd]") == 0;
}

/* Register the port's fd `kick` at position f, reusing our dup if it is
 * still that file (always, for a port whose fd is stable: an ethdev's rx
 * interrupt fd, a tap queue's own fd).  false: it cannot wake us (f left
 * empty). */
static bool fd_watch(struct pmd_wake *w, struct pmd_wake_fd *f, int kick, bool stable)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET};

	if (f->dup >= 0 && f->kick == kick && (stable || same_file(w, f->dup, kick)))
		return true;
	fd_drop(w, f);
	f->dup = fcntl(kick, F_DUPFD_CLOEXEC, 0);
	if (f->dup < 0)
		return false; /* closed under us by a ring reset: the timer stays */
	if ((!stable && !is_eventfd(f->dup)) ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, f->dup, &ev) != 0) {
		close(f->dup);
		f->dup = -1;
		return false;
	}
	f->kick = kick;
	return true;
}

unsigned int pmd_wake_arm(struct pmd_wake *w, const struct pmd_rxq_list *l)
{
	struct epoll_event ev[8];

	w->armed = true;
	w->n_fds = 0;
	if (w->epfd < 0 || l == NULL)
		return 0;
	if (w->fds == NULL) {
		w->fds = malloc(l->n * sizeof(*w->fds));
		if (w->fds == NULL)
			return 0;
		w->n = l->n;
		for (uint16_t i = 0; i < l->n; i++)
			w->fds[i] = (struct pmd_wake_fd){.kick = -1, .dup = -1};
	}
	for (uint16_t i = 0; i < l->n; i++) {
		struct dp_port *p = l->q[i].port;
		int kick;

		if (p->ops->rx_wake == NULL)
			continue;
		kick = p->ops->rx_wake(p, l->q[i].qid, true);
		if (kick >= 0 && fd_watch(w, &w->fds[i], kick, p->ops->rx_wake_fd_stable))
			w->n_fds++;
		else
			fd_drop(w, &w->fds[i]); /* a guest gone: do not keep its file */
	}
	/* kicks from before this spell: the caller's next poll covers them;
	 * a bell among them is kept for the sleep, or a list published since
	 * the caller read it would wait for the sleep's end */
	for (int n = (int)RTE_DIM(ev); n == (int)RTE_DIM(ev);) {
		n = epoll_wait(w->epfd, ev, RTE_DIM(ev), 0);
		w->rang |= n > 0 && any_from(ev, n, true);
	}
	/* the guest must see kicks on before our re-poll reads its ring, or it
	 * could skip the kick for a frame that poll misses */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	return w->n_fds;
}

void pmd_wake_disarm(struct pmd_wake *w, const struct pmd_rxq_list *l)
{
	w->armed = false;
	if (l == NULL)
		return;
	for (uint16_t i = 0; i < l->n; i++) {
		struct dp_port *p = l->q[i].port;

		if (p->ops->rx_wake != NULL)
			p->ops->rx_wake(p, l->q[i].qid, false);
	}
}

bool pmd_wake_sleep(struct pmd_wake *w, uint32_t us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000};
	struct pollfd pfd = {.fd = w->epfd, .events = POLLIN};
	struct epoll_event ev[8];
	int n;

	if (w->rang) {
		w->rang = false;
		return false;
	}
	/* The back-off's first sleeps, before the spell arms, last a few us:
	 * a wake-up would gain nothing there, and nanosleep skips the wait
	 * queues of the epoll. */
	if (w->epfd < 0 || !w->armed || (w->n_fds == 0 && !w->bell)) {
		nanosleep(&ts, NULL);
		return false;
	}
	/* ppoll on the epoll fd rather than epoll_pwait2: the same nanosecond
	 * timeout on kernels before 5.11 too, and a second call only when
	 * something ended the sleep (the ready list says what) */
	n = ppoll(&pfd, 1, &ts, NULL);
	if (n < 0 && errno != EINTR) {
		nanosleep(&ts, NULL); /* never seen: an epoll fd is pollable */
		return false;
	}
	if (n <= 0)
		return false;
	n = epoll_wait(w->epfd, ev, RTE_DIM(ev), 0);
	return n > 0 && any_from(ev, n, false);
}
