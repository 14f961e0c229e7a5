// Stands in for d3-geo-projection in the atlas's plotly.js bundle (see build.mjs).
// plotly.js looks a geo projection up in d3-geo first, then in d3-geo-projection (71 kB).
// The atlas's maps use "natural earth" only (a test checks), which d3-geo-projection takes
// from d3-geo itself (geoNaturalEarth1), so the bundle gives that one; any other projection
// fails loudly.
'use strict';

var d3geo = require('d3-geo');

var included = {
    geoNaturalEarth: d3geo.geoNaturalEarth1,
    geoNaturalEarthRaw: d3geo.geoNaturalEarth1Raw
};

module.exports = new Proxy(included, {
    get: function (target, name) {
        if (typeof name !== 'string' || !/^geo[A-Z]/.test(name) || name in target) {
            return target[name];
        }
        throw new Error('the ' + name + ' projection is not in the atlas\'s plotly.js bundle: ' +
                        'use "natural earth", or build the page with --plotly full');
    }
});
