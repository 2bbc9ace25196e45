# SPDX-License-Identifier: BSD-3-Clause
"""kvswitchd's Prometheus endpoint (other_config:metrics-address): the exposition format as
Prometheus's own promtool checks it, counters equal to kvsctl's, a real Prometheus server
from Debian scraping it, and a bad or taken address refused with nothing changed."""
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

from kvs import KvsctlError
from test_switching import BCAST, MAC, attach, expect_rx, settle


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(addr):
    with urllib.request.urlopen(f"http://{addr}/metrics", timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return r.read().decode()


def sample(text, name, **labels):
    """The value of the one sample of name whose labels include labels."""
    want = [f'{k}="{v}"' for k, v in labels.items()]
    found = [ln for ln in text.splitlines()
             if ln.startswith(name + "{") and all(w in ln for w in want)]
    assert len(found) == 1, (name, labels, found)
    return float(found[0].rsplit(" ", 1)[1])


def test_metrics_match_kvsctl_and_promtool_accepts_them(switch, guests):
    addr = f"127.0.0.1:{free_port()}"
    switch.vsctl("add-br", "br0")
    for n in ("vm1", "vm2"):
        switch.vsctl("add-port", "br0", n, "type=dpdkvhostuser")
    switch.vsctl("set", "Open_vSwitch", ".", f"other_config:metrics-address={addr}")
    g = attach(switch, guests, ["vm1", "vm2"])
    g["vm1"].send(dst=BCAST, count=40)
    g["vm1"].send(dst="02:00:00:00:00:99", count=3, src="01:00:00:00:00:01")
    settle(*g.values())
    expect_rx(g["vm2"], MAC[1], 40)
    text = scrape(addr)
    st = switch.port_stats("vm1")
    assert sample(text, "kvswitch_port_rx_packets_total", port="vm1") == st["rx_packets"]
    assert sample(text, "kvswitch_port_rx_bytes_total", port="vm1") == st["rx_bytes"]
    assert sample(text, "kvswitch_port_tx_packets_total", port="vm2") == \
        switch.port_stats("vm2")["tx_packets"]
    assert sample(text, "kvswitch_port_dropped_total", port="vm1", direction="rx",
                  reason="src_multicast") == st["rx_drops"]["src_multicast"] == 3
    assert sample(text, "kvswitch_port_up", port="vm1") == 1
    assert sample(text, "kvswitch_fdb_entries", bridge="br0") >= 1
    pools = switch.json("memory/show")["mbuf_pools"]
    assert sample(text, "kvswitch_mbufs", numa=pools[0]["numa"]) == pools[0]["size"]
    pmd = switch.json("pmd-stats-show")[0]
    assert sample(text, "kvswitch_pmd_rx_packets_total", core=pmd["core"]) >= 43
    assert "kvswitch_pmd_seconds_total" in text and 'state="busy"' in text
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"http://{addr}/other", timeout=10)
    if shutil.which("promtool") is None:
        pytest.skip("promtool not found (Debian: prometheus; bash .ci/install-deps)")
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "" and r.stderr.strip() == "", r


def test_bad_or_taken_address_is_refused(switch):
    addr = f"127.0.0.1:{free_port()}"
    switch.vsctl("set", "Open_vSwitch", ".", f"other_config:metrics-address={addr}")
    scrape(addr)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        busy = f"127.0.0.1:{taken.getsockname()[1]}"
        with pytest.raises(KvsctlError, match=f"metrics-address '{busy}': the address is in use"):
            switch.vsctl("set", "Open_vSwitch", ".", f"other_config:metrics-address={busy}")
    with pytest.raises(KvsctlError, match="metrics-address 'nowhere': expected HOST:PORT"):
        switch.vsctl("set", "Open_vSwitch", ".", "other_config:metrics-address=nowhere")
    with pytest.raises(KvsctlError, match="metrics-address '10.999.0.1:80'"):
        switch.vsctl("set", "Open_vSwitch", ".", "other_config:metrics-address=10.999.0.1:80")
    # nothing changed: the old address still serves, and is the one configured
    assert switch.json("show")["other_config"]["metrics-address"] == addr
    scrape(addr)
    switch.vsctl("remove", "Open_vSwitch", ".", "other_config", "metrics-address")
    with pytest.raises(OSError):
        scrape(addr)


def test_prometheus_scrapes_kvswitchd(switch, guests, tmp_path):
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus not found (Debian: prometheus; bash .ci/install-deps)")
    addr = f"127.0.0.1:{free_port()}"
    web = f"127.0.0.1:{free_port()}"
    switch.vsctl("add-br", "br0")
    for n in ("vm1", "vm2"):
        switch.vsctl("add-port", "br0", n, "type=dpdkvhostuser")
    switch.vsctl("set", "Open_vSwitch", ".", f"other_config:metrics-address={addr}")
    g = attach(switch, guests, ["vm1", "vm2"])
    g["vm1"].send(dst=BCAST, count=77)
    settle(*g.values())
    expect_rx(g["vm2"], MAC[1], 77)
    conf = tmp_path / "prometheus.yml"
    conf.write_text("global:\n  scrape_interval: 1s\n"
                    "scrape_configs:\n  - job_name: kvswitch\n"
                    f"    static_configs:\n      - targets: ['{addr}']\n")
    log = open(tmp_path / "prometheus.log", "wb")
    prom = subprocess.Popen(["prometheus", f"--config.file={conf}",
                             f"--web.listen-address={web}",
                             f"--storage.tsdb.path={tmp_path / 'tsdb'}"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        import json
        url = (f"http://{web}/api/v1/query?query="
               "kvswitch_port_rx_packets_total%7Bport%3D%22vm1%22%7D")
        deadline, value = time.time() + 60, None
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    res = json.loads(r.read())["data"]["result"]
                if res:
                    value = float(res[0]["value"][1])
                    if value == switch.port_stats("vm1")["rx_packets"]:
                        break
            except OSError:
                pass
            time.sleep(0.5)
        assert value == switch.port_stats("vm1")["rx_packets"] == 77, \
            (value, (tmp_path / "prometheus.log").read_text()[-2000:])
    finally:
        prom.terminate()
        prom.wait(20)
        log.close()


def test_dpdk_telemetry_shows_kvswitch(switch, guests):
    tool = shutil.which("dpdk-telemetry.py")
    if tool is None:
        pytest.skip("dpdk-telemetry.py not found (Debian: dpdk)")
    import json
    switch.vsctl("add-br", "br0")
    for n in ("vm1", "vm2"):
        switch.vsctl("add-port", "br0", n, "type=dpdkvhostuser")
    g = attach(switch, guests, ["vm1", "vm2"])
    g["vm1"].send(dst=BCAST, count=21)
    settle(*g.values())
    expect_rx(g["vm2"], MAC[1], 21)

    def ask(cmd):
        r = subprocess.run([tool], input=cmd + "\n", capture_output=True, text=True,
                           timeout=30)
        line = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
        return json.loads(line[-1]) if line else {}

    # the snapshot is refreshed once a second
    switch.wait_for(lambda: ask("/kvswitch/port,vm1").get("/kvswitch/port", {})
                    .get("rx_packets") == 21, timeout=10, what="vm1 in DPDK telemetry")
    assert sorted(ask("/kvswitch/port_list")["/kvswitch/port_list"]) == ["vm1", "vm2"]
    port = ask("/kvswitch/port,vm2")["/kvswitch/port"]
    assert port["tx_packets"] == switch.port_stats("vm2")["tx_packets"] == 21
    assert port["bridge"] == "br0" and "rx_drop_vlan_not_allowed" in port
    cores = ask("/kvswitch/pmd_list")["/kvswitch/pmd_list"]
    assert cores == [p["core"] for p in switch.json("pmd-stats-show")]
    assert ask(f"/kvswitch/pmd,{cores[0]}")["/kvswitch/pmd"]["rx_packets"] >= 21
