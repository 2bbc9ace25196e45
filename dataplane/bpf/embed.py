#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Turn a compiled BPF object into a C array, so kvswitchd carries its
built-in filter program and needs no file at run time.
Usage: embed.py INPUT.o OUTPUT.c SYMBOL"""
import sys

data = open(sys.argv[1], "rb").read()
sym = sys.argv[3]
with open(sys.argv[2], "w") as f:
    f.write("/* generated from %s by embed.py: do not edit */\n" % sys.argv[1].split("/")[-1])
    f.write("#include <stddef.h>\n")
    f.write("const unsigned char %s[] = {\n" % sym)
    for i in range(0, len(data), 12):
        f.write("\t" + ", ".join("0x%02x" % b for b in data[i:i + 12]) + ",\n")
    f.write("};\n")
    f.write("const size_t %s_len = %d;\n" % (sym, len(data)))
