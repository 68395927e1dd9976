#!/usr/bin/env bash
# update-assets.sh — (re)fetch the vendored GraphiQL browser assets from the
# npm registry, with pinned versions, into ./assets/.
#
# Usage:
#   ./update-assets.sh           rewrite assets/ from the pinned npm tarballs
#   ./update-assets.sh --check   fetch into a temp dir and fail if assets/ differs
#
# To upgrade, change a version below, run the script, then run
#   go test ./internal/graphiql/
# (its browser tests drive the page in headless Chromium, including the
# check that no credential reaches the browser's storage) and look at the
# page in a browser. Published npm tarballs are immutable, so a
# given set of versions always reproduces the same bytes (npm verifies each
# tarball against the registry's integrity hash while packing).
#
# What is vendored, and why:
#   graphiql   graphiql.min.js  — the UMD build (global `GraphiQL`). It already
#                                 bundles graphql-js, CodeMirror 5 and the
#                                 graphql-ws client (used by
#                                 GraphiQL.createFetcher's subscriptionUrl),
#                                 so no separate graphql-ws build is needed.
#              graphiql.min.css — fonts (Roboto, Fira Code) are inlined as
#                                 data: URLs; no @import, no remote url().
#   react, react-dom           — React 18 UMD production builds (globals
#                                 `React`, `ReactDOM`); GraphiQL 3 supports
#                                 React 16.8–18 and React 19 has no UMD build.
# Why graphiql stays on 3.9.0, the last 3.x release (looked at again with
# 5.4.0 current): GraphiQL 4+ ships no UMD/browser bundle, only ESM meant for
# a bundler, and 5.x edits with Monaco, which runs three web workers. It can
# be bundled offline (esbuild: same-origin workers pass script-src 'self'),
# but the bundle is about 7 MB (5.3 MB script, 0.7 MB CSS, 1.3 MB workers)
# against 1.5 MB now, is built rather than copied byte for byte from the
# published tarballs, and keeps the same credential leak: its history plugin
# still saves each run's headers in localStorage["graphiql:queries"]. So the
# upgrade buys nothing for the leak and costs size and a build; web/init.js
# fixes the leak for 3.9 (see credentialFreeStorage) and would for 5.x too.
# Revisit when 3.x needs a security fix it will no longer get.
set -euo pipefail

GRAPHIQL_VERSION=3.9.0
REACT_VERSION=18.3.1
REACT_DOM_VERSION=18.3.1

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# unpack NAME VERSION: npm pack NAME@VERSION and extract it to $tmp/pkg/NAME.
unpack() {
  local name=$1 version=$2 tgz
  tgz=$(cd "$tmp" && npm pack --silent "$name@$version" | tail -n 1)
  mkdir -p "$tmp/pkg/$name"
  tar -xzf "$tmp/$tgz" -C "$tmp/pkg/$name" --strip-components=1
  local got
  got=$(node -p 'require(process.argv[1]).version' "$tmp/pkg/$name/package.json")
  if [ "$got" != "$version" ]; then
    echo "$name: expected $version, npm gave $got" >&2
    exit 1
  fi
}

unpack graphiql "$GRAPHIQL_VERSION"
unpack react "$REACT_VERSION"
unpack react-dom "$REACT_DOM_VERSION"

out="$tmp/assets"
mkdir -p "$out/graphiql" "$out/react" "$out/react-dom"
cp "$tmp/pkg/graphiql/graphiql.min.js"              "$out/graphiql/"
cp "$tmp/pkg/graphiql/graphiql.min.css"             "$out/graphiql/"
cp "$tmp/pkg/graphiql/LICENSE"                      "$out/graphiql/LICENSE"
cp "$tmp/pkg/react/umd/react.production.min.js"     "$out/react/"
cp "$tmp/pkg/react/LICENSE"                         "$out/react/LICENSE"
cp "$tmp/pkg/react-dom/umd/react-dom.production.min.js" "$out/react-dom/"
cp "$tmp/pkg/react-dom/LICENSE"                     "$out/react-dom/LICENSE"

# Files are copied byte for byte (compare them with the tarballs' shasums).
# graphiql.min.js ends with "//# sourceMappingURL=index.umd.js.map"; the map is
# not shipped (4 MB), so browser devtools, when open, get a same-origin 404 for
# it. Nothing else is requested.

# Offline guard: the stylesheet must not load anything remote.
if grep -Eio '@import|url\((["'"'"']?)(https?:)?//' "$out/graphiql/graphiql.min.css"; then
  echo "graphiql.min.css references a remote resource; see above" >&2
  exit 1
fi

cat > "$out/VERSIONS" <<VERSIONS
graphiql $GRAPHIQL_VERSION
react $REACT_VERSION
react-dom $REACT_DOM_VERSION
VERSIONS

if [ "$check" = 1 ]; then
  if diff -r "$out" "$here/assets"; then
    echo "assets/ is up to date"
  else
    echo "assets/ differs from the pinned npm packages; run $0" >&2
    exit 1
  fi
  exit 0
fi

rm -rf "$here/assets"
cp -r "$out" "$here/assets"
(cd "$here/assets" && find . -type f | sort | xargs sha256sum)
du -sh "$here/assets"
