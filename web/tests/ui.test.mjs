// End-to-end tests of the web UI in headless Chromium (playwright-core and
// the system's Chromium), against the live server that run-tests.sh started
// and loaded. Tests run in order: the live one adds a claim at the end.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { chromium } from "playwright-core";

const BASE = process.env.BASE_URL;
const BEFORE = process.env.BEFORE; // ISO time between ingest and correction
const OUT = new URL("./output/", import.meta.url).pathname;
assert.ok(BASE && BEFORE, "run through web/run-tests.sh");

let browser;
const problems = []; // console errors, CSP violations, off-origin requests

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    // A non-persistent launch runs on a fresh, temporary user data dir.
  });
});

after(async () => {
  await browser?.close();
  assert.deepEqual(problems, [], "no console errors and no requests off the page's origin");
});

async function newPage(viewport = { width: 1280, height: 900 }, mobile = false) {
  const context = await browser.newContext({
    viewport, isMobile: mobile, hasTouch: mobile, deviceScaleFactor: mobile ? 2 : 1, timezoneId: "UTC", locale: "en-GB",
  });
  const page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(BASE) || url.startsWith("data:")) return route.continue();
    problems.push(`off-origin request: ${url}`);
    return route.abort();
  });
  return page;
}

/** Sum of the chart's bars and the number of list items. */
async function counts(page) {
  return page.evaluate(() => ({
    chart: [...document.querySelectorAll("#chart g.bar")].reduce((n, g) => n + Number(g.dataset.count), 0),
    list: document.querySelectorAll("#claim-list li").length,
  }));
}

/** Runs `action` (which navigates) and waits for the new view to render. */
async function navigate(page, action) {
  const before = await page.evaluate(() => Number(document.body.dataset.renders ?? 0));
  await action();
  await page.waitForFunction(
    (n) => Number(document.body.dataset.renders ?? 0) > n && document.body.dataset.state === "ready",
    before,
  );
}

async function marked(page) {
  return page.$$eval("#article-body mark", (ms) => ms.map((m) => m.textContent));
}

async function searchEkwall(page) {
  await page.goto(`${BASE}/`);
  await page.waitForFunction(() => document.body.dataset.state === "ready");
  // Keyboard only: the search box has focus; a typo still finds him; Enter
  // searches, the first match gets focus, Enter opens it.
  assert.equal(await page.evaluate(() => document.activeElement?.id), "speaker-q");
  await page.keyboard.type("tomas ekwal");
  await navigate(page, () => page.keyboard.press("Enter"));
  assert.match(await page.evaluate(() => document.activeElement?.textContent ?? ""), /Tomas Ekwall/);
  await navigate(page, () => page.keyboard.press("Enter"));
}

test("speaker search, chart, paging and filters", async () => {
  const page = await newPage();
  await searchEkwall(page);
  assert.equal(await page.textContent("h2"), "Tomas Ekwall person");
  assert.deepEqual(await counts(page), { chart: 4, list: 4 });
  assert.equal(await page.$$eval("#chart g.bar", (gs) => gs.map((g) => g.dataset.label).join(",")),
    "Jun 2025,Jul 2025,Aug 2025,Sep 2025");
  await page.screenshot({ path: `${OUT}desktop-speaker.png`, fullPage: true });

  // Pages of three: the list pages with tokens, the chart shows everything.
  await navigate(page, () => page.goto(page.url() + "?ps=3"));
  assert.deepEqual(await counts(page), { chart: 4, list: 3 });
  await page.click("#more");
  await page.waitForFunction(() => document.querySelectorAll("#claim-list li").length === 4);
  assert.equal(await page.isHidden("#more"), true);
  assert.match(await page.textContent("#list-count"), /Showing 4 of 4/);

  // Subject filter, then text: Enter in the text box applies the form.
  await page.selectOption("#f-subject", { label: "Valdoria" });
  await page.focus("#f-q");
  await navigate(page, () => page.keyboard.press("Enter"));
  assert.match(page.url(), /subject=/);
  assert.deepEqual(await counts(page), { chart: 3, list: 3 });
  await page.fill("#f-q", "favours");
  await navigate(page, () => page.keyboard.press("Enter"));
  assert.match(page.url(), /q=favours/);
  assert.deepEqual(await counts(page), { chart: 1, list: 1 });
  // Time range: June only (inclusive), any subject.
  await page.selectOption("#f-subject", "");
  await page.fill("#f-q", "");
  await page.fill("#f-after", "2025-06-01");
  await page.fill("#f-before", "2025-06-30");
  await navigate(page, () => page.click("#filters button[type=submit]"));
  assert.match(page.url(), /before=2025-06-30/);
  assert.deepEqual(await counts(page), { chart: 3, list: 3 });
  await page.context().close();
});

test("claim view highlights the quote by code points, with appearances", async () => {
  const page = await newPage();
  await searchEkwall(page);
  // The split quote of the worked example: two spans, joined by one space.
  await navigate(page, () => page.click("#claim-list a:has-text('We did not come here')"));
  const quote = await page.textContent("#claim-text");
  const parts = await marked(page);
  assert.equal(parts.length, 2);
  assert.equal(parts.join(" "), quote);
  assert.match(await page.textContent("main"), /Cue/);

  // The remark carried by two outlets; the second body has emoji and
  // astral-plane letters before the quote (UTF-16 offsets would be off).
  await navigate(page, () => page.goBack());
  await navigate(page, () => page.click("#claim-list a:has-text('a partner that keeps its word')"));
  assert.equal((await page.$$("#appearances li")).length, 2);
  const first = await page.textContent("#appearances li:has(.first)");
  assert.match(first, /Meridian Wire/);
  await navigate(page, () => page.click("#appearances li:has-text('Harbour Times') a"));
  assert.match(await page.textContent(".source"), /Harbour Times/);
  assert.deepEqual(await marked(page), ["a partner that keeps its word"]);
  assert.equal(await page.textContent("#claim-text"), "a partner that keeps its word");
  assert.match(await page.textContent("main"), /Via\s*Meridian Wire/);
  await page.screenshot({ path: `${OUT}desktop-claim.png`, fullPage: true });
  await page.context().close();
});

test("as of before a correction shows the old text", async () => {
  const page = await newPage();
  await searchEkwall(page);
  await navigate(page, () => page.click("#claim-list a:has-text('We will finish the port')"));
  const now = "We will finish the port by 2027, whatever the cost.";
  assert.equal(await page.textContent("#claim-text"), now);
  assert.deepEqual(await marked(page), [now]);
  const revs = await page.$$eval("table.revisions tbody tr", (rs) => rs.map((r) => r.textContent));
  assert.equal(revs.length, 2);
  assert.match(revs[1], /corrected.*web-test-editor.*quote was cut short/);

  // The picker is local time; the browser runs in UTC.
  await page.fill("#asof", BEFORE.replace("Z", ""));
  await navigate(page, () => page.press("#asof", "Enter"));
  assert.match(await page.textContent(".asof-note"), /revision 1/);
  assert.equal(await page.textContent("#claim-text"), "We will finish the port");
  assert.deepEqual(await marked(page), ["We will finish the port"]);
  // The correction is listed, marked as made after that moment.
  assert.match(await page.textContent("table.revisions tr.later"), /2 \(later\).*quote was cut short/);
  await page.screenshot({ path: `${OUT}desktop-asof.png`, fullPage: true });

  // The speaker page keeps the time: the list shows the old text too.
  await navigate(page, () => page.click(".crumbs a"));
  const texts = await page.$$eval("#claim-list .claim-text", (as) => as.map((a) => a.textContent));
  assert.ok(texts.includes("“We will finish the port”"), texts.join("|"));
  assert.match(await page.textContent("#live-state"), /off/);
  await navigate(page, () => page.click("#asof-clear"));
  assert.doesNotMatch(page.url(), /asof/);
  const nowTexts = await page.$$eval("#claim-list .claim-text", (as) => as.map((a) => a.textContent));
  assert.ok(nowTexts.includes(`“${now}”`));
  await page.context().close();
});

test("phone layout has no horizontal scrolling", async () => {
  const page = await newPage({ width: 390, height: 844 }, true);
  await searchEkwall(page);
  await page.screenshot({ path: `${OUT}phone-speaker.png`, fullPage: true });
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok((await overflow()) <= 0, "speaker page fits");
  await navigate(page, () => page.click("#claim-list a:has-text('We will finish the port')"));
  await page.screenshot({ path: `${OUT}phone-claim.png`, fullPage: true });
  assert.ok((await overflow()) <= 0, "claim page fits");
  await page.context().close();
});

test("live: a new claim appears without a reload", async () => {
  const page = await newPage();
  await searchEkwall(page);
  await page.waitForSelector("#live-state.on");
  await new Promise((r) => setTimeout(r, 500)); // let the stream open
  await promisify(execFile)(process.env.CLAIMDB_BIN, [
    "ingest", "--server", process.env.CLAIMDB_SERVER, new URL("./fixtures/live_ships.json", import.meta.url).pathname,
  ]);
  await page.waitForSelector("#claim-list li.fresh:has-text('the first ships will dock next spring')", { timeout: 15000 });
  assert.deepEqual(await counts(page), { chart: 5, list: 5 });
  assert.match(await page.textContent("#list-count"), /Showing 5 of 5/);
  await page.screenshot({ path: `${OUT}desktop-live.png`, fullPage: true });
  await page.context().close();
});
