/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * unixctl: the socket Open vSwitch's ovs-appctl talks to, so that
 * `ovs-appctl dpif-netdev/pmd-stats-show`, `fdb/show br0` or `vlog/set`
 * reach kvswitchd as they reach ovs-vswitchd.  JSON-RPC over a Unix socket
 * (control/jsonrpc.h): {"method": "fdb/show", "params": ["br0"], "id": 0}
 * is answered {"id": 0, "result": "TEXT", "error": null}, or with the error
 * as text.  The commands are views of control/cmd.h, in OVS's names and
 * argument order.
 *
 * Where ovs-appctl looks: RUNDIR/ovs-vswitchd.pid names the process, and
 * RUNDIR/ovs-vswitchd.PID.ctl is the socket (`ovs-appctl -t PATH` takes the
 * socket directly).  Control thread only.
 */
#ifndef KVS_CONTROL_UNIXCTL_H
#define KVS_CONTROL_UNIXCTL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

/* Write the pidfile and listen.  0, or -errno with a message. */
int unixctl_init(const char *rundir, char *err, size_t errlen);
unsigned int unixctl_pollfds(struct pollfd *fds, unsigned int max);
void unixctl_run(void);
/* Has a client asked the daemon to exit (`ovs-appctl exit`)? */
bool unixctl_exit_asked(void);
/* Close clients, remove the socket and the pidfile. */
void unixctl_close(void);

#endif
