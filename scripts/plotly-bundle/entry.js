// plotly.js with the trace types the atlas's reports draw: scatter (in core), bar, heatmap and
// choropleth. CommonJS on purpose: esbuild's iife then hands the plotly object itself to the
// global `Plotly` (an ES module would give `{default: Plotly}`).
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/choropleth')
]);

module.exports = Plotly;
