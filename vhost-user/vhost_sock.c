/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Socket files and the socket directory of vhost-user ports (vhost_sock.h).
 * Called by vhost_port.c on the control thread.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vhost-user/vhost_sock.h"

/*
 * Group and mode of what kvswitchd created as root, where others may write
 * too (the socket directory may be shared with QEMU's user): never through
 * a symlink (an O_PATH descriptor of the entry itself), only on the kind of
 * file expected (a socket, or a directory), and only when they differ, so a
 * transaction that does not change them touches nothing.
 */
static int set_perms(const char *path, mode_t type, gid_t gid, int mode, char *err, size_t errlen)
{
	char proc[64];
	struct stat st;
	int fd, rc = 0;

	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(-rc));
		goto out;
	}
	if ((st.st_mode & S_IFMT) != type) {
		rc = -EPERM;
		snprintf(err, errlen, "'%s' is not a %s (a symlink?): its group and mode are left",
			 path, type == S_IFSOCK ? "socket" : "directory");
		goto out;
	}
	if (gid != (gid_t)-1 && st.st_gid != gid &&
	    fchownat(fd, "", (uid_t)-1, gid, AT_EMPTY_PATH) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot set group of '%s': %s", path, strerror(-rc));
		goto out;
	}
	/* no fchmod on an O_PATH descriptor: its /proc link names the inode */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (mode >= 0 && (st.st_mode & 07777) != (mode_t)mode && chmod(proc, (mode_t)mode) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot set mode of '%s': %s", path, strerror(-rc));
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int vhost_sock_apply_perms(const char *path, const struct vhost_sock_opts *o, char *err,
			   size_t errlen)
{
	return set_perms(path, S_IFSOCK, o->gid, o->mode, err, errlen);
}

/* A QEMU of the socket group must be able to reach the sockets. */
int vhost_sock_dir_perms(const struct vhost_sock_opts *o, char *err, size_t errlen)
{
	if (o->gid == (gid_t)-1)
		return 0;
	return set_perms(o->dir, S_IFDIR, o->gid, 0750, err, errlen);
}

/*
 * The socket directory is kvswitch's: it deletes and creates entries there
 * as root, so it refuses one that holds anything but sockets, BPF objects
 * and pidfiles (vhost-sock-dir set to /etc must not end in a deleted file).
 * Pidfiles: in OVSDB mode the directory is Open vSwitch's run directory,
 * where ovsdb-server and kvswitchd (as ovs-vswitchd) keep theirs; only
 * sockets are ever deleted, so they are safe there.  Checked once per
 * directory.
 */
static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n > k && strcmp(name + n - k, suffix) == 0;
}

static int check_dir_holds_sockets(const char *dir, char *err, size_t errlen)
{
	static char checked[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (strcmp(checked, dir) == 0)
		return 0;
	d = opendir(dir);
	if (d == NULL) {
		rc = -errno;
		snprintf(err, errlen, "cannot read vhost socket directory '%s': %s", dir,
			 strerror(-rc));
		return rc;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		unsigned char type = de->d_type;
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (type == DT_UNKNOWN &&
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			type = S_ISSOCK(st.st_mode) ? DT_SOCK : DT_REG;
		/* kvswitchd's XDP program (control/xdp_filter.c) lives next to
		 * the control socket, by default in this directory */
		if (type == DT_SOCK || (type == DT_REG && (has_suffix(de->d_name, ".bpf.o") ||
							   has_suffix(de->d_name, ".pid"))))
			continue;
		rc = -EPERM;
		snprintf(err, errlen,
			 "vhost socket directory '%s' holds '%s', which is not a socket: the "
			 "directory must be kvswitch's alone",
			 dir, de->d_name);
	}
	closedir(d);
	if (rc == 0)
		snprintf(checked, sizeof(checked), "%s", dir);
	return rc;
}

int vhost_sock_make_dir(const char *dir, const struct vhost_sock_opts *o, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	char *s;
	int rc;

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (s = tmp + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			goto fail;
		*s = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		goto fail;
	rc = check_dir_holds_sockets(dir, err, errlen);
	if (rc == 0)
		rc = vhost_sock_dir_perms(o, err, errlen);
	return rc;
fail:
	snprintf(err, errlen, "cannot create vhost socket directory '%s': %s", tmp,
		 strerror(errno));
	return -errno;
}

/* Remove path if it is a socket (a stale one of ours); anything else there
 * is not ours to delete.  0 when path is free. */
int vhost_sock_unlink(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "'%s' exists and is not a socket: left alone", path);
		return -EEXIST;
	}
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}
