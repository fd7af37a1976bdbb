#!/usr/bin/env python3
"""hostflow-web in a real browser: headless Chromium driven by Selenium
through chromedriver, over the store tests/web_view.py builds (the probe's
files of shared captures as slot files, RRDs made with the rrdtool CLI, a
source of crafted records with the hostnames <script>alert(1)</script>.example
and =cmd|' /C calc'!A0).

1. the overview, the details page, a device page and the flows page load;
   the overview's graphs are decoded images (naturalWidth > 0) of more than
   one colour (read back through a canvas); the device's traffic graph
   (an SVG) too;
   graphs.js replaces each graph with a dygraph (Debian's libjs-dygraphs)
   drawn on a canvas of more than one colour; dragging across one opens
   the details page for the window selected, and the device graph's opens
   the device page for its window; the only scripts are the server's own
   files, and the browser logs no Content-Security-Policy violation;
2. the details' hostname table lists what hostflow-report --by hostname
   --csv gives on the same store; a filter submitted through the page's
   form changes the totals and the table to what the report gives with
   that filter; the CSV export the page links to has the report's rows;
3. the crafted hostname is shown as text on the pages that list names, no
   <script> element exists on any page and no alert() fires;
4. a screenshot of each page goes to $HF_BUILD/web-screenshots/ (the ones
   in doc/screenshots/ are copies of these, for the README).

Runs under /usr/bin/python3 (Debian's python3-selenium); exit 77 when
chromium, chromedriver or selenium are missing, a failure instead under
HF_REQUIRE_TOOLS=1."""
import calendar
import csv
import io
import os
import shutil
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SYSTEM_PYTHON = '/usr/bin/python3'

try:
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    webdriver = None

if webdriver is None and os.path.exists(SYSTEM_PYTHON) and \
        os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and \
        not os.environ.get('HF_BROWSER_REEXEC'):
    # Debian's python3-selenium is for Debian's python3 only
    os.environ['HF_BROWSER_REEXEC'] = '1'
    os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)

sys.path.insert(0, HERE)
import hftest  # noqa: E402
import web_view  # noqa: E402
from web_view import FORMULA, SCRIPT, WIDE  # noqa: E402

SHOTS = os.path.join(hftest.BUILD, 'web-screenshots')
FILTER = 'hostname "<script>*"'

# the image's size and how many colours it has (up to 3), through a canvas
COLOURS_JS = """
var im = arguments[0];
if (!im.complete || !im.naturalWidth) return [im.naturalWidth, 0];
var c = document.createElement('canvas');
c.width = im.naturalWidth; c.height = im.naturalHeight;
var x = c.getContext('2d');
x.drawImage(im, 0, 0);
var d = x.getImageData(0, 0, c.width, c.height).data, seen = {}, n = 0;
for (var i = 0; i < d.length && n < 3; i += 4) {
    var k = d[i] + ',' + d[i + 1] + ',' + d[i + 2];
    if (!seen[k]) { seen[k] = 1; n++; }
}
return [im.naturalWidth, n];
"""

# the same for the dygraph's canvases in div (their pixels, read directly)
CANVAS_COLOURS_JS = """
var n = 0, seen = {};
var cs = arguments[0].getElementsByTagName('canvas');
for (var j = 0; j < cs.length; j++) {
    var c = cs[j];
    if (!c.width || !c.height) continue;
    var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (var i = 0; i < d.length && n < 3; i += 4) {
        if (!d[i + 3]) continue;          /* transparent: nothing drawn */
        var k = d[i] + ',' + d[i + 1] + ',' + d[i + 2];
        if (!seen[k]) { seen[k] = 1; n++; }
    }
}
return n;
"""

# the scripts a page may load: the server's own files, no inline script
SCRIPTS = ['/js/dygraphs/dygraph.min.js', '/static/graphs.js']
SCRIPTS_JS = """
return Array.prototype.map.call(document.getElementsByTagName('script'), function (s) {
    return [s.getAttribute('src') || '', s.text.length];
});
"""


def need_browser():
    hftest.need_tools('rrdtool')
    missing = [n for n in ('chromium', 'chromedriver') if not shutil.which(n)]
    if webdriver is None:
        missing.append('python3-selenium')
    hftest.need_installed(missing)


def start_browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which('chromium')
    # root in a container: no sandbox; no GPU, no /dev/shm to speak of
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
              '--window-size=1200,800', '--hide-scrollbars', '--no-first-run',
              '--disable-extensions', '--disable-background-networking',
              '--disable-sync', '--disable-component-update',
              '--disable-default-apps', '--no-proxy-server'):
        opts.add_argument(a)
    # an alert stays open, so that the check below sees it
    opts.set_capability('unhandledPromptBehavior', 'ignore')
    # the console, for Content-Security-Policy violations
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    service = Service(executable_path=shutil.which('chromedriver'))
    driver = webdriver.Chrome(service=service, options=opts)
    driver.set_page_load_timeout(60)
    driver.set_window_size(1200, 800)
    return driver


class Browser:
    def __init__(self, check, web):
        self.check = check
        self.base = 'http://127.0.0.1:%d' % web.port
        self.driver = start_browser()
        self.pages = 0

    def url(self, path, params=None):
        u = self.base + path
        if params:
            u += '?' + urllib.parse.urlencode(params)
        return u

    def load(self, what, path, params=None):
        self.driver.get(self.url(path, params))
        self.page_checks(what)

    def page_checks(self, what):
        d = self.driver
        WebDriverWait(d, 30).until(
            lambda d: d.execute_script('return document.readyState') == 'complete')
        self.no_alert(what)
        scripts = d.execute_script(SCRIPTS_JS)
        self.check.ok(all(src in SCRIPTS and not n for src, n in scripts),
                      '%s: scripts other than the server\'s files: %r' % (what, scripts))
        self.check.ok(len(d.find_elements(By.XPATH, '//*[contains(local-name(), "script")]'))
                      == len(scripts), '%s: an element named like script' % what)
        self.no_csp_violation(what)
        self.check.ok('Bad request' not in d.title and d.find_elements(By.TAG_NAME, 'h1'),
                      '%s: not a page: %s %r' % (what, d.current_url, self.text()[:300]))

    def no_alert(self, what):
        try:
            a = self.driver.switch_to.alert
            text = a.text
            a.dismiss()
            self.check.ok(False, '%s: an alert fired: %r' % (what, text))
        except NoAlertPresentException:
            pass

    def no_csp_violation(self, what):
        logs = [e['message'] for e in self.driver.get_log('browser')]
        bad = [m for m in logs if 'Content Security Policy' in m or 'Refused to' in m]
        self.check.ok(not bad, '%s: Content-Security-Policy violations: %r' % (what, bad))

    def dygraphs(self, what, n):
        """Waits for n dygraphs drawn by graphs.js; checks each is not blank."""
        d = self.driver
        try:
            WebDriverWait(d, 60).until(lambda d: len(
                d.find_elements(By.CSS_SELECTOR, 'div.dygraph[data-ready] canvas')) > 0 and len(
                d.find_elements(By.CSS_SELECTOR, 'div.dygraph[data-ready]')) >= n)
        except Exception:
            pass
        divs = d.find_elements(By.CSS_SELECTOR, 'div.dygraph[data-ready]')
        self.check.eq('%s: dygraphs drawn' % what, n, len(divs))
        for i, div in enumerate(divs):
            self.check.ok(d.execute_script(CANVAS_COLOURS_JS, div) > 1,
                          '%s: dygraph %d is blank' % (what, i))
        shown = [im.get_attribute('src') for im in
                 d.find_elements(By.CSS_SELECTOR, 'img[data-series]') if im.is_displayed()]
        self.check.eq('%s: images still shown beside their dygraph' % what, [], shown)
        return divs

    def drag(self, div):
        """Drags across the middle half of div's graph; the window it
        selects (ms), as the graph's own x axis maps the pixels."""
        d = self.driver
        canvas = [c for c in div.find_elements(By.TAG_NAME, 'canvas') if c.is_displayed()][-1]
        w = canvas.size['width']
        x0, x1 = -w // 4, w // 4          # from the canvas' centre
        want = d.execute_script(
            'var div = arguments[0], g = window.hostflowGraphs.filter(function (g) {'
            ' return g.hostflowDiv === div; })[0];'
            'return [g.toDataXCoord(arguments[1]), g.toDataXCoord(arguments[2])];',
            div, w / 2 + x0, w / 2 + x1)
        ActionChains(d).move_to_element_with_offset(canvas, x0, 0).click_and_hold() \
            .move_by_offset((x1 - x0) // 2, 0).move_by_offset((x1 - x0) - (x1 - x0) // 2, 0) \
            .release().perform()
        return want

    def shot(self, name):
        os.makedirs(SHOTS, exist_ok=True)
        path = os.path.join(SHOTS, name + '.png')
        self.check.ok(self.driver.save_screenshot(path), 'screenshot ' + name)

    def text(self):
        return self.driver.find_element(By.TAG_NAME, 'body').text

    def column(self, section):
        """The key column of the details' table in section#top-SECTION."""
        cells = self.driver.find_elements(
            By.CSS_SELECTOR, '#top-%s tbody tr:not(.other) td:nth-child(2)' % section)
        return [c.text for c in cells]

    def total_flows(self):
        return int(self.driver.find_element(By.ID, 'total-flows').get_attribute('title'))

    def quit(self):
        self.driver.quit()


def report_names(store, n, *filt):
    """The report's rows by hostname, their names, and the total flows the
    page's totals show (those of its first table, by device: by hostname,
    flows whose records lack a hostname field are not counted)."""
    rows = web_view.report_csv(store, '--by', 'hostname', '-n', str(n), *filt)
    names = [r['hostname'] for r in rows if r['rank'] not in ('other', 'total')]
    dev = web_view.report_csv(store, '--by', 'device', '-n', '1', *filt)
    total = [int(r['flows']) for r in dev if r['rank'] == 'total']
    return rows, names, total[0] if total else None


def page_names(b):
    # an empty hostname is shown as (none)
    return ['' if t == '(none)' else t.replace(' names', '') for t in b.column('hostname')]


def iso_ms(text):
    return calendar.timegm(time.strptime(text, '%Y-%m-%dT%H:%M:%SZ')) * 1000


def check_window(check, b, what, path, want, px_ms):
    """After a drag: the page at path, for the window want (ms) give or
    take a few pixels' worth."""
    d = b.driver
    try:
        WebDriverWait(d, 30).until(lambda d: 'from=' in d.current_url)
    except Exception:
        pass
    u = urllib.parse.urlparse(d.current_url)
    q = urllib.parse.parse_qs(u.query)
    check.eq('%s: the page a range opens' % what, path, u.path)
    if not check.ok('from' in q and 'to' in q, '%s: no window in %s' % (what, d.current_url)):
        return q
    b.page_checks(what)
    got = [iso_ms(q['from'][0]), iso_ms(q['to'][0])]
    slack = 4 * px_ms + 1000
    check.ok(abs(got[0] - want[0]) <= slack and abs(got[1] - want[1]) <= slack,
             '%s: window %r, the drag selected %r' % (what, got, want))
    check.ok(d.find_elements(By.CSS_SELECTOR, 'p.window'), '%s: no window line' % what)
    return q


def main():
    need_browser()
    check = hftest.Check('web-browser')
    t0 = time.time()
    with hftest.tempdir('hfbrowser-') as tmp:
        store = web_view.build_store(check, tmp)
        web = hftest.Web(store)
        b = None
        try:
            b = Browser(check, web)
            d = b.driver

            # ---- overview: the graphs are images, not blank
            b.load('overview', '/')
            imgs = d.find_elements(By.CSS_SELECTOR, 'img[src*="graph.png"]')
            check.ok(imgs, 'overview: no graph images')
            WebDriverWait(d, 60).until(lambda d: all(
                d.execute_script('return arguments[0].complete', im) for im in imgs))
            for im in imgs:
                width, colours = d.execute_script(COLOURS_JS, im)
                src = im.get_attribute('src')
                check.ok(width > 0, 'overview: graph %s not decoded' % src)
                check.ok(colours > 1, 'overview: graph %s is one colour' % src)
                with urllib.request.urlopen(src, timeout=60) as r:
                    check.ok(web_view.png_ok(r.read()), 'graph %s: blank PNG' % src)
            # graphs.js: a dygraph for each; a range dragged on the first
            # (all sources, bits/s) opens the details for that window
            divs = b.dygraphs('overview', len(imgs))
            b.shot('overview')
            if divs:
                width = divs[0].size['width']
                lo, hi = b.drag(divs[0])
                check_window(check, b, 'details of a range', '/details', [lo, hi],
                             2 * (hi - lo) / width)

            # ---- details: the hostname table as the report's
            b.load('details', '/details', WIDE)
            n = int(d.find_element(By.CSS_SELECTOR, 'form input[name="n"]').get_attribute('value'))
            rows, want, want_total = report_names(store, n)
            check.eq('details: hostnames as hostflow-report --by hostname', want, page_names(b))
            check.eq('details: total flows as hostflow-report', want_total, b.total_flows())
            b.shot('details')

            # the CSV export the hostname table links to
            link = d.find_element(By.CSS_SELECTOR, '#top-hostname p.export a[href*="top.csv"]')
            with urllib.request.urlopen(link.get_attribute('href'), timeout=60) as r:
                ct = r.headers.get('Content-Type', '')
                got = list(csv.DictReader(io.StringIO(r.read().decode())))
            check.ok(ct.startswith('text/csv'), 'CSV export: content type %r' % ct)
            check.eq('CSV export rows as hostflow-report --csv', rows, got)

            # ---- a filter through the form
            box = d.find_element(By.CSS_SELECTOR, 'form input[name="filter"]')
            box.clear()
            box.send_keys(FILTER)
            old = d.find_element(By.TAG_NAME, 'html')
            d.find_element(By.CSS_SELECTOR, 'form button').click()
            WebDriverWait(d, 60).until(EC.staleness_of(old))
            check.ok('filter=' in d.current_url, 'the form sent no filter: ' + d.current_url)
            b.page_checks('details, filtered')
            frows, fwant, ftotal = report_names(store, n, FILTER)
            check.ok(ftotal and ftotal < want_total, 'the filter selects some flows: %r of %r'
                     % (ftotal, want_total))
            check.eq('filtered details: total flows as the report', ftotal, b.total_flows())
            check.eq('filtered details: hostnames as the report', fwant, page_names(b))
            check.eq('filtered details: only the crafted name', [SCRIPT.decode()], page_names(b))
            check.eq('the form keeps the filter', FILTER,
                     d.find_element(By.CSS_SELECTOR, 'form input[name="filter"]')
                     .get_attribute('value'))
            check.ok(SCRIPT.decode() in b.text(), 'filtered details: crafted name not shown')

            # ---- the hostile source's details: both crafted names as text
            b.load('details hostile', '/details', dict(WIDE, source='hostile'))
            for name in (SCRIPT, FORMULA):
                check.ok(name.decode() in b.column('hostname'),
                         'details hostile: %r not shown as text' % name)

            # ---- a device page: the device of the crafted records
            dev = web_view.flows_hostile_device(web)
            b.load('device', '/device', dict(WIDE, name=dev))
            check.ok(dev in b.text(), 'device page: device %r not named' % dev)
            check.ok(SCRIPT.decode() in b.text(), 'device page: crafted name not shown')
            # its own traffic graph: an SVG image, then a dygraph whose range
            # opens the device page for that window
            im = d.find_element(By.CSS_SELECTOR, '#traffic img')
            WebDriverWait(d, 60).until(lambda d: d.execute_script('return arguments[0].complete', im))
            width, colours = d.execute_script(COLOURS_JS, im)
            check.ok(width > 0 and colours > 1, 'device graph: %d px wide, %d colours'
                     % (width, colours))
            ddivs = b.dygraphs('device', 1)
            b.shot('device')
            if ddivs:
                width = ddivs[0].size['width']
                lo, hi = b.drag(ddivs[0])
                q = check_window(check, b, 'device page of a range', '/device', [lo, hi],
                                 2 * (hi - lo) / width)
                check.eq('device page of a range: the device', [dev], q.get('name'))

            # ---- the flows page
            b.load('flows', '/flows', WIDE)
            rows_ = d.find_elements(By.CSS_SELECTOR, 'table.flows tbody tr')
            check.ok(len(rows_) > 1, 'flows page: %d rows' % len(rows_))
            check.ok(SCRIPT.decode() in b.text(), 'flows page: crafted name not shown')
            b.shot('flows')
        finally:
            if b:
                b.quit()
            code, err = web.stop()
        check.ok(hftest.sanitizer_report(err) is None,
                 'hostflow-web sanitizer report: %s' % err[-3000:])
    print('web-browser: %.1f s, screenshots in %s' % (time.time() - t0, SHOTS))
    check.finish()


if __name__ == '__main__':
    main()
