/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethertypes that some equipment reads as a VLAN tag (802.1Q, 802.1ad and
 * the pre-standard QinQ TPIDs).  A frame kvswitch switches must carry none
 * of them where the payload's type belongs: that would be a stacked tag,
 * which dataplane/vlan.h refuses (issue 13, M4: 0x9300 was missed).
 */
#ifndef KVS_TEST_FUZZ_TPID_H
#define KVS_TEST_FUZZ_TPID_H

#include <stdbool.h>
#include <stdint.h>

static inline bool fuzz_is_tpid(uint16_t et)
{
	return et == 0x8100 || et == 0x88a8 || et == 0x9100 || et == 0x9200 || et == 0x9300;
}

#endif
