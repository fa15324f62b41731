#!/usr/bin/env bash
# Refresh the vendored front-end libraries from the npm registry (government intranets have
# no internet, so the pages load nothing from outside: the files are committed under
# static/vendor/). Run by hand when upgrading; record versions and licences in VENDOR.md.
set -euo pipefail
cd "$(dirname "$0")/.."
HTMX_VERSION=${HTMX_VERSION:-2.0.4}
ECHARTS_VERSION=${ECHARTS_VERSION:-5.6.0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "htmx.org@$HTMX_VERSION" "echarts@$ECHARTS_VERSION" >/dev/null)
mkdir -p static/vendor/htmx static/vendor/echarts
tar -xzf "$work"/htmx.org-*.tgz -C "$work" package/dist/htmx.min.js package/LICENSE
cp "$work/package/dist/htmx.min.js" static/vendor/htmx/htmx.min.js
cp "$work/package/LICENSE" static/vendor/htmx/LICENSE
rm -rf "$work/package"
tar -xzf "$work"/echarts-*.tgz -C "$work" package/dist/echarts.min.js package/LICENSE
cp "$work/package/dist/echarts.min.js" static/vendor/echarts/echarts.min.js
cp "$work/package/LICENSE" static/vendor/echarts/LICENSE
cat > static/vendor/VENDOR.md <<MD
# Vendored front-end libraries

Installed from the npm registry by \`scripts/vendor_static.sh\`; nothing is loaded from a CDN.

| library | version | file | licence |
|---|---|---|---|
| htmx.org | $HTMX_VERSION | htmx/htmx.min.js | BSD 2-Clause (htmx/LICENSE) |
| echarts | $ECHARTS_VERSION | echarts/echarts.min.js | Apache-2.0 (echarts/LICENSE) |
MD
echo "vendored htmx $HTMX_VERSION and echarts $ECHARTS_VERSION"
