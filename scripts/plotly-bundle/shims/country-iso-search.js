// Stands in for country-iso-search in the atlas's plotly.js bundle (see build.mjs).
// plotly.js needs that package only for choropleth's locationmode "country names", and builds
// its lookup table as the page loads; the atlas's maps give ISO-3 codes (a test checks), so
// the bundle leaves out its 67 kB and that work. A map with country names fails loudly.
'use strict';

function notInBundle() {
    throw new Error('locationmode "country names" is not in the atlas\'s plotly.js bundle: ' +
                    'give ISO-3 codes, or build the page with --plotly full');
}

module.exports = {
    COUNTRIES: [],
    createLookup: function () { return { lookupAlpha3: notInBundle }; }
};
