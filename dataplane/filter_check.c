/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a custom filter program (a user's object or a converted tcpdump
 * expression) may touch, proven on its instructions after librte_bpf's
 * validator has accepted it (filter_priv.h), and which programs librte_bpf's
 * JIT would miscompile (filter_jit_safe, at the end).  Control thread, once
 * per load: a pass over the instructions, nothing per frame.
 *
 * Custom programs get the frame's rte_mbuf (R1), because the packet loads
 * that tcpdump expressions are made of (LD_ABS/LD_IND) need one, and
 * librte_bpf 22.11's validator lets a program write it (data_off, pkt_len;
 * buf_addr, pool, refcnt through its broken read-only list), follow
 * m->next even when it is NULL, and store into the buffer it derives from
 * buf_addr.  This check grants exactly three kinds of memory access:
 *   - loads and stores whose address is the stack pointer R10 plus a
 *     constant, within the 512-byte stack (the program's own memory);
 *   - a load of the frame length, at FILTER_CTX_PKT_LEN_OFF from R1 (and
 *     nothing else of the mbuf);
 *   - packet loads (LD_ABS/LD_IND) while R6 holds R1 unchanged: librte_bpf
 *     implements them with the mbuf's own fields and bounds them at run time
 *     by the frame's length (rte_pktmbuf_read), and they only read.
 * Everything else that touches memory is refused with its pc.  So the only
 * memory a program writes is its stack: the mbuf, the frame's bytes (a
 * flooded frame shared by several egress ports included) and the pool stay
 * as the pipeline left them, at no cost per frame.
 *
 * The proof tracks, per register and pc, "equals R1 + k" or "equals R10 + k"
 * through register moves and constant adds; anything else (a load, other
 * arithmetic, a 32-bit move) forgets it.  That is sound because the check
 * also requires every jump to go forward and land on an instruction, so
 * visiting pcs in order sees every predecessor's state before the join.
 * R10 is read-only (the validator and this check refuse writes to it).  A
 * pointer spilled to the stack and loaded back is forgotten: the program
 * must use such a copy for nothing that dereferences it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_bpf.h>
#include <rte_mbuf.h>

#include "dataplane/filter_abi.h"
#include "dataplane/filter_priv.h"

_Static_assert(offsetof(struct rte_mbuf, pkt_len) == FILTER_CTX_PKT_LEN_OFF,
	       "filter_abi.h: FILTER_CTX_PKT_LEN_OFF is not rte_mbuf's pkt_len");
_Static_assert(sizeof(((struct rte_mbuf *)0)->pkt_len) == 4, "pkt_len is 32 bits");

#define STACK_BYTES 512 /* librte_bpf's MAX_BPF_STACK_SIZE */
#define MAX_TRACK   (1 << 20)

enum reg_kind { R_OTHER, R_CTX, R_STACK };

struct reg {
	enum reg_kind kind;
	int32_t off; /* value = R1 + off (R_CTX) or R10 + off (R_STACK) */
};

struct pc_state {
	bool reached;
	bool second_half; /* the upper half of a 16-byte immediate load */
	struct reg r[EBPF_REG_NUM];
};

static const char *const kind_name[] = {"", " (the frame's context)", " (the stack)"};

static void join(struct pc_state *into, const struct reg *r)
{
	unsigned int i;

	if (!into->reached) {
		for (i = 0; i < EBPF_REG_NUM; i++)
			into->r[i] = r[i];
		into->reached = true;
		return;
	}
	for (i = 0; i < EBPF_REG_NUM; i++)
		if (into->r[i].kind != r[i].kind || into->r[i].off != r[i].off)
			into->r[i] = (struct reg){R_OTHER, 0};
}

static unsigned int size_bytes(uint8_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B:
		return 1;
	case BPF_H:
		return 2;
	case BPF_W:
		return 4;
	default:
		return 8;
	}
}

/* A load or store at base + off of n bytes: NULL if granted, else why. */
static const char *access_refused(const struct reg *base, int32_t off, unsigned int n, bool store)
{
	int64_t at = (int64_t)base->off + off;

	if (base->kind == R_STACK)
		return at >= -STACK_BYTES && at + n <= 0 ? NULL : "outside the 512-byte stack";
	if (store)
		return "a program may write its own stack only";
	if (base->kind == R_CTX && at >= FILTER_CTX_PKT_LEN_OFF &&
	    at + n <= FILTER_CTX_PKT_LEN_OFF + 4)
		return NULL;
	if (base->kind == R_CTX)
		return "of the context a program may read only the frame length (offset 36, 4 "
		       "bytes); read frame bytes with packet loads";
	return "a program may read only its stack, the frame length and (with packet loads) "
	       "the frame";
}

/* Successor pc of a jump, or -1 if it goes backwards or out of the program. */
static long jump_target(size_t pc, int16_t off, size_t n)
{
	long t = (long)pc + 1 + off;

	return off < 0 || t >= (long)n ? -1 : t;
}

int filter_check_program(const struct ebpf_insn *ins, uint32_t n, char *why, size_t whylen)
{
	struct pc_state *st = calloc(n + 1, sizeof(*st));
	struct reg r[EBPF_REG_NUM];
	uint32_t pc;
	int rc = -EINVAL;

	if (st == NULL) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	for (pc = 0; pc + 1 < n; pc++)
		if (ins[pc].code == (BPF_LD | BPF_IMM | EBPF_DW))
			st[++pc].second_half = true;
	if (n == 0 || st[0].second_half) {
		snprintf(why, whylen, "empty program");
		goto out;
	}
	st[0].reached = true;
	st[0].r[EBPF_REG_1] = (struct reg){R_CTX, 0};
	st[0].r[EBPF_REG_10] = (struct reg){R_STACK, 0};

	for (pc = 0; pc < n; pc++) {
		const struct ebpf_insn *i = &ins[pc];
		uint8_t cls = BPF_CLASS(i->code), op = BPF_OP(i->code), d = i->dst_reg,
			s = i->src_reg;
		uint32_t next = pc + 1;
		const char *no;
		long t;

		if (st[pc].second_half || !st[pc].reached)
			continue; /* the validator refuses unreachable code */
		for (unsigned int k = 0; k < EBPF_REG_NUM; k++)
			r[k] = st[pc].r[k];
		if (d >= EBPF_REG_NUM || s >= EBPF_REG_NUM) {
			snprintf(why, whylen, "pc %u: no such register", pc);
			goto out;
		}
		if ((cls == BPF_LD || cls == BPF_LDX || cls == BPF_ALU || cls == EBPF_ALU64) &&
		    d == EBPF_REG_10 && BPF_MODE(i->code) != BPF_ABS &&
		    BPF_MODE(i->code) != BPF_IND) {
			snprintf(why, whylen, "pc %u: writes r10, the stack pointer", pc);
			goto out;
		}
		switch (cls) {
		case BPF_LD:
			if (i->code == (BPF_LD | BPF_IMM | EBPF_DW)) {
				r[d] = (struct reg){R_OTHER, 0};
				next = pc + 2;
			} else if (BPF_MODE(i->code) == BPF_ABS || BPF_MODE(i->code) == BPF_IND) {
				if (r[EBPF_REG_6].kind != R_CTX || r[EBPF_REG_6].off != 0) {
					snprintf(why, whylen,
						 "pc %u: packet load while r6 is not the frame's "
						 "context (r6 must be a plain copy of r1)",
						 pc);
					goto out;
				}
				for (unsigned int k = EBPF_REG_0; k <= EBPF_REG_5; k++)
					r[k] = (struct reg){R_OTHER, 0};
			} else {
				snprintf(why, whylen, "pc %u: unknown load (code %#x)", pc,
					 i->code);
				goto out;
			}
			break;
		case BPF_LDX:
			if (BPF_MODE(i->code) != BPF_MEM) {
				snprintf(why, whylen, "pc %u: unknown load (code %#x)", pc,
					 i->code);
				goto out;
			}
			no = access_refused(&r[s], i->off, size_bytes(i->code), false);
			if (no != NULL) {
				snprintf(why, whylen,
					 "pc %u: load through r%u%s at offset %lld (%u bytes): %s",
					 pc, s, kind_name[r[s].kind], (long long)r[s].off + i->off,
					 size_bytes(i->code), no);
				goto out;
			}
			r[d] = (struct reg){R_OTHER, 0};
			break;
		case BPF_ST:
		case BPF_STX:
			if (BPF_MODE(i->code) != BPF_MEM &&
			    !(cls == BPF_STX && BPF_MODE(i->code) == EBPF_XADD)) {
				snprintf(why, whylen, "pc %u: unknown store (code %#x)", pc,
					 i->code);
				goto out;
			}
			no = access_refused(&r[d], i->off, size_bytes(i->code), true);
			if (no != NULL) {
				snprintf(why, whylen, "pc %u: store through r%u%s: %s", pc, d,
					 kind_name[r[d].kind], no);
				goto out;
			}
			break;
		case BPF_ALU:
		case EBPF_ALU64: {
			bool track = cls == EBPF_ALU64 && (r[d].kind != R_OTHER || op == EBPF_MOV);

			if (track && op == EBPF_MOV && BPF_SRC(i->code) == BPF_X)
				r[d] = r[s];
			else if (track && (op == BPF_ADD || op == BPF_SUB) &&
				 BPF_SRC(i->code) == BPF_K) {
				int64_t k = (int64_t)r[d].off +
					    (op == BPF_ADD ? i->imm : -(int64_t)i->imm);

				r[d] = k > -MAX_TRACK && k < MAX_TRACK
					       ? (struct reg){r[d].kind, (int32_t)k}
					       : (struct reg){R_OTHER, 0};
			} else {
				r[d] = (struct reg){R_OTHER, 0};
			}
			break;
		}
		case BPF_JMP:
			if (op == EBPF_EXIT)
				continue;
			if (op == EBPF_CALL) {
				snprintf(why, whylen,
					 "pc %u: calls a function: custom programs have "
					 "no helpers",
					 pc);
				goto out;
			}
			t = jump_target(pc, i->off, n);
			if (t < 0 || st[t].second_half) {
				snprintf(why, whylen,
					 "pc %u: jumps backwards or out of the program", pc);
				goto out;
			}
			join(&st[t], r);
			if (op == BPF_JA)
				continue;
			break;
		default:
			snprintf(why, whylen, "pc %u: unknown instruction (code %#x)", pc, i->code);
			goto out;
		}
		if (next >= n) {
			snprintf(why, whylen, "pc %u: runs off the end of the program", pc);
			goto out;
		}
		join(&st[next], r);
	}
	rc = 0;
out:
	free(st);
	return rc;
}

/*
 * librte_bpf 22.11's x86 JIT encodes "jset reg, imm" as x86 "test r/m64,
 * imm32" (F7 /0) but writes a 1-byte immediate when imm fits in 8 bits:
 * the next three bytes of code are swallowed and the rest decodes as
 * garbage (a crash at best).  tcpdump writes such jumps for any "& bit"
 * test ("ether[0] & 1 != 0", "tcp[13] & 2 != 0"), clang for "if (x & 1)".
 * Such programs run in librte_bpf's interpreter instead: correct, slower
 * (see docs/filters.md), and only for them.
 */
bool filter_jit_safe(const struct ebpf_insn *ins, uint32_t n)
{
	for (uint32_t pc = 0; pc < n; pc++)
		if (ins[pc].code == (BPF_JMP | BPF_JSET | BPF_K) && ins[pc].imm >= INT8_MIN &&
		    ins[pc].imm <= INT8_MAX)
			return false;
	return true;
}
