/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * guest: what the files of kvs-guest share. kvs_guest.c owns the process (options, the
 * command loop and its JSON answers); guest_port.c the port (setup, queue pairs, attaching
 * again); guest_traffic.c and guest_tcp.c the data path (generated frames, paced
 * transmission, receive accounting, the ARP/ICMP responder, TCP). Only they include it; everything
 * here runs on the guest's one lcore, so nothing is locked.
 */
#ifndef KVS_TESTS_TOOLS_GUEST_H
#define KVS_TESTS_TOOLS_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#define BURST      32
#define MAX_QUEUES 16

/* What to generate; used by send and stream, and for the L2 header of ping's frames. */
struct frame_spec {
	struct rte_ether_addr dst, src;
	int vlan; /* -1: untagged */
	uint8_t pcp;
	uint16_t ethertype, stream;
	uint32_t size;
	uint32_t srcs; /* > 1: frame i's source is src + (i mod srcs) in its low 24 bits */
	int queue;     /* -1: all tx queues, round robin */
	const uint8_t *raw;
};

/* A paced transmission: send (count frames, run to the end) or stream (runs until stopped). */
struct tx_job {
	bool active;
	struct frame_spec fs;
	uint64_t count, pps, start, last_progress, built, skipped, sent, failed;
	uint64_t q_built[MAX_QUEUES]; /* queue=all: frames so far per queue */
	uint16_t rr, q, npend, off;
	struct rte_mbuf *pend[BURST];
};

struct options {
	struct rte_ether_addr mac;
	uint32_t ip; /* network order, 0: no responder */
	uint64_t id, queues, mtu, mbufs;
	uint64_t reconnect_ms; /* client mode: attach again this often once the switch is gone */
	unsigned int offloads; /* 0 none, 1 checksums, 2 checksums and TSO/LRO (--offloads) */
};

/* What ping found out: the target's MAC if it answered ARP, the echo requests it answered and
 * their round-trip times (from just before the request is sent to when its reply is accounted). */
struct ping_result {
	bool arp_ok;
	struct rte_ether_addr peer;
	uint64_t sent, received;
	double rtt_min_us, rtt_avg_us, rtt_p50_us, rtt_p99_us, rtt_max_us; /* valid if received */
};

/* TCP frames handed to the device with offloads (send-tcp, guest_tcp.c). */
enum tcp_bad {
	TCP_BAD_NONE,
	TCP_BAD_MSS0,       /* GSO with an MSS of 0 */
	TCP_BAD_NOT_TCP,    /* GSO TCP type on a frame whose IP protocol is UDP */
	TCP_BAD_CSUM_START, /* partial checksum starting past the frame */
};

struct tcp_spec {
	struct frame_spec fs; /* dst, src, vlan */
	bool v6, gso, partial;
	uint32_t payload, mss;
	uint64_t count;
	enum tcp_bad bad;
};

/* ---- kvs_guest.c: set up before the command loop starts, read by the data path ---- */

extern struct options opt;
extern uint64_t tsc_hz;

/* An error for the answer being written: the message goes to errmsg; returns -1. */
int __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...);
extern char errmsg[512];

/* ---- guest_port.c: the port; -1 and errmsg on failure ---- */

extern uint16_t port_id, nb_rxq, nb_txq; /* the queue pairs in use (always nb_rxq == nb_txq) */
extern struct rte_mempool *pool;
extern uint16_t max_queues;           /* what the device has: the most set-queues takes */
extern uint32_t buf_room;             /* bytes of frame an mbuf holds */
extern struct rte_eth_conf port_conf; /* what the port was configured with (its offloads) */
extern bool port_detached;            /* --reconnect-ms: between detaching and attaching again */
/* Sets the port up from the options and starts it with --queues (or all) queue pairs. */
int port_init(void);
/* (Re)configures nq queue pairs and starts the port; the port must be stopped. */
int port_start_queues(uint16_t nq);
/* Between commands and while link waits: with --reconnect-ms, detaches a client-mode device
 * whose link is down and attaches it again until the switch takes it. */
void port_watch(void);

/* The answer being written; the data path writes its part of the stats answer with these. */
void __attribute__((format(printf, 1, 2))) jprintf(const char *fmt, ...);
void jmac(const char *prefix, const struct rte_ether_addr *a);

/* Inline because the paced tx loop converts its timeout on every tick. */
static inline uint64_t ms_to_tsc(uint64_t ms)
{
	return tsc_hz / 1000 * ms;
}

/* ---- guest_traffic.c: the data path, called by the command handlers ---- */

extern struct tx_job gen;    /* the background stream */
extern uint64_t last_rx_tsc; /* when the last frame arrived (quiet waits on it) */

void job_init(struct tx_job *j, const struct frame_spec *fs, uint64_t count, uint64_t pps);
/* Moves a job forward without blocking; returns how many frames it sent. */
unsigned int job_tick(struct tx_job *j);
/* Frees the frames a job built but has not sent, counting them as failed. */
void job_drop_pending(struct tx_job *j);

/* When set, rx_poll reads nothing: the device's rx rings fill as a stopped guest's do. */
extern bool rx_hold;
/* One burst from each rx queue in use; returns how many frames arrived. */
unsigned int rx_poll(void);
/* One pass of the data path: all rx queues, then the stream; sleeps a little when idle. */
unsigned int service(unsigned int other_work);

/* ARP for target (network order), then count echo requests one at a time, interval_ms apart
 * (0: each as soon as the previous one is answered), with the L2 header of fs, all within
 * timeout_ms; it runs the data path while it waits. */
void ping_run(struct frame_spec *fs, uint32_t target, uint64_t count, uint64_t timeout_ms,
	      uint64_t interval_ms, struct ping_result *res);

/* ---- guest_tcp.c ---- */

/* Send count frames of ts, one after the other in sequence; -1 if out of mbufs. */
int tcp_send(const struct tcp_spec *ts, uint64_t *sent);
/* Account a received frame if it is TCP (its L3 at l3_off). */
void tcp_rx(struct rte_mbuf *m, uint16_t l3_off, uint16_t ethertype);
void tcp_stats_json(void);
void tcp_stats_reset(void);

/* The body of the stats answer (a JSON object), and what reset clears. */
void stats_json(void);
void stats_reset(void);

#endif
