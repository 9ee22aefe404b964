#!/bin/sh
# Add Shoebox to the desktop's application menu for the current user (run from the unpacked Shoebox folder;
# run again after moving the folder). Undo: remove the two files it names.
set -e
here=$(cd "$(dirname "$0")" && pwd)
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/scalable/apps"
mkdir -p "$apps" "$icons"
cp "$here/shoebox.svg" "$icons/shoebox.svg"
sed -e "s|^Exec=.*|Exec=\"$here/Shoebox\" %F|" -e "s|^TryExec=.*|TryExec=$here/Shoebox|" \
    "$here/shoebox.desktop" > "$apps/shoebox.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$apps" || true
echo "installed $apps/shoebox.desktop and $icons/shoebox.svg"
