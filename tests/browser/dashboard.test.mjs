// The escalation dashboard in a real browser: events go in through POST /api/v1/events, the
// engine applies them, and the numbers on the page must be the API's. Started by run.sh, which
// passes the server's address and the tokens in the environment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.XYP_URL;
const TOKENS = {
  viewer: process.env.XYP_TOKEN_VIEWER,
  clerk: process.env.XYP_TOKEN_CLERK,
  supervisor: process.env.XYP_TOKEN_SUPERVISOR,
  credit: process.env.XYP_TOKEN_CREDIT,
};
const ARTIFACTS = process.env.XYP_ARTIFACTS || tmpdir();
const DOCS_SCREENSHOT = process.env.XYP_DOCS_SCREENSHOT || '';
const WAIT_MS = 30_000;

assert.ok(BASE && TOKENS.viewer && TOKENS.clerk && TOKENS.supervisor && TOKENS.credit,
  'run through run.sh');

// --- The API, as a client would use it -------------------------------------------------------

async function api(pathname, { token = TOKENS.supervisor, method = 'GET', body } = {}) {
  const response = await fetch(BASE + pathname, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body,
  });
  const text = await response.text();
  return { status: response.status, json: text.startsWith('{') ? JSON.parse(text) : null, text };
}

// Polls until check() returns a truthy value; bounded, and never a blind sleep of the whole time.
async function until(what, check, limitMs = WAIT_MS) {
  const deadline = Date.now() + limitMs;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// --- A scripted day (and three weeks) at the Shilong service centre --------------------------

// A resident id (GB 11643) with its check character.
function personId(serial) {
  const first = `41040219880101${String(serial).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first].reduce((acc, d, i) => acc + Number(d) * weights[i], 0);
  return first + '10X98765432'[sum % 11];
}

let seq = 0;
function envelope(type, applicant, caseId, at, data) {
  seq += 1;
  const e = { id: `web-${String(seq).padStart(3, '0')}`, type, at, data };
  if (applicant) e.applicant_id = personId(applicant);
  if (caseId) e.case_id = caseId;
  // The actor is the token's holder: run.sh gives the clerk's token the id clerk-07.
  if (type.startsWith('case.')) e.actor = { id: 'clerk-07', role: 'clerk' };
  return e;
}

const FOOD_MAIN = ['application_form', 'business_license', 'id_card', 'premises_lease', 'floor_plan', 'food_safety_rules'];
const CONSTRUCTION_ALL = ['application_form', 'land_use_certificate', 'planning_permit', 'construction_contract',
  'construction_drawing_review', 'funds_proof', 'supervision_contract', 'safety_measures'];
const FREIGHT_ALL = ['application_form', 'business_license', 'id_card', 'vehicle_license', 'driver_qualification',
  'safety_rules', 'parking_lease', 'vehicle_inspection_report'];
const HR_ALL = ['application_form', 'business_license', 'staff_qualifications', 'premises_lease', 'service_rules', 'equipment_list'];
const HYGIENE_MAIN = ['application_form', 'business_license', 'id_card', 'premises_lease', 'hygiene_rules', 'floor_plan',
  'hygiene_inspection_report'];
const TOBACCO_ALL = ['application_form', 'business_license', 'id_card', 'premises_lease', 'floor_plan'];
const DRUG_ALL = ['application_form', 'business_license', 'id_card', 'premises_lease', 'floor_plan',
  'pharmacist_certificate', 'quality_rules', 'equipment_list', 'health_certificate'];

const NAMES = ['赵一', '钱二', '孙三', '李四', '周五', '吴六', '郑七', '王八', '冯九'];

function apply(applicant, caseId, at, matter, materials) {
  return envelope('case.apply', applicant, caseId, at, {
    matter,
    applicant: { kind: 'person', name: NAMES[applicant - 1], contact: `1380000${String(applicant).padStart(4, '0')}` },
    channel: 'window', credit_track: true, commitment_signed: true, materials,
  });
}
const accept = (a, c, at, materials) => envelope('case.accept', a, c, at, { materials, verdict: 'accept' });
const credit = (a, at, grade, extra = {}) =>
  envelope('credit.update', a, null, at, { grade, source: 'credit-platform', ...extra });
const advance = (to) => envelope('clock.advance', null, null, to, { to });

function scenario() {
  const d1 = '2026-11-23T09:';
  return [
    advance('2026-11-23T08:30:00+08:00'),
    credit(1, `${d1}00:00+08:00`, 'AAA'), credit(2, `${d1}00:00+08:00`, 'AA'),
    credit(3, `${d1}00:00+08:00`, 'A'), credit(4, `${d1}00:00+08:00`, 'AAA'),
    credit(5, `${d1}00:00+08:00`, 'AAA'), credit(6, `${d1}00:00+08:00`, 'B'),
    credit(7, `${d1}00:00+08:00`, 'AAA'),
    // Deficiency acceptance: two auxiliary certificates still to come.
    apply(1, 'SL-2026-0001', `${d1}10:00+08:00`, 'FOOD-OPERATION', [...FOOD_MAIN, 'equipment_list']),
    accept(1, 'SL-2026-0001', `${d1}15:00+08:00`, [...FOOD_MAIN, 'equipment_list']),
    // Complete, and never decided: warned, then overdue.
    apply(2, 'SL-2026-0002', `${d1}11:00+08:00`, 'CONSTRUCTION-PERMIT', CONSTRUCTION_ALL),
    accept(2, 'SL-2026-0002', `${d1}16:00+08:00`, CONSTRUCTION_ALL),
    apply(3, 'SL-2026-0003', `${d1}12:00+08:00`, 'ROAD-FREIGHT', FREIGHT_ALL),
    accept(3, 'SL-2026-0003', `${d1}17:00+08:00`, FREIGHT_ALL),
    // Decided in time.
    apply(4, 'SL-2026-0004', `${d1}13:00+08:00`, 'HR-SERVICE', HR_ALL),
    accept(4, 'SL-2026-0004', `${d1}18:00+08:00`, HR_ALL),
    envelope('case.decide', 4, 'SL-2026-0004', `${d1}40:00+08:00`, { outcome: 'approve', reason: '材料齐全' }),
    envelope('case.feedback', 4, 'SL-2026-0004', `${d1}45:00+08:00`, { rating: 'very_satisfied' }),
    // Deficiency, cured later.
    apply(5, 'SL-2026-0005', `${d1}14:00+08:00`, 'PUBLIC-PLACE-HYGIENE', HYGIENE_MAIN),
    accept(5, 'SL-2026-0005', `${d1}19:00+08:00`, HYGIENE_MAIN),
    // Below A: the standard track, denied.
    apply(6, 'SL-2026-0006', `${d1}20:00+08:00`, 'TOBACCO-RETAIL', TOBACCO_ALL),
    accept(6, 'SL-2026-0006', `${d1}21:00+08:00`, TOBACCO_ALL),
    envelope('case.decide', 6, 'SL-2026-0006', `${d1}50:00+08:00`, { outcome: 'deny', reason: '布局不符合规定' }),
    // Blacklisted while the case is open: facilitation withdrawn.
    apply(7, 'SL-2026-0007', `${d1}22:00+08:00`, 'DRUG-RETAIL', DRUG_ALL),
    credit(7, `${d1}55:00+08:00`, 'D', { blacklisted: true }),
    advance('2026-12-07T09:00:00+08:00'),
    envelope('case.supplement', 5, 'SL-2026-0005', '2026-12-07T09:30:00+08:00', { materials: ['health_certificate'] }),
    credit(8, '2026-12-07T09:00:00+08:00', 'AAA'),
    apply(8, 'SL-2026-0008', '2026-12-07T10:00:00+08:00', 'FOOD-OPERATION', [...FOOD_MAIN, 'equipment_list']),
    accept(8, 'SL-2026-0008', '2026-12-07T11:00:00+08:00', [...FOOD_MAIN, 'equipment_list']),
    advance('2026-12-18T18:00:00+08:00'),
  ];
}

// --- The browser ---------------------------------------------------------------------------

let browser;
let profileDir;

before(async () => {
  // A fresh profile each run; Playwright passes it as --user-data-dir.
  profileDir = mkdtempSync(path.join(tmpdir(), 'xyp-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.XYP_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close();
  rmSync(profileDir, { recursive: true, force: true });
});

async function openDashboard(token) {
  const page = await browser.newPage();
  await page.goto(`${BASE}/?refresh=1`);
  await page.fill('[data-testid="token-input"]', token);
  await page.click('[data-testid="login-button"]');
  await page.waitForSelector('body[data-loaded="true"]', { timeout: WAIT_MS });
  return page;
}

const text = (page, testId) => page.textContent(`[data-testid="${testId}"]`);
const rows = (page, testId) => page.locator(`[data-testid="${testId}"] tr`).count();

test('events posted through the API are applied and shown on the dashboard as the API reports them',
  async () => {
    for (const event of scenario()) {
      // Each kind of event from the role that may send it.
      const token = event.type === 'clock.advance' ? TOKENS.supervisor
        : event.type === 'credit.update' ? TOKENS.credit : TOKENS.clerk;
      const r = await api('/api/v1/events', { token, method: 'POST', body: JSON.stringify(event) });
      assert.equal(r.status, 202, `${event.id} ${event.type}: ${r.text}`);
    }
    // Processed: every partition's consumer group has read and acknowledged everything, and the
    // engine's clock reached the last advance.
    await until('the engine to apply every event', async () => {
      const health = await fetch(`${BASE}/healthz`).then((r) => r.json());
      const summary = (await api('/api/v1/summary')).json;
      return health.partitions.every((p) => p.lag === 0 && p.pending === 0) &&
        summary.as_of.startsWith('2026-12-18T18:00') && summary.total_cases === 8;
    });

    const summary = (await api('/api/v1/summary')).json;
    assert.equal(summary.total_cases, 8);
    // The summary agrees with the listing and escalation routes.
    for (const [state, n] of Object.entries(summary.by_state)) {
      const listed = (await api(`/api/v1/cases?state=${state}&limit=1`)).json;
      assert.equal(listed.total, n, `state ${state}`);
    }
    const warnings = (await api('/api/v1/escalations?level=warning')).json.escalations;
    const overdueEscalations = (await api('/api/v1/escalations?level=overdue')).json.escalations;
    assert.equal(summary.escalations_open.warning, warnings.length);
    assert.equal(summary.escalations_open.overdue, overdueEscalations.length);
    assert.equal(summary.overdue_cases, (await api('/api/v1/cases?overdue=true&limit=1')).json.total);
    assert.ok(summary.overdue_cases > 0, 'the scenario leaves overdue cases');
    assert.ok(summary.awaiting_materials.length > 0, 'the scenario leaves a deficiency case waiting');
    assert.ok(summary.credit_hooks.length > 0, 'the scenario raises credit hooks');

    const page = await openDashboard(TOKENS.viewer);
    assert.match(await text(page, 'who'), /hall screen/);
    assert.equal(await text(page, 'as-of'), summary.as_of);
    assert.equal(Number(await text(page, 'total-cases')), summary.total_cases);
    assert.equal(Number(await text(page, 'escalations-warning')), warnings.length);
    assert.equal(Number(await text(page, 'escalations-overdue')), overdueEscalations.length);
    assert.equal(Number(await text(page, 'overdue-cases')), summary.overdue_cases);
    assert.equal(Number(await text(page, 'awaiting-count')),
      summary.by_state.accepted_deficient + summary.by_state.supplement_overdue);
    for (const [state, n] of Object.entries(summary.by_state)) {
      assert.equal(Number(await text(page, `state-count-${state}`)), n, `page count of ${state}`);
    }
    for (const [department, n] of Object.entries(summary.by_department)) {
      assert.equal(Number(await text(page, `dept-count-${department}`)), n, `page count of ${department}`);
    }
    assert.equal(await rows(page, 'nearing-rows'), summary.nearing_decision.length);
    assert.equal(await rows(page, 'overdue-rows'), summary.overdue.length);
    assert.equal(await rows(page, 'awaiting-rows'), summary.awaiting_materials.length);
    assert.equal(await rows(page, 'hooks-rows'), summary.credit_hooks.length);
    const firstOverdue = summary.overdue[0].case_id;
    assert.match(await page.textContent('[data-testid="overdue-rows"]'), new RegExp(firstOverdue));

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (DOCS_SCREENSHOT) copyFileSync(shot, DOCS_SCREENSHOT);

    // A case opened from the board shows its contact masked for a viewer.
    await page.click(`[data-testid="overdue-rows"] a[data-case-id="${firstOverdue}"]`);
    await page.waitForSelector('[data-testid="case-dialog"][open]');
    const facts = await page.textContent('#case-facts');
    assert.match(facts, /138\*{4}\d{4}/);
    assert.doesNotMatch(facts, /1380000\d{4}/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-case.png') });
    await page.close();
  });

test('the board updates without a reload when a new case arrives', async () => {
  const page = await openDashboard(TOKENS.viewer);
  const before = Number(await text(page, 'total-cases'));
  const event = apply(9, 'SL-2026-0009', '2026-12-18T18:10:00+08:00', 'TOBACCO-RETAIL', TOBACCO_ALL);
  const r = await api('/api/v1/events', { token: TOKENS.clerk, method: 'POST', body: JSON.stringify(event) });
  assert.equal(r.status, 202, r.text);
  // Polled from here: the page's CSP (rightly) refuses Playwright's evaluated predicates.
  await until('the page to show the new case',
    async () => Number(await text(page, 'total-cases')) === before + 1);
  await page.close();
});

test('a wrong token is refused on the login form without naming any token', async () => {
  const page = await browser.newPage();
  await page.goto(`${BASE}/`);
  await page.fill('[data-testid="token-input"]', 'not-a-real-token-0000');
  await page.click('[data-testid="login-button"]');
  await until('the login error', async () => (await text(page, 'login-error')) !== '');
  assert.equal(await text(page, 'login-error'), '令牌无效。');
  assert.equal(await page.isHidden('#board'), true);
  await page.close();
});

test('the effect report page shows the API\'s figures for the period and department', async () => {
  const page = await browser.newPage();
  await page.goto(`${BASE}/effect.html`);
  await page.fill('[data-testid="token-input"]', TOKENS.viewer);
  await page.click('[data-testid="login-button"]');
  await page.waitForSelector('body[data-loaded="true"]', { timeout: WAIT_MS });
  const whole = (await api('/api/v1/reports/effect', { token: TOKENS.viewer })).json;
  assert.ok(whole.total.cases > 0, 'the scenario leaves cases to report');
  assert.equal(await rows(page, 'effect-rows'), whole.rows.length);
  const cellsOf = async (locator) => (await locator.locator('th, td').allTextContents());
  const total = await cellsOf(page.locator('[data-testid="effect-total"] tr'));
  assert.equal(total[0], '合计');
  assert.equal(Number(total[2]), whole.total.cases);
  assert.equal(Number(total[3]), whole.total.decided);
  assert.equal(total[4], whole.total.average_days === null ? '—' : whole.total.average_days.toFixed(2));
  assert.equal(Number(total[6]), whole.total.days_saved);
  for (let i = 0; i < whole.rows.length; i += 1) {
    const shown = await cellsOf(page.locator('[data-testid="effect-rows"] tr').nth(i));
    assert.equal(Number(shown[2]), whole.rows[i].cases, `row ${i} cases`);
    assert.equal(shown[1], whole.rows[i].tier || '无', `row ${i} tier`);
  }

  // One department and a period: the page asks the API the same question.
  // The department with the most cases.
  const [department] = Object.entries((await api('/api/v1/summary')).json.by_department)
    .sort((a, b) => b[1] - a[1])[0];
  await page.fill('[data-testid="from"]', '2026-11-01');
  await page.fill('[data-testid="to"]', '2026-12-31');
  await page.fill('[data-testid="department"]', department);
  await page.click('[data-testid="run-report"]');
  await page.waitForSelector('body[data-loaded="true"]', { timeout: WAIT_MS });
  const scoped = (await api(`/api/v1/reports/effect?from=2026-11-01&to=2026-12-31&department=${
    encodeURIComponent(department)}`, { token: TOKENS.viewer })).json;
  const scopedTotal = await cellsOf(page.locator('[data-testid="effect-total"] tr'));
  assert.equal(Number(scopedTotal[2]), scoped.total.cases);
  assert.equal(await rows(page, 'effect-rows'), scoped.rows.length);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'effect.png'), fullPage: true });
  await page.close();
});
