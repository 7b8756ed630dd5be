#!/bin/sh
# Unpacks an evaluation archive (../shared/data/*.tar.xz, see its README) into the build tree, once:
#   eval/unpack-data.sh ARCHIVE DEST_DIR
# A stamp file next to the unpacked folder makes reruns free; never unpack into the git tree.
set -eu
archive="$1"
dest="$2"
if [ ! -f "$archive" ]; then
  echo "unpack-data: archive not found: $archive (see ../shared/data/README.md)" >&2
  exit 1
fi
name=$(basename "$archive" .tar.xz)
stamp="$dest/.$name.unpacked"
if [ -f "$stamp" ] && [ "$stamp" -nt "$archive" ]; then
  exit 0
fi
mkdir -p "$dest"
# Unpack beside the final place, then rename, so a test never sees half an archive.
tmp=$(mktemp -d "$dest/.unpack.XXXXXX")
tar -xJf "$archive" -C "$tmp"
for d in "$tmp"/*; do
  base=$(basename "$d")
  rm -rf "${dest:?}/$base"
  mv "$d" "$dest/$base"
done
rmdir "$tmp"
touch "$stamp"
