// Headless Chromium check of rasso's web UI: sign in, open the caseload (filter it in place with
// htmx), open a case, record that the victim was informed and see the finding turn met in place
// (htmx, no page load); then the same pages with JavaScript off (the forms post and redirect);
// axe-core on every page visited (WCAG 2.2 AA).
// Usage: node check.mjs BASE_URL USERNAME PASSWORD CASE_PATH
// Driven by crates/web/tests/browser.rs, which starts the server and seeds the case.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const [base, username, password, casePath] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const executablePath = process.env.RASSO_CHROMIUM || '/usr/bin/chromium';

const failures = [];
const checked = [];

async function axe(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } }));
  checked.push(label);
  for (const v of result.violations) {
    failures.push(`${label}: axe ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }
}

function expect(condition, message) {
  if (!condition) failures.push(message);
}

const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  await page.goto(`${base}/sign-in`);
  await axe(page, 'sign-in');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(`${base}/`), page.click('#sign-in')]);
  expect((await page.textContent('h1')).includes('Welcome'), 'home page after sign-in');
  expect((await page.content()).includes('nom/introduction'), 'introductory toolkits offered');
  await axe(page, 'home');

  await page.click('text=My caseload');
  await page.waitForSelector('#caseload');
  await axe(page, 'caseload');
  // htmx: choosing a filter replaces the results in place and puts the filter in the address.
  await page.selectOption('#show', 'overdue');
  await page.waitForURL(/show=overdue/);
  expect(page.url().includes('show=overdue'), 'the filter is in the address');
  await page.selectOption('#show', 'all');
  await page.waitForURL(/show=all/);
  await page.waitForSelector('#caseload');
  const link = page.locator(`#caseload a[href="${casePath}"]`);
  expect((await link.count()) === 1, `caseload links to ${casePath}`);

  await Promise.all([page.waitForURL(`${base}${casePath}`), link.click()]);
  const row = 'tr[data-rule="VC-INFORM"][data-trigger="suspect_arrested"][data-person="V1"]';
  expect((await page.getAttribute(row, 'data-status')) === 'due', 'VC-INFORM is due before');
  await axe(page, 'case');

  await page.selectOption('#vi-person', 'V1');
  await page.selectOption('#vi-about', 'arrest');
  // With JavaScript, htmx posts the form and swaps the findings panel in place: no page load.
  let loads = 0;
  page.on('load', () => { loads += 1; });
  await page.click('#record-victim-informed');
  await page.waitForSelector(`${row}[data-status="met"]`);
  expect(loads === 0, 'recorded without a page load');
  expect(page.url() === `${base}${casePath}`, 'the address did not change');
  expect((await page.locator('#recorded').count()) === 1, 'recorded banner shown');
  expect((await page.locator('#timeline li', { hasText: 'Victim informed' }).count()) >= 1, 'the timeline updated too');
  await axe(page, 'case after recording');

  // Without JavaScript, the same forms post and redirect.
  const plain = await browser.newContext({ javaScriptEnabled: false });
  const noScript = await plain.newPage();
  await noScript.goto(`${base}/sign-in`);
  await noScript.fill('#username', username);
  await noScript.fill('#password', password);
  await Promise.all([noScript.waitForURL(`${base}/`), noScript.click('#sign-in')]);
  await noScript.goto(`${base}/caseload?show=overdue`);
  expect((await noScript.locator('#show').inputValue()) === 'overdue', 'filter without JavaScript');
  await noScript.goto(`${base}${casePath}`);
  await noScript.click('text=Decision log entry or note');
  await noScript.fill('#note-text', 'recorded without JavaScript');
  await Promise.all([noScript.waitForURL(/recorded=1/), noScript.click('text=Add note')]);
  expect((await noScript.locator('#timeline li', { hasText: 'recorded without JavaScript' }).count()) === 1, 'note recorded without JavaScript');
  await plain.close();

  await page.goto(`${base}/guidance/nom/introduction`);
  await axe(page, 'guidance page');
  await page.goto(`${base}/guidance?q=bail`);
  await axe(page, 'guidance search');
  expect(errors.length === 0, `no console errors (CSP violations show here): ${errors.join('; ')}`);
} finally {
  await browser.close();
}

console.log(JSON.stringify({ checked, failures }, null, 1));
process.exit(failures.length === 0 ? 0 : 1);
