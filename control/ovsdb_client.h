/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ovsdb_client: kvswitchd as a client of Open vSwitch's ovsdb-server, the
 * way ovs-vswitchd is one (kvswitchd --ovsdb unix:PATH).  It monitors the
 * Open_vSwitch, Bridge, Port and Interface tables, turns every change into a
 * configuration (control/ovsdb_map.h) applied all or nothing through
 * apply_db(), and writes back what ovs-vswitchd writes: cur_cfg once a
 * change runs (so ovs-vsctl without --no-wait returns when it does), and the
 * status, error and statistics columns of each Interface.
 *
 * It holds OVSDB's "ovs_vswitchd" lock, as ovs-vswitchd does, so it never
 * fights a real ovs-vswitchd over one database.  When ovsdb-server goes
 * away the switch keeps forwarding with what it runs, and reconnects with a
 * back-off (250 ms doubling to 8 s); the database it finds then is applied
 * like any change.
 *
 * Control thread only: kvswitchd's loop calls ovsdb_client_run() every turn.
 */
#ifndef KVS_CONTROL_OVSDB_CLIENT_H
#define KVS_CONTROL_OVSDB_CLIENT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

struct db;

/* remote: "unix:PATH".  rundir: where OVS keeps its run-time files
 * (vhost-user sockets by default).  0, or -EINVAL with a message. */
int ovsdb_client_init(const char *remote, const char *rundir, char *err, size_t errlen);
/* Start-up, before EAL: connect and wait up to timeout_ms for the database,
 * and return the configuration it holds (to choose cores and EAL arguments
 * from).  When ovsdb-server does not answer: an empty configuration, and the
 * client keeps trying from the control loop.  NULL + errno: out of memory. */
struct db *ovsdb_client_first_db(int timeout_ms);
/* After ovsdb_client_first_db(): the EAL arguments the database's
 * Open_vSwitch other_config asks for ("--socket-mem 1024,0 ..."), "" if none. */
const char *ovsdb_client_eal_args(void);
/* Is kvswitchd in OVSDB mode? */
bool ovsdb_client_active(void);
const char *ovsdb_client_remote(void);
/* The descriptor to poll (0 or 1 entries). */
unsigned int ovsdb_client_pollfds(struct pollfd *fds, unsigned int max);
/* Read, apply, write back, reconnect: whatever is due. */
void ovsdb_client_run(void);
/* Work ovsdb_client_run() has that no descriptor will signal: messages read
 * but not handled yet, a replica not applied yet (the first one, after
 * ovsdb_client_first_db()).  The control loop then does not block. */
bool ovsdb_client_pending(void);
void ovsdb_client_close(void);

#endif
