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

/* Its own cache line: PMDs read it on the learn path, the control thread
 * writes it once per loop; nothing else should bounce with it. */
static struct {
	bool armed;
	int fd;
} bell __rte_cache_aligned = {.armed = false, .fd = -1};

int dp_doorbell_open(void)
{
	int fd;

	if (bell.fd >= 0)
		return bell.fd;
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	__atomic_store_n(&bell.fd, fd, __ATOMIC_RELEASE);
	return fd;
}

void dp_doorbell_close(void)
{
	int fd = bell.fd;

	__atomic_store_n(&bell.armed, false, __ATOMIC_SEQ_CST);
	__atomic_store_n(&bell.fd, -1, __ATOMIC_RELEASE);
	if (fd >= 0)
		close(fd);
}

int dp_doorbell_fd(void)
{
	return bell.fd;
}

void dp_doorbell_arm(void)
{
	if (bell.fd < 0)
		return;
	__atomic_store_n(&bell.armed, true, __ATOMIC_RELAXED);
	/* the store before the caller's look at the queues (doorbell.h) */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void dp_doorbell_clear(void)
{
	uint64_t v;

	__atomic_store_n(&bell.armed, false, __ATOMIC_RELAXED);
	if (bell.fd >= 0 && read(bell.fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return; /* nothing to undo: the next ring writes again */
}

void dp_doorbell_ring(void)
{
	int fd;
	uint64_t one = 1;

	/* the caller's enqueue before the look at the flag (doorbell.h) */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&bell.armed, __ATOMIC_RELAXED) ||
	    !__atomic_exchange_n(&bell.armed, false, __ATOMIC_ACQ_REL))
		return;
	fd = __atomic_load_n(&bell.fd, __ATOMIC_ACQUIRE);
	/* EAGAIN only with the counter at its maximum: it is readable anyway */
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0)
		return;
}
