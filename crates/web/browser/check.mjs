// Headless Chromium walk through rasso's web UI, every role, with axe-core (WCAG 2.2 A and AA and
// best practice) on every page visited at 1280 px and at 320 px wide, and no horizontal scroll at
// 320 px (WCAG 1.4.10):
// - a supervisor opens a case (allocated to it) and allocates the investigator;
// - the investigator adds the victim and the suspect, then records one event of every kind they
//   may record, each with a past "when did this happen", and sees findings turn met;
// - the supervisor records the kinds only supervisors record;
// - a first responder finds a case outside their team, is offered break-glass and uses it;
// - the investigator shares the case with the partner, who sees it;
// - the leader views the report; the analyst and the administrator see their pages;
// - with JavaScript off, a record form posts and redirects;
// - screenshots of the case page, the caseload and the report are saved.
// Usage: node check.mjs BASE_URL PASSWORD SCREENSHOT_DIR
// Driven by crates/web/tests/browser.rs, which starts the server and seeds its users and cases.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, password, shots] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const executablePath = process.env.RASSO_CHROMIUM || '/usr/bin/chromium';
mkdirSync(shots, { recursive: true });

const failures = [];
const checked = [];
const recorded = [];

function expect(condition, message) {
  if (!condition) failures.push(message);
}

// axe at 1280 px and at 320 px, and no horizontal scroll at 320 px.
async function check(page, label) {
  for (const width of [1280, 320]) {
    await page.setViewportSize({ width, height: 900 });
    await page.evaluate(axeSource);
    const result = await page.evaluate(() =>
      // eslint-disable-next-line no-undef
      axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } }));
    for (const v of result.violations) {
      failures.push(`${label} at ${width}px: axe ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
    if (width === 320) {
      const scroll = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      expect(scroll[0] <= scroll[1], `${label}: horizontal scroll at 320px (${scroll[0]} > ${scroll[1]})`);
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  checked.push(label);
}

async function signIn(browser, username, options = {}, { fakeClock = false } = {}) {
  const context = await browser.newContext(options);
  // A fake clock lets the idle-timeout warning be tested without waiting fifteen minutes: the
  // page's timers run on it, the server's clock does not move.
  if (fakeClock) await context.clock.install();
  const page = await context.newPage();
  page.errors = [];
  // Console errors (CSP violations show here), and any sub-resource the server refused. A page
  // answered 400 or 404 on purpose logs "Failed to load resource" for the document itself.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) page.errors.push(m.text());
  });
  page.on('response', (r) => {
    if (r.request().resourceType() !== 'document' && r.status() >= 400) page.errors.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(`${base}/sign-in`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(`${base}/`), page.click('#sign-in')]);
  return { context, page };
}

// A past local date and time, `days` days ago at 10:00 plus `minutes`.
function past(days, minutes = 0) {
  const at = new Date(Date.now() - days * 86400000);
  at.setHours(10, minutes, 0, 0);
  const pad = (n) => String(n).padStart(2, '0');
  return { date: `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`, time: `${pad(at.getHours())}:${pad(at.getMinutes())}` };
}

// Fills a record form's required fields with plausible values, and the "when" with `when`.
async function fillForm(page, when) {
  await page.fill('#f-when-date', when.date);
  await page.fill('#f-when-time', when.time);
  // Every select without a value: the first real choice.
  for (const select of await page.locator('form#record-form select').all()) {
    const value = await select.inputValue();
    if (value === '') {
      const options = await select.locator('option').evaluateAll((os) => os.map((o) => o.value).filter((v) => v !== ''));
      if (options.length > 0) await select.selectOption(options[0]);
    }
  }
  for (const field of await page.locator('form#record-form textarea').all()) {
    if ((await field.inputValue()) === '') await field.fill('Recorded in the browser walk-through');
  }
  for (const field of await page.locator('form#record-form input[type="text"]:not([name$="-other"])').all()) {
    if ((await field.inputValue()) !== '') continue;
    const name = await field.getAttribute('name');
    if (name === 'every_days') await field.fill('14');
    else if (name === 'age_at_offence') await field.fill('30');
    else if (name === 'officer') await field.fill('inv');
    else await field.fill('Item 1');
  }
  for (const field of await page.locator('form#record-form input[type="date"]:not([name$="-date"])').all()) {
    if ((await field.inputValue()) === '') await field.fill(past(-30).date);
  }
}

// Records `kind` on the case at `casePath` through its record page; confirms a breach warning.
async function record(page, casePath, kind, when, extra = async () => {}) {
  await page.goto(`${base}${casePath}/record/${kind}`);
  await fillForm(page, when);
  await extra(page);
  await Promise.all([page.waitForLoadState('load'), page.click('#record-button')]);
  if (await page.locator('#record-anyway').count()) {
    await Promise.all([page.waitForLoadState('load'), page.click('#record-anyway')]);
  }
  const ok = page.url().includes('recorded=');
  if (!ok) {
    const problem = await page.locator('.govuk-error-summary').allTextContents();
    failures.push(`recording ${kind}: still on ${page.url()}: ${problem.join(' ').replace(/\s+/g, ' ').slice(0, 300)}`);
  } else {
    recorded.push(kind);
  }
  return ok;
}

async function status(page, rule, person) {
  const selector = `#findings tr[data-rule="${rule}"]${person ? `[data-person="${person}"]` : ''}`;
  return page.locator(selector).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')));
}

const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
try {
  const anonymous = await browser.newPage();
  await anonymous.goto(`${base}/sign-in`);
  await check(anonymous, 'sign-in');
  await anonymous.goto(`${base}/signed-out`);
  await check(anonymous, 'signed out');
  await anonymous.close();

  // The supervisor opens a case 20 days ago, and allocates the investigator as officer in case.
  const sup = await signIn(browser, 'sup');
  await check(sup.page, 'home (supervisor)');
  await sup.page.goto(`${base}/caseload`);
  await sup.page.click('#new-case');
  await check(sup.page, 'open a case');
  const reference = `WALK-${Date.now() % 100000}`;
  await sup.page.fill('#f-reference', reference);
  const reported = past(20);
  await sup.page.fill('#f-when-date', reported.date);
  await sup.page.fill('#f-when-time', reported.time);
  await sup.page.check('#f-offences');
  await Promise.all([sup.page.waitForURL(/created=1/), sup.page.click('#record-button')]);
  const casePath = `/cases/testshire/${reference}`;
  expect(sup.page.url().startsWith(`${base}${casePath}`), `opened ${casePath}: at ${sup.page.url()}`);
  await record(sup.page, casePath, 'officer_allocated', past(20, 5), async (p) => {
    await p.fill('#f-officer', 'inv');
    await p.selectOption('#f-role', 'oic');
  });

  // The investigator adds the people, then records every kind they may, in the past.
  const inv = await signIn(browser, 'inv');
  await inv.page.goto(`${base}/caseload`);
  await check(inv.page, 'caseload');
  await inv.page.screenshot({ path: join(shots, 'caseload.png'), fullPage: true });
  expect((await inv.page.locator(`#caseload a[href="${casePath}"]`).count()) === 1, 'the new case is on the caseload');
  await record(inv.page, casePath, 'person_added', past(20, 10), async (p) => {
    await p.selectOption('#f-role', 'victim');
    await p.fill('#f-identity-given-name', 'Quillan');
    await p.fill('#f-identity-family-name', 'Marrowby');
  });
  await record(inv.page, casePath, 'person_added', past(20, 11), async (p) => {
    await p.selectOption('#f-role', 'suspect');
    await p.fill('#f-identity-given-name', 'Ostrick');
  });
  await inv.page.goto(`${base}${casePath}`);
  await check(inv.page, 'case (new)');
  expect((await status(inv.page, 'VC-NEEDS', 'V1')).join() !== 'met', 'VC-NEEDS not met before');
  const kinds = await (async () => {
    await inv.page.goto(`${base}${casePath}/record`);
    await check(inv.page, 'record what happened');
    return inv.page.locator('a[data-kind]').evaluateAll((as) => as.map((a) => a.getAttribute('data-kind')));
  })();
  expect(kinds.includes('needs_assessment') && !kinds.includes('case_closed'), `the investigator's kinds: ${kinds}`);
  // Everything on the day of the report, from 10:30 (within every first deadline); bail's end
  // and extension two days later.
  let minutes = 30;
  let formChecked = false;
  for (const kind of kinds) {
    if (kind === 'person_added' || kind === 'officer_allocated') continue;
    minutes += 2;
    const day = kind === 'bail_extended' || kind === 'bail_ended' ? 18 : 20;
    await record(inv.page, casePath, kind, past(day, minutes), async (p) => {
      if (!formChecked) {
        formChecked = true;
        await check(p, `record form (${kind})`);
      }
      if (kind === 'device_extraction') {
        await check(p, 'record form (device extraction)');
        await p.setViewportSize({ width: 320, height: 900 });
        await p.screenshot({ path: join(shots, 'record-form-320.png'), fullPage: true });
        await p.setViewportSize({ width: 1280, height: 900 });
      }
    });
  }
  await inv.page.goto(`${base}${casePath}`);
  for (const [rule, person] of [['VC-NEEDS', 'V1'], ['VC-CONFIRM', 'V1'], ['VC-REFERRAL', 'V1'], ['ISVA-OFFER', 'V1'], ['REC-24H', '']]) {
    const statuses = await status(inv.page, rule, person);
    expect(statuses.includes('met'), `${rule} turned met after recording: ${statuses}`);
  }
  expect((await inv.page.locator('#timeline li').count()) > 30, 'the whole story holds every record');
  await check(inv.page, 'case (after recording)');
  await inv.page.screenshot({ path: join(shots, 'case.png'), fullPage: true });
  // Printed: the marking and the story, no navigation, forms or buttons.
  await inv.page.emulateMedia({ media: 'print' });
  expect(await inv.page.locator('#protective-marking').isVisible(), 'the marking prints');
  expect(await inv.page.locator('#case-summary').isVisible(), 'the summary prints');
  expect(await inv.page.locator('#timeline').isVisible(), 'the story prints');
  expect(!(await inv.page.locator('.govuk-service-navigation').isVisible()), 'no navigation in print');
  expect(!(await inv.page.locator('#record-link').isVisible()), 'no buttons in print');
  await inv.page.pdf({ path: join(shots, 'case-print.pdf') });
  await inv.page.emulateMedia({ media: 'screen' });

  // An error is shown beside its field, with the values kept.
  await inv.page.goto(`${base}${casePath}/record/note`);
  const future = past(-2);
  await inv.page.fill('#f-when-date', future.date);
  await inv.page.fill('#f-text', 'kept after the error');
  await inv.page.click('#record-button');
  await inv.page.waitForSelector('#error-summary');
  expect((await inv.page.locator('#f-when-error').count()) === 1, 'the time error is beside the field');
  expect((await inv.page.inputValue('#f-text')) === 'kept after the error', 'the value is kept');
  await check(inv.page, 'record form with an error');

  // The supervisor records what only supervisors record.
  for (const kind of ['supervisor_review', 'decision_not_to_investigate', 'vrr_decided', 'case_closed']) {
    minutes += 3;
    await record(sup.page, casePath, kind, past(17, minutes), async (p) => {
      if (kind === 'case_closed') {
        await p.selectOption('#f-outcome', '18');
        await p.check('#f-suspect-identified-2');
      }
    });
  }
  await sup.page.goto(`${base}${casePath}`);
  const decisions = await sup.page.locator('#decision-log li').count();
  expect(decisions >= 5, `decisions recorded anywhere are in the decision log (${decisions})`);
  await sup.page.goto(`${base}/team`);
  await check(sup.page, 'team');

  // The investigator shares a case with the partner.
  await inv.page.goto(`${base}/cases/testshire/TS-1`);
  await inv.page.click('text=Share with a partner');
  await inv.page.fill('#share-partner', 'par');
  await inv.page.fill('#share-reason', 'victim asked for ISVA support');
  await Promise.all([inv.page.waitForLoadState('load'), inv.page.click('#share-button')]);
  const par = await signIn(browser, 'par');
  await par.page.goto(`${base}/shared`);
  await check(par.page, 'shared with me');
  expect((await par.page.locator('a[href="/shared/testshire/TS-1"]').count()) >= 1, 'the partner sees the shared case');
  await par.page.goto(`${base}/shared/testshire/TS-1`);
  await check(par.page, 'shared case (partner)');

  // A first responder is offered break-glass on a case of their force outside their team.
  const fr = await signIn(browser, 'fr');
  await fr.page.goto(`${base}/cases/testshire/TS-2`);
  expect((await fr.page.locator('#break-glass-offer').count()) === 1, 'break-glass offered on a case outside the team');
  expect((await fr.page.locator('nav[aria-label="Menu"]').count()) === 1, 'the error page keeps the navigation');
  await check(fr.page, 'not found, break-glass offered');
  await fr.page.click('#break-glass-link');
  await fr.page.fill('#bg-reason', 'safeguarding check on a linked report');
  await Promise.all([fr.page.waitForURL(`${base}/cases/testshire/TS-2`), fr.page.click('text=Open the case')]);
  expect((await fr.page.locator('.govuk-warning-text').count()) === 1, 'the case opens by break-glass');
  await fr.page.goto(`${base}/cases/testshire/NOPE-1`);
  expect((await fr.page.locator('#break-glass-offer').count()) === 0, 'no offer for a case that does not exist');

  // The leader and the analyst see the report; the administrator their start page.
  const lead = await signIn(browser, 'lead');
  await lead.page.goto(`${base}/reports/leaders`);
  await check(lead.page, 'leaders report');
  expect((await lead.page.locator('.rasso-report').count()) === 1, 'the report sits inside the layout');
  expect((await lead.page.locator('.govuk-service-navigation__item--active', { hasText: 'Report' }).count()) === 1, 'the report is the current page');
  await lead.page.screenshot({ path: join(shots, 'report.png'), fullPage: true });
  await lead.page.setViewportSize({ width: 320, height: 900 });
  await lead.page.screenshot({ path: join(shots, 'report-320.png'), fullPage: true });
  await lead.page.setViewportSize({ width: 1280, height: 900 });
  // A wrong date: the error summary links to the field, the message sits beside it, the value stays.
  await lead.page.evaluate(() => { document.querySelector('#f-from').type = 'text'; document.querySelector('#f-from').value = '31/2/2026'; });
  await lead.page.click('#report-button');
  expect((await lead.page.locator('.govuk-error-summary a[href="#f-from"]').count()) === 1, 'report date error in the summary');
  expect((await lead.page.locator('#f-from-error').count()) === 1, 'report date error beside the field');
  await check(lead.page, 'leaders report with an error');
  await lead.page.goto(`${base}/team`);
  await check(lead.page, 'team (leader)');
  const ana = await signIn(browser, 'ana');
  await ana.page.goto(`${base}/guidance/nom/introduction`);
  await check(ana.page, 'guidance page');
  await ana.page.goto(`${base}/guidance?q=bail`);
  await check(ana.page, 'guidance search');
  const adm = await signIn(browser, 'adm');
  await check(adm.page, 'home (administrator)');
  await adm.page.goto(`${base}/admin/users`);
  await check(adm.page, 'users (administrator)');
  expect((await adm.page.locator('tr[data-user="inv"]').count()) === 1, 'the administrator lists the force\'s users');

  // With JavaScript off, a record form posts and redirects.
  const plain = await signIn(browser, 'inv', { javaScriptEnabled: false });
  await record(plain.page, casePath, 'note', past(1), async (p) => p.fill('#f-text', 'recorded without JavaScript'));
  await plain.page.goto(`${base}${casePath}`);
  expect((await plain.page.locator('#timeline li', { hasText: 'recorded without JavaScript' }).count()) === 1, 'note recorded without JavaScript');

  // The idle-timeout warning is on every signed-in page, hidden until two minutes before.
  expect((await inv.page.locator('#idle-warning[hidden]').count()) === 1, 'idle-timeout warning ready');
  // On a fake clock: 13 of the 15 idle minutes pass and the warning shows, with the focus on its
  // button; "Stay signed in" renews the session and hides it; 15 idle minutes later the page goes
  // to the signed-out page.
  const idler = await signIn(browser, 'inv', {}, { fakeClock: true });
  await idler.page.goto(`${base}/caseload`);
  await idler.page.clock.fastForward('12:59');
  expect((await idler.page.locator('#idle-warning[hidden]').count()) === 1, 'no idle warning before 13 idle minutes');
  await idler.page.clock.fastForward('00:02');
  await idler.page.locator('#idle-warning').waitFor({ state: 'visible' });
  expect(await idler.page.evaluate(() => document.activeElement?.id === 'stay-signed-in'), 'the idle warning takes the focus');
  await check(idler.page, 'caseload with the idle warning');
  await idler.page.click('#stay-signed-in');
  await idler.page.locator('#idle-warning').waitFor({ state: 'hidden' });
  await idler.page.clock.fastForward('14:00');
  expect(idler.page.url() === `${base}/caseload`, 'staying signed in restarts the idle time');
  await Promise.all([idler.page.waitForURL(`${base}/signed-out?reason=idle`), idler.page.clock.fastForward('01:01')]);
  expect((await idler.page.locator('#signed-out').count()) === 1, 'after the idle time the page shows the signed-out page');
  // A session that has ended (here: a session token the server does not know) shows the
  // signed-out page, not the sign-in form.
  const [session] = (await inv.context.cookies()).filter((c) => c.name === '__Host-rasso-session');
  await inv.context.addCookies([{ ...session, value: '0'.repeat(64) }]);
  await inv.page.goto(`${base}/caseload`);
  expect(inv.page.url() === `${base}/signed-out`, `a lost session shows the signed-out page: ${inv.page.url()}`);
  expect((await inv.page.locator('#signed-out').count()) === 1, 'signed-out page heading');
  for (const session of [sup, inv, par, fr, lead, ana, adm, idler]) {
    expect(session.page.errors.length === 0, `no console errors (CSP violations show here): ${session.page.errors.join('; ')}`);
  }
} finally {
  await browser.close();
}

console.log(JSON.stringify({ checked, recorded, failures }, null, 1));
process.exit(failures.length === 0 ? 0 : 1);
