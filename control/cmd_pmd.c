/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cmd_pmd: the PMD views of the control socket (cmd.h): pmd-stats-show,
 * pmd-stats-clear, pmd-perf-show and pmd-rxq-show, each optionally for the
 * PMD of one core ({"pmd": CORE}, ovs-appctl's -pmd).  Control thread only;
 * PMD counters are read while the PMDs write them.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_cycles.h>

#include "control/cmd.h"
#include "control/cmd_priv.h"
#include "control/rxq_load.h"
#include "control/rxq_plan.h"
#include "control/state.h"
#include "dataplane/port.h"
#include "pmd/pmd.h"
#include "vhost-user/vhost_port.h"

/* params {"pmd": CORE}: only the PMD on that core (ovs-appctl's -pmd).
 * -1 for all; -ENOENT with err when no PMD runs there. */
static int only_pmd(json_t *params, int *code, char *err, size_t errlen)
{
	json_t *v = json_object_get(params, "pmd");

	if (v == NULL)
		return -1;
	for (unsigned int s = 0; json_is_integer(v) && s < sw.n_pmd_slots; s++)
		if (sw.pmds[s] && (json_int_t)sw.pmds[s]->core == json_integer_value(v))
			return (int)sw.pmds[s]->core;
	*code = -ENOENT;
	snprintf(err, errlen, "no PMD thread runs on core %lld", (long long)json_integer_value(v));
	return -ENOENT;
}

json_t *show_pmd_stats(json_t *params, int *code, char *err, size_t errlen)
{
	int only = only_pmd(params, code, err, errlen);
	struct buf b = {0};
	json_t *arr;
	unsigned int s;

	if (only == -ENOENT)
		return NULL;
	arr = json_array();
	for (s = 0; s < sw.n_pmd_slots; s++) {
		const struct pmd *pmd = sw.pmds[s];
		struct pmd_stats st;
		uint64_t total, all, sleep_us;
		double pct_idle, pct_busy, pct_sleep;
		json_t *o;

		if (pmd == NULL || (only >= 0 && (int)pmd->core != only))
			continue;
		pmd_stats_get(pmd, &st);
		/* Per-packet figures count awake cycles; shares count sleep too. */
		total = st.busy_cycles + st.idle_cycles;
		all = total + st.sleep_cycles;
		pct_idle = all ? 100.0 * (double)st.idle_cycles / (double)all : 0;
		pct_busy = all ? 100.0 * (double)st.busy_cycles / (double)all : 0;
		pct_sleep = all ? 100.0 * (double)st.sleep_cycles / (double)all : 0;
		sleep_us = st.sleep_cycles * 1000000 / rte_get_tsc_hz();
		buf_printf(&b, "pmd thread numa_id %d core_id %u:\n", pmd->numa, pmd->core);
		buf_printf(&b, "  packets received: %lu\n", st.rx_packets);
		buf_printf(&b, "  iterations: %lu\n", st.iterations);
		buf_printf(&b, "  idle cycles: %lu (%.2f%%)\n", st.idle_cycles, pct_idle);
		buf_printf(&b, "  processing cycles: %lu (%.2f%%)\n", st.busy_cycles, pct_busy);
		buf_printf(&b, "  sleep cycles: %lu (%.2f%%)\n", st.sleep_cycles, pct_sleep);
		buf_printf(&b, "  sleep iterations: %lu (%.2f%% of iterations), sleep time: %lu us",
			   st.sleeps,
			   st.iterations ? 100.0 * (double)st.sleeps / (double)st.iterations : 0,
			   sleep_us);
		if (st.sleeps)
			buf_printf(&b, " (avg %.1f us)", (double)sleep_us / (double)st.sleeps);
		buf_printf(&b, "\n");
		if (st.sleeps)
			buf_printf(&b, "  sleeps ended by a kick or rx interrupt: %lu\n",
				   st.kick_wakes);
		if (st.rx_packets) {
			buf_printf(&b, "  avg cycles per packet: %.2f (%lu/%lu)\n",
				   (double)total / (double)st.rx_packets, total, st.rx_packets);
			buf_printf(&b, "  avg processing cycles per packet: %.2f (%lu/%lu)\n",
				   (double)st.busy_cycles / (double)st.rx_packets, st.busy_cycles,
				   st.rx_packets);
		}
		if (st.busy_polls)
			buf_printf(&b, "  avg packets per busy poll: %.2f (%lu/%lu)\n",
				   (double)st.rx_packets / (double)st.busy_polls, st.rx_packets,
				   st.busy_polls);
		o = json_pack("{s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:f,s:f}", "core", pmd->core, "numa",
			      pmd->numa, "rx_packets", (json_int_t)st.rx_packets, "iterations",
			      (json_int_t)st.iterations, "idle_cycles", (json_int_t)st.idle_cycles,
			      "busy_cycles", (json_int_t)st.busy_cycles, "busy_polls",
			      (json_int_t)st.busy_polls, "cycles_per_packet",
			      st.rx_packets ? (double)total / (double)st.rx_packets : 0.0,
			      "packets_per_busy_poll",
			      st.busy_polls ? (double)st.rx_packets / (double)st.busy_polls : 0.0);
		json_object_set_new(o, "sleep_cycles", json_integer((json_int_t)st.sleep_cycles));
		json_object_set_new(o, "sleeps", json_integer((json_int_t)st.sleeps));
		json_object_set_new(o, "kick_wakes", json_integer((json_int_t)st.kick_wakes));
		json_object_set_new(o, "sleep_us", json_integer((json_int_t)sleep_us));
		json_object_set_new(o, "sleep_max_us", json_integer(pmd->sleep_max_us));
		json_array_append_new(arr, o);
	}
	buf_printf(&b, "%s", "");
	return buf_view(&b, arr);
}

/* pmd-perf-show [-pmd CORE]: the PMD's loop in histograms, as OVS's
 * dpif-netdev/pmd-perf-show: how long an iteration takes and how full the
 * bursts are (pmd/pmd.h keeps both). */
json_t *show_pmd_perf(json_t *params, int *code, char *err, size_t errlen)
{
	int only = only_pmd(params, code, err, errlen);
	struct buf b = {0};
	json_t *arr;
	unsigned int s, k;

	if (only == -ENOENT)
		return NULL;
	arr = json_array();
	for (s = 0; s < sw.n_pmd_slots; s++) {
		const struct pmd *pmd = sw.pmds[s];
		json_t *bursts = json_array(), *iters = json_array();
		uint64_t total, n_it = 0;
		struct pmd_stats st;

		if (pmd == NULL || (only >= 0 && (int)pmd->core != only)) {
			json_decref(bursts);
			json_decref(iters);
			continue;
		}
		pmd_stats_get(pmd, &st);
		total = st.busy_cycles + st.idle_cycles;
		for (k = 0; k < PMD_HIST_CYCLES; k++)
			n_it += st.iter_hist[k];
		buf_printf(&b, "pmd thread numa_id %d core_id %u:\n", pmd->numa, pmd->core);
		buf_printf(&b, "  Iterations:        %12lu  (%.1f cycles/iteration)\n", n_it,
			   n_it ? (double)total / (double)n_it : 0.0);
		buf_printf(&b, "  Busy polls:        %12lu  (%.1f packets/poll)\n", st.busy_polls,
			   st.busy_polls ? (double)st.rx_packets / (double)st.busy_polls : 0.0);
		buf_printf(&b, "  Rx packets:        %12lu\n", st.rx_packets);
		buf_printf(&b, "  Histogram of cycles per iteration:\n");
		for (k = 0; k < PMD_HIST_CYCLES; k++) {
			json_array_append_new(iters, json_integer((json_int_t)st.iter_hist[k]));
			if (st.iter_hist[k] == 0)
				continue;
			buf_printf(&b, "    %s%-10llu %12lu  %5.1f%%\n",
				   k == PMD_HIST_CYCLES - 1 ? ">=" : "< ",
				   1ULL << (k + (k < PMD_HIST_CYCLES - 1)), st.iter_hist[k],
				   100.0 * (double)st.iter_hist[k] / (double)n_it);
		}
		buf_printf(&b, "  Histogram of packets per busy poll:\n");
		for (k = 0; k < PMD_HIST_BURST; k++) {
			json_array_append_new(bursts, json_integer((json_int_t)st.burst_hist[k]));
			if (st.burst_hist[k] == 0)
				continue;
			buf_printf(&b, "    %-12u %12lu  %5.1f%%\n", k + 1, st.burst_hist[k],
				   100.0 * (double)st.burst_hist[k] / (double)st.busy_polls);
		}
		json_array_append_new(
			arr, json_pack("{s:i,s:i,s:I,s:I,s:I,s:o,s:o}", "core", pmd->core, "numa",
				       pmd->numa, "iterations", (json_int_t)n_it, "busy_polls",
				       (json_int_t)st.busy_polls, "rx_packets",
				       (json_int_t)st.rx_packets, "cycles_per_iteration_log2",
				       iters, "packets_per_busy_poll", bursts));
	}
	return buf_view(&b, arr);
}

json_t *show_pmd_stats_clear(json_t *params, int *code, char *err, size_t errlen)
{
	unsigned int s;

	(void)params, (void)code, (void)err, (void)errlen;
	for (s = 0; s < sw.n_pmd_slots; s++)
		if (sw.pmds[s])
			pmd_stats_clear(sw.pmds[s]);
	return view_new("", json_object());
}

/*
 * Which PMD polls which queue, and how busy each has been over the load
 * window (control/rxq_load.h): a queue's "pmd usage" is its processing
 * cycles as a share of the window, i.e. of its PMD's time, as in OVS; the
 * PMD's busy share is all of its processing, whichever queues it polled.
 */
json_t *show_pmd_rxq(json_t *params, int *code, char *err, size_t errlen)
{
	double window_s = (double)rxq_load_window() / (double)rte_get_tsc_hz();
	struct buf b = {0};
	int only = only_pmd(params, code, err, errlen);
	json_t *arr;
	unsigned int s;

	if (only == -ENOENT)
		return NULL;
	arr = json_array();
	for (s = 0; s < sw.n_pmd_slots; s++) {
		const struct pmd *pmd = sw.pmds[s];
		const struct pmd_rxq_list *l;
		struct pmd_stats win;
		json_t *qs, *o;
		bool iso = rxq_plan_isolated(s);
		double busy, asleep;
		uint16_t i;

		if (pmd == NULL || (only >= 0 && (int)pmd->core != only))
			continue;
		qs = json_array();
		l = pmd->rxqs;
		rxq_load_pmd(pmd, &win);
		busy = rxq_load_pct(win.busy_cycles);
		asleep = rxq_load_pct(win.sleep_cycles);
		buf_printf(&b, "pmd thread numa_id %d core_id %u:\n", pmd->numa, pmd->core);
		buf_printf(&b, "  isolated : %s\n", iso ? "true" : "false");
		for (i = 0; l && i < l->n; i++) {
			const struct dp_port *p = l->q[i].port;
			uint16_t q = l->q[i].qid;
			bool en = p->kind != DP_PORT_VHOST || vhost_port_rxq_enabled(p, q);
			bool remote = p->numa >= 0 && p->numa != pmd->numa;
			double usage = rxq_load_pct(rxq_load_queue(p, q));

			buf_printf(&b, "  port: %-16s queue-id: %2u (%s)  pmd usage: %3.0f %%%s\n",
				   p->name, q, en ? "enabled" : "disabled", usage,
				   remote ? "  (cross-NUMA)" : "");
			json_array_append_new(qs, json_pack("{s:s,s:i,s:b,s:f,s:i,s:b}", "port",
							    p->name, "queue", q, "enabled", en,
							    "usage", usage, "numa", p->numa,
							    "cross_numa", remote));
		}
		buf_printf(&b, "  pmd busy: %3.0f %%, asleep: %3.0f %% (over the last %.0f s)\n",
			   busy, asleep, window_s);
		o = json_pack("{s:i,s:i,s:b,s:f,s:f,s:f,s:o}", "core", pmd->core, "numa", pmd->numa,
			      "isolated", iso, "busy", busy, "asleep", asleep, "window_s", window_s,
			      "rxqs", qs);
		json_array_append_new(arr, o);
	}
	return buf_view(&b, arr);
}
