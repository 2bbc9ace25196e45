#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# meson install script: copy the example configuration to its place in
# sysconfdir only if no file is there, so `meson install` over a running
# host never overwrites the operator's configuration (meson's install_data
# always would).  $1 = source relative to the prefix, $2 = destination
# (absolute or relative to the prefix); DESTDIR honoured.
set -eu
prefix=${MESON_INSTALL_DESTDIR_PREFIX:?run by meson install}
case $2 in
/*) dest=${DESTDIR:-}$2 ;;
*) dest=$prefix/$2 ;;
esac
if [ -e "$dest" ]; then
	echo "Keeping existing $dest"
	exit 0
fi
mkdir -p "$(dirname "$dest")"
cp "$prefix/$1" "$dest"
chmod 0644 "$dest"
echo "Installing $dest"
