// Build helpers/assets/plotly-atlas.min.js: plotly.js with only the trace types of entry.js,
// and its manifest (plotly.js version, trace types, sha256, bytes). Run by `make plotly-bundle`
// through build.sh, which installs the exact versions of package-lock.json first.
//
//     node build.mjs <plotly.js version that plotly.py embeds> <output folder>

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const esbuild = require('esbuild');

const [expected, outDir] = process.argv.slice(2);
if (!expected || !outDir) {
    console.error('usage: node build.mjs <plotly.js version of plotly.py> <output folder>');
    process.exit(2);
}
const plotlyjs = require('plotly.js/package.json').version;
if (plotlyjs !== expected) {
    console.error(`plotly.js ${plotlyjs} is installed, but plotly.py embeds plotly.js ` +
                  `${expected}: pin plotly.js ${expected} in package.json (build.sh does)`);
    process.exit(1);
}

// The trace types are those entry.js registers, plus scatter (always in plotly.js's core).
const entry = join(here, 'entry.js');
const modules = [...readFileSync(entry, 'utf8').matchAll(/require\('plotly\.js\/lib\/(\w+)'\)/g)]
    .map((m) => m[1]).filter((name) => name !== 'core');
const traces = ['scatter', ...modules].sort();

// Packages plotly.js requires that the atlas's figures never use, replaced by the small
// modules of shims/ (each says what it leaves out; tests/test_plotly_bundle.py checks that no
// figure needs what is left out).
const shims = {
    'country-iso-search': join(here, 'shims', 'country-iso-search.js'),
    'd3-geo-projection': join(here, 'shims', 'd3-geo-projection.js'),
};

// As plotly.js builds its own dist bundles (its esbuild plugin tasks/compress_attributes.js,
// with the same patterns): the attributes' documentation (description, requiredOpts,
// otherOpts, role, hrName), which only plot-schema.json needs, is left out of the sources.
const META = [
    String.raw`description: '.*'`,
    String.raw`description: \[[\s\S]*?\]\.join\([\s\S]*?\)`,
    String.raw`requiredOpts: \[[\s\S]*?\]`,
    String.raw`otherOpts: \[[\s\S]*?\]`,
    String.raw`role: '.*'`,
    String.raw`hrName: '.*'`,
].map((pattern) => new RegExp(String.raw`\s*` + pattern + ',?', 'g'));
const stripMeta = {
    name: 'strip-attribute-meta',
    setup(build) {
        build.onLoad({ filter: /\.js$/ }, async (args) => {
            let contents = await readFile(args.path, 'utf8');
            for (const pattern of META) contents = contents.replace(pattern, '');
            return { contents, loader: 'js' };
        });
    },
};

const banner = [
    '/**',
    `* plotly.js v${plotlyjs}, partial bundle of the TikTok Growth Atlas: ${traces.join(', ')}`,
    '* (plotly.js/lib/core and its trace modules, built with esbuild: make plotly-bundle)',
    '* Copyright 2012-2026, Plotly, Inc.',
    '* All rights reserved.',
    '* Licensed under the MIT license',
    '*/',
].join('\n');

const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    globalName: 'Plotly', // entry.js is CommonJS: the global is the plotly object itself
    minify: true,
    // as plotly.js's own esbuild-config.js: no AMD loader may take the bundled libraries
    define: { global: 'window', 'define.amd': 'false' },
    target: 'es2016',
    loader: { '.css': 'empty' }, // maplibre-gl's style sheet: no map tiles are drawn here
    alias: shims,
    plugins: [stripMeta],
    banner: { js: banner },
    legalComments: 'eof',
    write: false,
    logLevel: 'warning',
});
const code = result.outputFiles[0].contents;
const text = Buffer.from(code).toString('utf8');
if (!text.includes('var Plotly=(()=>{') || (text.match(/plotly\.js v/g) || []).length !== 1) {
    console.error('unexpected bundle shape: expected one banner and `var Plotly=(()=>{...`');
    process.exit(1);
}

const asset = join(outDir, 'plotly-atlas.min.js');
writeFileSync(asset, code);
const manifest = {
    file: 'plotly-atlas.min.js',
    plotlyjs_version: plotlyjs,
    trace_types: traces,
    modules: ['core', ...modules].map((name) => `plotly.js/lib/${name}`),
    shims: Object.keys(shims).sort(),
    stripped: 'attribute documentation (description, requiredOpts, otherOpts, role, hrName), ' +
        "as in plotly.js's own dist bundles",
    esbuild_version: esbuild.version,
    bytes: code.length,
    sha256: createHash('sha256').update(code).digest('hex'),
    license: 'MIT (plotly.js and the libraries it bundles; their notices are at the end)',
    rebuild: 'make plotly-bundle',
};
writeFileSync(join(outDir, 'plotly-atlas.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`${asset}: plotly.js ${plotlyjs} with ${traces.join(', ')}, ` +
            `${(code.length / 1e6).toFixed(2)} MB, sha256 ${manifest.sha256.slice(0, 12)}...`);
