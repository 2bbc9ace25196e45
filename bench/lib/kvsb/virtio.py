# SPDX-License-Identifier: BSD-3-Clause
"""The guests' virtio-user devices, shared by kvs-bench-gen's (guests.py) and the testpmd
guest's (testpmd.py): their devargs, and which virtqueue layout a guest name asks for."""


def ring_of(guest):
    """A guest name's virtqueue layout: "gen-packed" and "testpmd-packed" are kvs-bench-gen and
    the testpmd guest with packed virtqueues; the plain names use split ones."""
    return "packed" if guest.endswith("-packed") else "split"


def vdev(i, sock, queues, server, queue_size=1024, ring="split", mac=None):
    """virtio-user's devargs; ring "packed" asks for packed virtqueues (VIRTIO_F_RING_PACKED),
    which the switch's librte_vhost then negotiates (or not: the switch says, see
    windows.ring_error)."""
    return (f"net_virtio_user{i},path={sock},queues={queues},queue_size={queue_size}"
            + (f",mac={mac}" if mac else "") + (",server=1" if server else "")
            + (",packed_vq=1" if ring == "packed" else ""))
