#!/bin/sh
# Rebuild helpers/assets/plotly-atlas.min.js and its manifest at the plotly.js version that
# plotly.py embeds: `make plotly-bundle` (the only place the project runs npm).
#
#     scripts/plotly-bundle/build.sh <plotly.js version of plotly.py>
set -eu
version="$1"
cd "$(dirname "$0")"
pinned=$(node -p "require('./package.json').dependencies['plotly.js']")
if [ "$pinned" != "$version" ]; then
    echo "plotly.py embeds plotly.js $version, package.json pins $pinned: pinning $version"
    npm install --save-exact --ignore-scripts --no-audit --no-fund "plotly.js@$version"
else
    # exactly the versions of package-lock.json; no install scripts run (esbuild's binary
    # comes in its platform package)
    npm ci --ignore-scripts --no-audit --no-fund
fi
node build.mjs "$version" ../../helpers/assets
