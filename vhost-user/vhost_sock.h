/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost_sock: the socket files and directory of server-mode vhost-user ports,
 * private to vhost-user/.  kvswitchd runs as root and the directory may be
 * shared with QEMU's user, so nothing is changed through a symlink, only
 * sockets are ever deleted, and a directory holding anything but sockets, BPF
 * objects and pidfiles is refused.  Control thread only.  Each returns 0 or
 * -errno with a message naming the path in err.
 */
#ifndef KVS_VHOST_SOCK_H
#define KVS_VHOST_SOCK_H

#include <stddef.h>

#include "vhost-user/vhost_port.h"

/* Group and mode of a socket kvswitchd created, as o says. */
int vhost_sock_apply_perms(const char *path, const struct vhost_sock_opts *o, char *err,
			   size_t errlen);
/* Group and mode (0750) of o->dir. */
int vhost_sock_dir_perms(const struct vhost_sock_opts *o, char *err, size_t errlen);
/* Create dir (or accept it when it holds only what kvswitch may put there). */
int vhost_sock_make_dir(const char *dir, const struct vhost_sock_opts *o, char *err, size_t errlen);
/* Remove path if it is a socket (a stale one of ours); 0 when path is free. */
int vhost_sock_unlink(const char *path, char *err, size_t errlen);

#endif
