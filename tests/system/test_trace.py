# SPDX-License-Identifier: BSD-3-Clause
"""`kvsctl trace`: a frame given in hex, received on a port, goes through the switch's
own pipeline without being sent: each step is reported (VLAN, ingress filter verdict and
rule, where the MAC table has the source and destination, each output with its tag or
its drop reason, or the frame's drop reason), and nothing is sent, counted or learned.
`kvsctl trace PORT N` reports the next N frames the port receives the same way."""

import json
import subprocess
import time

from kvs import KVSCTL
from test_switching import MAC, BCAST, add_vhost_ports, attach, wait_learned

SPOOF = "52:54:00:00:00:99"


def frame(dst, src, vlan=None, ethertype=0x88B5, payload=46):
    h = bytes.fromhex(dst.replace(":", "")) + bytes.fromhex(src.replace(":", ""))
    if vlan is not None:
        h += bytes([0x81, 0x00, vlan >> 8, vlan & 0xFF])
    return (h + ethertype.to_bytes(2, "big") + bytes(payload)).hex()


def trace(switch, port, hexframe, fmt=None):
    return switch.vsctl("trace", "--frame", hexframe, port, fmt=fmt)


def macs(switch):
    return sorted((e["mac"], e["vlan"], e["port"]) for e in switch.json("fdb/show", "br0"))


def totals(switch):
    return {p["name"]: (p["rx_packets"], p["tx_packets"], sum(p["tx_drops"].values()))
            for p in switch.json("port-stats")}


def test_trace_shows_each_step_and_sends_nothing(switch, guests):
    add_vhost_ports(switch, ["vm1", "vm2", "vm3"], vm2={"tag": 10}, vm3={"trunks": "10,20"})
    g = attach(switch, guests, ["vm1", "vm2", "vm3"])
    g["vm2"].send(dst=BCAST, count=1)  # vm2's MAC learned in VLAN 10
    wait_learned(switch, MAC[2], "vm2", vlan=10)
    for x in g.values():
        x.quiet()
        x.reset()
    before, fdb_before = totals(switch), macs(switch)

    # a broadcast in VLAN 10 from a trunk: vm2 untagged, vm3 tagged
    out = trace(switch, "vm1", frame(BCAST, SPOOF, vlan=10))
    assert "received on vm1" in out and "vlan: tagged 10, in VLAN 10" in out, out
    assert f"source: {SPOOF} unknown in VLAN 10: would be learned on vm1" in out, out
    assert "a group address: flooded in VLAN 10" in out
    assert "output: vm2, untagged, 60 bytes" in out and "output: vm3, tagged 10, 64 bytes" in out
    assert "result: flooded to 2 ports" in out
    d = switch.json("trace", "--frame", frame(BCAST, SPOOF, vlan=10), "vm1")
    assert sorted((o["port"], o["result"], o["vlan"]) for o in d["outputs"]) == \
        [("vm2", "sent", -1), ("vm3", "sent", 10)]

    # known unicast to vm2, from the trunk in VLAN 10: vm2 only
    out = trace(switch, "vm1", frame(MAC[2], SPOOF, vlan=10))
    assert f"destination: {MAC[2]} on vm2 in VLAN 10" in out, out
    assert "output: vm2, untagged" in out and "vm3" not in out and "forwarded to 1 port" in out
    # a VLAN nobody else carries: dropped, no_output
    out = trace(switch, "vm1", frame(BCAST, SPOOF, vlan=30))
    assert "result: dropped: no_output" in out, out
    # a tag on an access port: vlan_not_allowed, before anything else
    out = trace(switch, "vm2", frame(BCAST, MAC[2], vlan=20))
    assert "result: dropped on receive: vlan_not_allowed" in out, out
    # filters: vm1's ingress rule and vm3's egress rule, by name and rule
    switch.vsctl("add-filter-rule", "vm1", "ingress", "deny", "src", SPOOF)
    switch.vsctl("add-filter-rule", "vm3", "egress", "deny", "dst", BCAST)
    out = trace(switch, "vm1", frame(BCAST, SPOOF, vlan=10))
    assert "ingress filter: denied by rules" in out and f"rule 1: deny src {SPOOF}" in out, out
    assert "dropped on receive: filter_ingress" in out
    out = trace(switch, "vm1", frame(BCAST, MAC[1], vlan=10))
    assert "ingress filter: passed by rules" in out and "no rule matches: the default" in out
    assert "output: vm2, untagged" in out and "output: vm3, dropped: filter_egress" in out, out

    # nothing was sent, counted or learned
    for x in g.values():
        x.quiet()
        assert x.stats()["rx"]["total"] == 0, x.name
    assert totals(switch) == before
    assert macs(switch) == fdb_before


def test_trace_follows_the_next_frames_of_a_port(switch, guests):
    add_vhost_ports(switch, ["vm1", "vm2"])
    g = attach(switch, guests, ["vm1", "vm2"])
    p = subprocess.Popen([str(KVSCTL), "--unixctl", str(switch.ctl), "trace", "vm1", "2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    switch.wait_for(lambda: switch.json("memory/show")["capture"]["captures"] == 1, 10,
                    "the trace's capture to start")
    g["vm1"].send(dst=MAC[2], count=2, size=100)
    out, err = p.communicate(timeout=15)
    assert p.returncode == 0, err
    assert out.count("a 100-byte frame received on vm1") == 2, out
    assert "frame 1, 100 bytes, received at" in out and "frame 2," in out
    assert "output: vm2, untagged, 100 bytes" in out, out
    g["vm2"].quiet()
    assert g["vm2"].stats()["rx"]["total"] == 2  # the real frames went their way


def test_trace_bad_requests(switch):
    add_vhost_ports(switch, ["vm1"])
    for args, rc, msg in (
            (["--frame", "ffff", "nope"], 1, "no port 'nope'"),
            (["--frame", "fffz", "vm1"], 1, "'z' at offset 3 is not a hex digit"),
            (["--frame", "abc", "vm1"], 1, "an odd number of hex digits (3)"),
            (["--frame", "ffffffffffff", "vm1"], 1, "frame of 6 bytes: an Ethernet header is 14"),
            (["--frame", "00" * 20000, "vm1"], 1, "frame longer than 16384 bytes"),
            (["vm1", "0"], 2, "give a number of frames"),
            (["-x", "vm1"], 2, "trace: give PORT [N] or --frame HEX PORT"),
            (["nope", "1"], 1, "no port 'nope'")):
        r = switch.vsctl("trace", *args, check=False)
        assert r.returncode == rc and msg in r.stderr, (args, r.returncode, r.stderr)
    time.sleep(0.1)
    assert switch.json("memory/show")["capture"]["captures"] == 0


def test_trace_knows_limits_links_jumbo_frames_and_pastes(switch, guests, tmp_path):
    add_vhost_ports(switch, ["vm1", "vm2", "vm3"])
    switch.vsctl("set", "Interface", "vm1", "other_config:mac-limit=1", "mtu_request=9000")
    switch.vsctl("set", "Interface", "vm2", "mtu_request=9000")
    g = attach(switch, guests, ["vm1", "vm2"])  # vm3: no guest, down
    g["vm1"].send(dst=BCAST, count=1)
    wait_learned(switch, MAC[1], "vm1")
    # vm1 holds its one MAC: another source would not be learned
    out = trace(switch, "vm1", frame(BCAST, SPOOF))
    assert f"source: {SPOOF} unknown in VLAN 0: would not be learned: the port is at its " \
        "mac-limit" in out, out
    # the down port is named: its tx drops what the trace shows going to it
    assert "output: vm3, untagged, 60 bytes, but vm3 is down: its tx drops it (tx_down)" in out
    assert "output: vm2, untagged, 60 bytes\n" in out
    # a jumbo frame: more than one mbuf, as it would arrive
    out = trace(switch, "vm1", frame(MAC[2], MAC[1], payload=5000))
    assert "a 5014-byte frame received on vm1" in out and "output: vm2, untagged, 5014 bytes" \
        in out, out
    # tcpdump -xx's lines, pasted as they are
    pcap = tmp_path / "one.pcap"
    data = bytes.fromhex(frame(BCAST, MAC[1], ethertype=0x0806, payload=28))
    header = bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000")  # pcap, Ethernet
    record = bytes(8) + len(data).to_bytes(4, "little") * 2  # time 0, caplen, len
    pcap.write_bytes(header + record + data)
    dump = subprocess.run(["tcpdump", "-xx", "-n", "-r", str(pcap)], capture_output=True,
                          text=True, check=True).stdout
    hexlines = "\n".join(ln for ln in dump.splitlines() if ln.strip().startswith("0x"))
    assert hexlines.count("0x00") >= 2, dump
    out = trace(switch, "vm1", hexlines)
    assert f"a 42-byte frame received on vm1: {MAC[1]} > {BCAST}, ethertype 0x0806" in out, out
    # live, as JSON: one object per frame
    p = subprocess.Popen([str(KVSCTL), "--unixctl", str(switch.ctl), "--format", "json",
                          "trace", "vm2", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    switch.wait_for(lambda: switch.json("memory/show")["capture"]["captures"] == 1, 10,
                    "the trace's capture to start")
    g["vm2"].send(dst=MAC[1], count=1, size=80)
    out, err = p.communicate(timeout=15)
    assert p.returncode == 0, err
    body = out.split(":\n", 1)[1]
    d = json.loads(body)
    assert d["port"] == "vm2" and d["length"] == 80 and d["outputs"][0]["port"] == "vm1", out
    # the port goes away before its frames come: exit 1, saying how many
    p = subprocess.Popen([str(KVSCTL), "--unixctl", str(switch.ctl), "trace", "vm3", "3"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    switch.wait_for(lambda: switch.json("memory/show")["capture"]["captures"] == 1, 10,
                    "the trace's capture to start")
    switch.vsctl("del-port", "vm3")
    out, err = p.communicate(timeout=15)
    assert p.returncode == 1 and "0 of 3 frames traced" in err, (p.returncode, err)
