/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * apply_reopen: reopen decisions of control/apply.c (control thread only).
 * sw.ovs is the applied Open_vSwitch configuration, ovs the new one.
 */
#ifndef KVS_CONTROL_APPLY_REOPEN_H
#define KVS_CONTROL_APPLY_REOPEN_H

#include <stdbool.h>

#include "control/state.h"

/* Does changing sp to c need its device closed and opened again? */
bool apply_needs_reopen(const struct sw_port *sp, const struct db_port_cfg *c,
			const struct db_ovs_cfg *ovs);
/* Does the reopen need the very socket or device sp holds, so that the old
 * one must be closed before the new one opens? */
bool apply_reopen_in_place(const struct sw_port *sp, const struct db_port_cfg *c,
			   const struct db_ovs_cfg *ovs);

#endif
