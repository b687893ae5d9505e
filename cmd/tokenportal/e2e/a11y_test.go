package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// The third-party accessibility checkers of the browser tests: axe-core runs
// in each page as rendered, html-validate reads each page's HTML as served.
// `make a11y-tools` installs them (npm ci, exact versions in a11y/package.json)
// into a11y/node_modules, or $E2E_A11Y_TOOLS names another folder holding
// node_modules.

// phoneWidth is the narrowest window every page must fit without scrolling
// sideways (WCAG 1.4.10 Reflow asks 320 CSS px; 390 px is a common phone).
const phoneWidth = 390

// axeTags are the axe-core rules the pages must pass: WCAG 2.0, 2.1 and 2.2
// at levels A and AA, and axe's best practices.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}

// a11yTools is the folder with node_modules of the checkers. When they are
// missing the test skips, or fails under E2E_REQUIRE_BROWSER (CI).
func a11yTools(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("E2E_A11Y_TOOLS")
	if dir == "" {
		dir = "a11y"
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"node_modules/axe-core/axe.min.js", "node_modules/html-validate/package.json"} {
		if _, err := os.Stat(filepath.Join(abs, f)); err != nil {
			msg := fmt.Sprintf("accessibility checkers not installed in %s (run `make a11y-tools`): %v", abs, err)
			if os.Getenv("E2E_REQUIRE_BROWSER") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	return abs
}

// pageChecker runs every check on a page once per page and language: axe-core,
// the served HTML kept for html-validate (run once for all pages when the test
// ends), and the width at phoneWidth.
type pageChecker struct {
	t       *testing.T
	tools   string
	axe     string // axe.min.js
	htmlDir string
	done    map[string]bool   // name and language already checked
	files   map[string]string // saved HTML file → page name, language and URL
	// strict: problems fail the test; otherwise they are returned only
	// (the test of the checkers themselves).
	strict bool
}

// newPageChecker loads the checkers, and validates the saved HTML of every
// checked page when the test ends.
func newPageChecker(t *testing.T) *pageChecker {
	t.Helper()
	tools := a11yTools(t)
	src, err := os.ReadFile(filepath.Join(tools, "node_modules/axe-core/axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	c := &pageChecker{t: t, tools: tools, axe: string(src), htmlDir: t.TempDir(),
		done: map[string]bool{}, files: map[string]string{}, strict: true}
	t.Cleanup(func() {
		for _, problem := range c.validateHTML() {
			t.Error(problem)
		}
	})
	return c
}

// check runs the checks on the page p shows, called name, unless this page
// was checked in its language before. It returns the problems found; in a
// strict checker each is also a test error.
func (c *pageChecker) check(p *tab, name string) []string {
	c.t.Helper()
	lang := tabEval[string](p, "read the language", `document.documentElement.lang`)
	key := lang + "-" + regexp.MustCompile(`[^A-Za-z0-9-]+`).ReplaceAllString(name, "-")
	if c.done[key] {
		return nil
	}
	c.done[key] = true
	where := fmt.Sprintf("%s in %s (%s)", name, lang, p.path())
	var problems []string
	for _, v := range p.axe(c.axe) {
		problems = append(problems, fmt.Sprintf("%s: axe %s (%s, %s): %s", where, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "; ")))
	}
	for _, o := range p.overflowAt(phoneWidth) {
		problems = append(problems, fmt.Sprintf("%s at %d px: %s", where, phoneWidth, o))
	}
	if html, err := p.servedHTML(); err != nil {
		problems = append(problems, fmt.Sprintf("%s: read the HTML as served: %v", where, err))
	} else {
		file := filepath.Join(c.htmlDir, key+".html")
		if err := os.WriteFile(file, html, 0o644); err != nil {
			c.t.Fatal(err)
		}
		c.files[file] = where
	}
	if c.strict {
		for _, pr := range problems {
			c.t.Error(pr)
		}
	}
	return problems
}

// probe is a checker that only returns what it finds, for pages broken on
// purpose.
func (c *pageChecker) probe() *pageChecker {
	return &pageChecker{t: c.t, tools: c.tools, axe: c.axe, htmlDir: c.t.TempDir(), done: map[string]bool{}, files: map[string]string{}}
}

// axeViolation is one failed axe rule on a page.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"` // CSS selector of each element and what to fix
}

// axe runs axe-core (source src) in the page. DevTools evaluates it, so the
// Content-Security-Policy, which allows no such script, stays as it is.
func (p *tab) axe(src string) []axeViolation {
	p.b.t.Helper()
	if !tabEval[bool](p, "is axe loaded", `typeof window.axe === 'object'`) {
		p.do("load axe-core", chromedp.Evaluate[chromedp.Void](src))
	}
	tags, _ := json.Marshal(axeTags)
	return tabRun(p, "run axe-core", chromedp.Evaluate[[]axeViolation](`axe.run(document, {runOnly: {type: 'tag', values: `+string(tags)+`}, resultTypes: ['violations']})
		.then(r => r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
			nodes: v.nodes.map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\s+/g, ' ').trim())})))`,
		chromedp.EvalAwaitPromise))
}

// overflowJS finds what makes the page wider than its window: the page's
// scroll width, and the elements that stick out of the window and out of
// their parent (not those inside an element that scrolls on its own, as a
// wide table in its wrapper may).
const overflowJS = `(() => {
	const doc = document.documentElement, out = [];
	const desc = e => {
		let d = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '');
		if (typeof e.className === 'string' && e.className.trim()) d += '.' + e.className.trim().split(/\s+/).join('.');
		const t = (e.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 40);
		return d + (t ? ' "' + t + '"' : '') + ' (' + Math.round(e.getBoundingClientRect().left) + ' to ' + Math.round(e.getBoundingClientRect().right) + ' px)';
	};
	const scrolls = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) { const x = getComputedStyle(a).overflowX; if (x === 'auto' || x === 'scroll') return true; } return false; };
	if (doc.scrollWidth > doc.clientWidth) {
		const wide = e => e.getBoundingClientRect().right > doc.clientWidth + 1 && !scrolls(e);
		// Those wider than their parent, or the innermost wide ones.
		// A block whose text runs out of it (a long word) spills.
		const spills = e => { const s = getComputedStyle(e); return s.display !== 'inline' && s.overflowX === 'visible' &&
			e.scrollWidth > e.clientWidth + 1 && e.getBoundingClientRect().left + e.scrollWidth > doc.clientWidth + 1 && !scrolls(e); };
		// Those wider than their parent, or the innermost wide or spilling ones.
		const culprits = Array.from(document.body.querySelectorAll('*')).filter(e =>
			(wide(e) && (e.getBoundingClientRect().right > e.parentElement.getBoundingClientRect().right + 1 || !Array.from(e.children).some(wide))) ||
			(spills(e) && !Array.from(e.children).some(spills)));
		out.push('the page is ' + doc.scrollWidth + ' px wide in a ' + doc.clientWidth + ' px window; sticking out: ' +
			(culprits.slice(0, 4).map(desc).join('; ') || 'unknown'));
	}
	// A link or button cut off by an ancestor that hides what overflows
	// cannot be reached; one in a scrolling wrapper can.
	for (const e of document.querySelectorAll('a[href], button, input, select, textarea')) {
		const r = e.getBoundingClientRect();
		if (r.width < 1 || r.height < 1) continue;
		for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
			const s = getComputedStyle(a);
			if (s.overflowX !== 'hidden' && s.overflowX !== 'clip') continue;
			const b = a.getBoundingClientRect();
			if (b.width > 1 && (r.right > b.right + 1 || r.left < b.left - 1)) out.push('cut off by its container: ' + desc(e));
			break;
		}
	}
	return out;
})()`

// overflowAt narrows the window to width (unless it is that narrow already),
// reports what makes the page scroll sideways, and restores the window.
func (p *tab) overflowAt(width int64) []string {
	p.b.t.Helper()
	was := tabEval[int64](p, "read the width", `window.innerWidth`)
	if was <= width {
		return tabEval[[]string](p, "look for sideways scroll", overflowJS)
	}
	p.do(fmt.Sprintf("narrow the window to %d px", width), chromedp.EmulateViewport(width, 844))
	p.waitWidth(width)
	out := tabEval[[]string](p, "look for sideways scroll", overflowJS)
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{}); err != nil {
		p.fatalf("restore the window: %v", err)
	}
	p.waitWidth(was)
	return out
}

// waitWidth waits until the page's window is width wide and has drawn a
// frame at it: a click right after a change of the window's size may land
// where the button was before.
func (p *tab) waitWidth(width int64) {
	p.b.t.Helper()
	js := fmt.Sprintf(`new Promise(done => {
		const deadline = Date.now() + 10000;
		const poll = () => window.innerWidth === %d || Date.now() > deadline ? setTimeout(() => done(window.innerWidth), 50) : setTimeout(poll, 20);
		poll();
	})`, width)
	if got := tabRun(p, "wait for the window's width", chromedp.Evaluate[int64](js, chromedp.EvalAwaitPromise)); got != width {
		p.fatalf("the window is %d px wide, not %d", got, width)
	}
}

// servedDoc remembers the last page (document) a tab received, to read its
// HTML as served: the text the browser parsed, not the DOM it made of it.
type servedDoc struct {
	mu  sync.Mutex
	id  network.RequestID
	url string
}

func (d *servedDoc) listen(ev any) {
	if r, ok := ev.(*network.EventResponseReceived); ok && r.Type == network.ResourceTypeDocument {
		d.mu.Lock()
		d.id, d.url = r.RequestID, r.Response.URL
		d.mu.Unlock()
	}
}

// servedHTML is the body of the response that the tab shows.
func (p *tab) servedHTML() ([]byte, error) {
	p.doc.mu.Lock()
	id := p.doc.id
	p.doc.mu.Unlock()
	if id == "" {
		return nil, fmt.Errorf("no page received yet")
	}
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	r, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: id})
	if err != nil {
		return nil, err
	}
	if r.Base64encoded {
		return nil, fmt.Errorf("the page came as binary")
	}
	return []byte(r.Body), nil
}

// htmlMessage is one message of html-validate's JSON formatter.
type htmlMessage struct {
	RuleID   string `json:"ruleId"`
	Severity int    `json:"severity"` // 2: error
	Message  string `json:"message"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Selector string `json:"selector"`
}

// validateHTML runs html-validate once on every saved page, with the
// committed configuration a11y/.htmlvalidate.mjs, and returns its errors
// and warnings, one line each.
func (c *pageChecker) validateHTML() []string {
	if len(c.files) == 0 {
		return nil
	}
	files := make([]string, 0, len(c.files))
	for f := range c.files {
		files = append(files, f)
	}
	sort.Strings(files)
	return c.runValidator(files)
}

func (c *pageChecker) runValidator(files []string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	report := filepath.Join(c.t.TempDir(), "html-validate.json")
	args := append([]string{filepath.Join(c.tools, "node_modules/html-validate/bin/html-validate.mjs"),
		"--config", filepath.Join(c.tools, ".htmlvalidate.mjs"), "--formatter", "json=" + report}, files...)
	out, runErr := exec.CommandContext(ctx, "node", args...).CombinedOutput()
	var results []struct {
		FilePath string        `json:"filePath"`
		Messages []htmlMessage `json:"messages"`
	}
	buf, err := os.ReadFile(report)
	if err == nil {
		err = json.Unmarshal(buf, &results)
	}
	if err != nil {
		if runErr == nil {
			return nil // no report: nothing to say
		}
		return []string{fmt.Sprintf("html-validate: %v; %v; %s", runErr, err, out)}
	}
	var problems []string
	for _, r := range results {
		where := c.files[r.FilePath]
		if where == "" {
			where = r.FilePath
		}
		for _, m := range r.Messages {
			problems = append(problems, fmt.Sprintf("%s: html-validate %s at line %d:%d (%s): %s", where, m.RuleID, m.Line, m.Column, m.Selector, m.Message))
		}
	}
	if len(problems) == 0 && runErr != nil {
		problems = append(problems, fmt.Sprintf("html-validate: %v; %s", runErr, out))
	}
	return problems
}
