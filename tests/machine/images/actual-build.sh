#!/bin/bash
# Runs as an mmdebstrap customize hook: compiles the Actual sync server's native modules
# (better-sqlite3, bcrypt) from source against Debian's nodejs inside the root ROOT, since their
# install scripts would download prebuilt binaries, then removes the build tools again and moves
# the finished app out of the tree to OUT.
#
#   actual-build.sh ROOT SRC OUT
set -euo pipefail

root="$1"
src="$2"
out="$3"
tools=(g++ make python3 node-gyp libnode-dev)

cp -a "$src" "$root/app"
chroot "$root" apt-get update -q
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -q -y --no-install-recommends "${tools[@]}"
# better-sqlite3's own install script is `prebuild-install || node-gyp rebuild --release`.
chroot "$root" sh -c 'cd /app/node_modules/better-sqlite3 && node-gyp rebuild --release --jobs=2'
# bcrypt 5 builds through node-pre-gyp, which puts the module where bcrypt looks for it.
chroot "$root" sh -c 'cd /app/node_modules/bcrypt && npm_config_node_gyp=/usr/bin/node-gyp node ../@mapbox/node-pre-gyp/bin/node-pre-gyp rebuild --build-from-source'
chroot "$root" sh -c 'cd /app && rm -rf node_modules/better-sqlite3/build/Release/obj* node_modules/better-sqlite3/build/Release/.deps node_modules/better-sqlite3/build/Release/test_extension.node node_modules/better-sqlite3/build/Release/sqlite3.a node_modules/better-sqlite3/build/deps node_modules/better-sqlite3/deps node_modules/better-sqlite3/src node_modules/bcrypt/build'
# The app must load with the modules just built.
chroot "$root" sh -c 'cd /app && node -e "const D = require(\"better-sqlite3\"); new D(\":memory:\").prepare(\"select 1\").get(); require(\"bcrypt\").hashSync(\"x\", 4)"'
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get purge -q -y --autoremove "${tools[@]}"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root/root/.cache" "$root/root/.node-gyp"
mv "$root/app" "$out"
