#!/bin/sh
# Pack dist/Shoebox.app (built by packaging/shoebox.spec on macOS) into dist/Shoebox-<version>-macos.dmg, with a
# link to /Applications to drag it onto. Uses only hdiutil, which every Mac has.
#   sh packaging/macos/make_dmg.sh 0.1.0        (python packaging/build.py --dmg does this)
# Sign and notarise the .app before this step for a download that opens without warnings (packaging/README.md).
set -eu
version="${1:-0.1.0}"
app="dist/Shoebox.app"
dmg="dist/Shoebox-${version}-macos-$(uname -m).dmg"
[ -d "$app" ] || { echo "no $app: build it first (python packaging/build.py)" >&2; exit 1; }
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
rm -f "$dmg"
hdiutil create -volname "Shoebox" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$dmg"
echo "made $dmg"
