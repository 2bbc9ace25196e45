/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Programs that librte_bpf 22.11's validator accepts but that would corrupt
 * or crash the switch if handed the frame's rte_mbuf (security review H2):
 * one per section, each named after what it attacks.  kvswitch must refuse
 * them, or run them without anything changing (tests/unit/test_filter.c).
 * The offsets are DPDK 22.11's struct rte_mbuf on 64-bit hosts; the test
 * asserts them against offsetof() so a layout change fails loudly instead
 * of testing the wrong field.  The last sections are programs that must
 * stay accepted: reading the frame length, and stack use through a derived
 * pointer.
 */
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef u8 *u8p;

#define OFF_BUF_ADDR 0
#define OFF_DATA_OFF 16
#define OFF_REFCNT   18
#define OFF_PKT_LEN  36
#define OFF_DATA_LEN 40
#define OFF_POOL     56
#define OFF_NEXT     64

#define FIELD(ctx, off, type) (*(volatile type *)((char *)(ctx) + (off)))
#define SEC(s)                __attribute__((section(s), used))

SEC("data_off") u64 store_data_off(void *m)
{
	FIELD(m, OFF_DATA_OFF, u16) = 0xf000;
	return 1;
}

SEC("pkt_len") u64 store_pkt_len(void *m)
{
	FIELD(m, OFF_PKT_LEN, u32) = 2048;
	FIELD(m, OFF_DATA_LEN, u16) = 2048;
	return 1;
}

SEC("buf_addr") u64 store_buf_addr(void *m)
{
	FIELD(m, OFF_BUF_ADDR, u64) = 0x4141414141414141ULL;
	return 1;
}

SEC("pool") u64 store_pool(void *m)
{
	FIELD(m, OFF_POOL, u64) = 0x4242424242424242ULL;
	return 1;
}

SEC("refcnt") u64 store_refcnt(void *m)
{
	FIELD(m, OFF_REFCNT, u16) = 5;
	return 1;
}

/* Through the buffer pointer the validator derives from buf_addr: rewrites
 * the first frame byte (data_off is 128 in the validator's eyes), which an
 * egress program would do to every receiver of a flooded frame. */
SEC("frame_write") u64 store_frame(void *m)
{
	u8 *b = FIELD(m, OFF_BUF_ADDR, u8p);

	b[128] = 0xee;
	return 1;
}

/* m->next is NULL on a one-segment frame, yet the validator types it as an
 * mbuf pointer: this reads address 36 and kills the PMD.  Never run. */
SEC("next_read") u64 read_next(void *m)
{
	u8 *n = FIELD(m, OFF_NEXT, u8p);

	return FIELD(n, OFF_PKT_LEN, u32);
}

/* Programs written in BPF assembly, for instruction forms clang does not
 * emit on its own. */
#define PROG(sec, body)                                                                            \
	asm(".pushsection " #sec ",\"ax\",@progbits\n.globl " #sec "_prog\n.type " #sec            \
	    "_prog,@function\n" #sec "_prog:\n" body "\n.size " #sec "_prog, .-" #sec              \
	    "_prog\n.popsection\n")

/* A packet load whose implicit mbuf register (r6) points 8 bytes into the
 * mbuf: librte_bpf checks r6's type, not its offset, so the runtime would
 * read data_len and buf_addr from the wrong fields. */
PROG(r6_shift, "r6 = r1\n r6 += 8\n r0 = *(u8 *)skb[0]\n exit");

/* A store into the mbuf through a copy of the context made on the stack
 * and loaded back: the check cannot follow it, so it must refuse it. */
PROG(spilled_ctx, "*(u64 *)(r10 - 8) = r1\n r2 = *(u64 *)(r10 - 8)\n r3 = 0\n"
		  " *(u16 *)(r2 + 16) = r3\n r0 = 1\n exit");

/* ---- must be accepted ---- */

/* The frame length, read where filter_abi.h documents it: passes frames of
 * more than 100 bytes. */
SEC("len_over_100") u64 frame_len_over_100(void *m)
{
	return FIELD(m, OFF_PKT_LEN, u32) > 100;
}

/* The stack written through a derived pointer, then the ethertype read with
 * a packet load: returns 7 + the ethertype. */
PROG(stack_ptr, "r6 = r1\n r2 = r10\n r2 += -16\n r3 = 7\n *(u64 *)(r2 + 8) = r3\n"
		" r0 = *(u64 *)(r10 - 8)\n r7 = r0\n r0 = *(u16 *)skb[12]\n r0 += r7\n exit");
