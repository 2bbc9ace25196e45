/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * doorbell (doorbell.h): the armed flag and the eventfd behind it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_atomic.h>
#include <rte_common.h>

#include "dataplane/doorbell.h"

struct dp_doorbell dp_doorbell_bell = {.armed = false, .fd = -1};

int dp_doorbell_open(void)
{
	int fd;

	if (dp_doorbell_bell.fd >= 0)
		return dp_doorbell_bell.fd;
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	__atomic_store_n(&dp_doorbell_bell.fd, fd, __ATOMIC_RELEASE);
	return fd;
}

void dp_doorbell_close(void)
{
	int fd = dp_doorbell_bell.fd;

	__atomic_store_n(&dp_doorbell_bell.armed, false, __ATOMIC_SEQ_CST);
	__atomic_store_n(&dp_doorbell_bell.fd, -1, __ATOMIC_RELEASE);
	if (fd >= 0)
		close(fd);
}

int dp_doorbell_fd(void)
{
	return dp_doorbell_bell.fd;
}

void dp_doorbell_arm(void)
{
	if (dp_doorbell_bell.fd < 0)
		return;
	__atomic_store_n(&dp_doorbell_bell.armed, true, __ATOMIC_RELAXED);
	/* the store before the caller's look at the queues (doorbell.h) */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void dp_doorbell_disarm(void)
{
	__atomic_store_n(&dp_doorbell_bell.armed, false, __ATOMIC_RELAXED);
}

void dp_doorbell_clear(void)
{
	uint64_t v;

	dp_doorbell_disarm();
	if (dp_doorbell_bell.fd >= 0 && read(dp_doorbell_bell.fd, &v, sizeof(v)) < 0 &&
	    errno != EAGAIN)
		return; /* nothing to undo: the next ring writes again */
}

void dp_doorbell_ring_armed(void)
{
	int fd;
	uint64_t one = 1;

	/* several PMDs may have seen the flag: only the one that takes it writes */
	if (!__atomic_exchange_n(&dp_doorbell_bell.armed, false, __ATOMIC_ACQ_REL))
		return;
	fd = __atomic_load_n(&dp_doorbell_bell.fd, __ATOMIC_ACQUIRE);
	/* EAGAIN only with the counter at its maximum: it is readable anyway */
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0)
		return;
}
