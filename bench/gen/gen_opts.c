/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvs-bench-gen's options: their defaults (gen_opt), the usage text, and the parsing of the
 * arguments after "--", which gen_main.c calls before EAL starts, so a usage error costs
 * nothing. Every bad value exits with status 2 and a message naming the option.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

#define EXIT_USAGE 2

struct gen_opts gen_opt = {
	.size = 64,
	.queues = 1,
	.macs = 1,
	.duration = 10,
	.warmup = 2,
	.link_timeout = 10,
	.inflight = 512,
	.learn_rounds = 2,
};

static bool mode_set, rate_set, inflight_set, flows_set;

static const char usage_text[] =
	"usage: kvs-bench-gen EAL-ARGS --vdev net_virtio_user0,path=A.sock[,queues=Q,server=1]\n"
	"                     --vdev net_virtio_user1,path=B.sock[,...] -- \\\n"
	"         --mode closed|open [--shape udp|raw] [--size BYTES] [--queues Q] [--macs N]\n"
	"         [--flows N] [--duration SEC] [--warmup SEC] [--inflight N] [--rate PPS]\n"
	"         [--bidir] [--progress] [--events [--event-ack]] [--link-timeout SEC]\n"
	"         [--learn-rounds N]\n"
	"  --mode          closed: forward what arrives (max rate); open: paced A->B (loss, "
	"latency)\n"
	"  --shape         udp: IPv4/UDP, a 5-tuple per flow (default); raw: ethertype 0x88b5\n"
	"  --size          frame size with FCS, 64..1518 (default 64: 60 bytes on virtio)\n"
	"  --queues        queue pairs per port, 1..16 (default 1; at most the vdev's queues=)\n"
	"  --macs          MAC pairs: distinct MACs per side, 1..16777216 (default 1)\n"
	"  --flows         5-tuples per direction over the MAC pairs, 1..16777216 (default "
	"--macs)\n"
	"  --duration      measurement seconds (default 10)\n"
	"  --warmup        seconds after learning, traffic dropped (default 2)\n"
	"  --inflight      closed: frames in flight per direction, all queues (default 512)\n"
	"  --rate          open: frames/s A->B over all queues (required in open mode)\n"
	"  --bidir         open: B->A at --rate as well\n"
	"  --progress      one JSON line per second on stderr\n"
	"  --events        {\"event\": \"window_start\"|\"window_end\"} lines on stdout before the "
	"report\n"
	"  --event-ack     open: wait for a line on stdin after each event (sent while no "
	"frame flows)\n"
	"  --link-timeout  seconds to wait for the switch and link up (default 10)\n"
	"  --learn-rounds  learning frames per MAC and side before warm-up (default 2)\n";

void gen_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kvs-bench-gen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage_text);
	exit(EXIT_USAGE);
}

static int parse_num(const char *s, double min, double max, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(*v) || *v < min || *v > max)
		return -1;
	return 0;
}

static uint64_t opt_uint(const char *name, const char *s, uint64_t min, uint64_t max)
{
	unsigned long long x;
	char *end;

	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0 || *s < '0' || *s > '9' || *end != '\0' || x < min || x > max)
		gen_usage_error("bad --%s '%s' (want an integer %" PRIu64 "..%" PRIu64 ")", name, s,
				min, max);
	return x;
}

static double opt_secs(const char *name, const char *s, double min)
{
	double v;

	if (parse_num(s, min, 86400, &v) < 0)
		gen_usage_error("bad --%s '%s' (want seconds, %g..86400)", name, s, min);
	return v;
}

void gen_opts_parse(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"mode", required_argument, NULL, 'm'},
		{"shape", required_argument, NULL, 'S'},
		{"flows", required_argument, NULL, 'F'},
		{"events", no_argument, NULL, 'e'},
		{"event-ack", no_argument, NULL, 'A'},
		{"size", required_argument, NULL, 's'},
		{"queues", required_argument, NULL, 'q'},
		{"macs", required_argument, NULL, 'M'},
		{"duration", required_argument, NULL, 'd'},
		{"warmup", required_argument, NULL, 'w'},
		{"inflight", required_argument, NULL, 'i'},
		{"rate", required_argument, NULL, 'r'},
		{"bidir", no_argument, NULL, 'b'},
		{"progress", no_argument, NULL, 'p'},
		{"link-timeout", required_argument, NULL, 'L'},
		{"learn-rounds", required_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (strcmp(optarg, "closed") == 0)
				gen_opt.mode = GEN_CLOSED;
			else if (strcmp(optarg, "open") == 0)
				gen_opt.mode = GEN_OPEN;
			else
				gen_usage_error("bad --mode '%s' (want closed or open)", optarg);
			mode_set = true;
			break;
		case 'S':
			if (strcmp(optarg, "udp") == 0)
				gen_opt.shape = GEN_SHAPE_UDP;
			else if (strcmp(optarg, "raw") == 0)
				gen_opt.shape = GEN_SHAPE_RAW;
			else
				gen_usage_error("bad --shape '%s' (want udp or raw)", optarg);
			break;
		case 'F':
			gen_opt.flows = (uint32_t)opt_uint("flows", optarg, 1, GEN_MAX_MACS);
			flows_set = true;
			break;
		case 'e':
			gen_opt.events = true;
			break;
		case 'A':
			gen_opt.event_ack = true;
			break;
		case 's':
			gen_opt.size = (uint32_t)opt_uint("size", optarg, RTE_ETHER_MIN_LEN,
							  RTE_ETHER_MAX_LEN);
			break;
		case 'q':
			gen_opt.queues = (uint16_t)opt_uint("queues", optarg, 1, GEN_MAX_QUEUES);
			break;
		case 'M':
			gen_opt.macs = (uint32_t)opt_uint("macs", optarg, 1, GEN_MAX_MACS);
			break;
		case 'd':
			gen_opt.duration = opt_secs("duration", optarg, 0.001);
			break;
		case 'w':
			gen_opt.warmup = opt_secs("warmup", optarg, 0);
			break;
		case 'L':
			gen_opt.link_timeout = opt_secs("link-timeout", optarg, 0.001);
			break;
		case 'i':
			gen_opt.inflight = (uint32_t)opt_uint("inflight", optarg, 1, 1u << 20);
			inflight_set = true;
			break;
		case 'r':
			gen_opt.rate = opt_uint("rate", optarg, 1, 1000000000);
			rate_set = true;
			break;
		case 'R':
			gen_opt.learn_rounds = (uint32_t)opt_uint("learn-rounds", optarg, 0, 100);
			break;
		case 'b':
			gen_opt.bidir = true;
			break;
		case 'p':
			gen_opt.progress = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case ':':
			gen_usage_error("option %s needs a value", argv[optind - 1]);
		default:
			gen_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		gen_usage_error("unexpected argument '%s'", argv[optind]);
	if (!mode_set)
		gen_usage_error("--mode closed|open is required");
	if (gen_opt.mode == GEN_OPEN && !rate_set)
		gen_usage_error("--rate PPS is required with --mode open");
	if (gen_opt.mode == GEN_CLOSED && (rate_set || gen_opt.bidir))
		gen_usage_error("--%s is for --mode open", rate_set ? "rate" : "bidir");
	if (gen_opt.mode == GEN_OPEN && inflight_set)
		gen_usage_error("--inflight is for --mode closed");
	if (!flows_set)
		gen_opt.flows = gen_opt.macs;
}
