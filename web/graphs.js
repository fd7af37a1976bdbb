/* hostflow web view: zoom and range selection on the graphs with
 * dygraphs (Debian's libjs-dygraphs, served from /js/).  Every
 * <img data-series="JSON URL" data-details="URL"> gets a dygraph of the
 * same data (series.json, device-series.json: "columns", "rows" of
 * [unix time, values...], null for unknown) drawn in its place; dragging
 * across it selects a range and opens data-details for that window
 * (from=, to= in RFC 3339 UTC).  Without JavaScript, without the library
 * or when the data cannot be read, the image stays as it is. */
(function () {
    'use strict';
    var colours = { tcp: '#3465a4', udp: '#73d216', icmp: '#f57900', other: '#888a85',
                    sent: '#3465a4', received: '#73d216' };
    var graphs = [];

    /* the tests and the console reach the graphs here */
    window.hostflowGraphs = graphs;

    function iso(ms) {
        return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    }

    /* details (a same-origin URL) for the window [min, max) in ms */
    function windowUrl(details, min, max) {
        var u = new URL(details, window.location.href);
        u.searchParams.set('from', iso(Math.floor(min / 1000) * 1000));
        u.searchParams.set('to', iso(Math.ceil(max / 1000) * 1000));
        return u.pathname + u.search;
    }

    /* 1234567 -> "1.23M" */
    function human(v) {
        var units = ['', 'k', 'M', 'G', 'T'], i = 0;
        if (v === null || v === undefined || isNaN(v))
            return '-';
        while (Math.abs(v) >= 1000 && i < units.length - 1) {
            v /= 1000;
            i++;
        }
        return (i ? v.toFixed(2) : String(Math.round(v * 100) / 100)) + units[i];
    }

    /* the values under the pointer, as text in a line of our own: the stock
     * legend plugin writes style attributes, which the server's
     * Content-Security-Policy refuses (style-src 'self') */
    function legend(line, utc) {
        return {
            highlightCallback: function (e, x, points) {
                var t = new Date(x);
                line.textContent = (utc ? t.toISOString().slice(0, 16).replace('T', ' ') + ' UTC'
                                    : t.toLocaleString()) + points.map(function (p) {
                    return '  ' + p.name + ': ' + human(p.yval);
                }).join('');
            },
            unhighlightCallback: function () { line.textContent = '\u00a0'; }
        };
    }

    function draw(img, s) {
        var details = img.getAttribute('data-details');
        var div = document.createElement('div');
        var rows = s.rows.map(function (row) {
            return [new Date(row[0] * 1000)].concat(row.slice(1));
        });
        var g, line, on, utc;

        if (!rows.length)
            return;
        div.className = 'dygraph';
        img.parentNode.insertBefore(div, img);
        line = document.createElement('p');
        line.className = 'dygraph-values';
        line.textContent = '\u00a0';
        img.parentNode.insertBefore(line, img);
        utc = /[?&]tz=utc\b/.test(details || '');
        on = legend(line, utc);
        g = new Dygraph(div, rows, {
            labels: ['time'].concat(s.columns),
            colors: s.columns.map(function (c) { return colours[c] || '#555'; }),
            title: img.getAttribute('alt'),
            ylabel: s.unit,
            stackedGraph: s.stacked !== false,
            fillGraph: s.stacked !== false,
            stepPlot: true,
            labelsKMB: true,
            highlightCallback: on.highlightCallback,
            unhighlightCallback: on.unhighlightCallback,
            labelsUTC: utc,
            zoomCallback: function (min, max) {
                /* a double click resets the zoom: no range chosen */
                if (details && this.isZoomed('x'))
                    window.location.href = windowUrl(details, min, max);
            }
        });
        g.hostflowDiv = div;
        graphs.push(g);
        img.hidden = true;
        div.setAttribute('data-ready', '1');
    }

    function enhance(img) {
        fetch(img.getAttribute('data-series'), { credentials: 'same-origin' })
            .then(function (r) {
                if (!r.ok)
                    throw new Error('HTTP ' + r.status);
                return r.json();
            })
            .then(function (s) { draw(img, s); })
            .catch(function (e) {
                /* the image stays */
                if (window.console)
                    console.warn('hostflow graph', img.getAttribute('data-series'), e);
            });
    }

    if (typeof Dygraph === 'undefined' || !window.fetch || !window.URL)
        return;
    Dygraph.PLUGINS = Dygraph.PLUGINS.filter(function (p) {
        return p !== Dygraph.Plugins.Legend;
    });
    Array.prototype.forEach.call(document.querySelectorAll('img[data-series]'), enhance);
}());
