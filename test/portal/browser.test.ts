// The portal in a real browser: Debian's Chromium driven by playwright-core. A partner signs in,
// downloads a statement, opens a dispute, and is refused another party's page; an operator replays
// a dead letter and resolves the dispute. Screenshots of the main pages go to test-artifacts/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestHub } from '../support/hub.ts';
import type { SmtpSink } from '../../src/sim/smtpSink.ts';
import { startPayPalStandIn, type PayPalStandIn } from '../../src/clearing/paypal/standIn/server.ts';
import { aBilledCycle, aFuturePeriod, settle, type BilledCycle } from '../billing/support.ts';
import { aDeadLetter, aUser, startPortalHub, PASSWORD } from './support.ts';
import { parsePartyRef } from '../../src/clearing/parties.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const artifacts = `${root}test-artifacts/portal`;
const CHROMIUM = '/usr/bin/chromium';

let hub: TestHub;
let sink: SmtpSink;
let standIn: PayPalStandIn;
let browser: Browser;
let cycle: BilledCycle;
let other: BilledCycle;
let partnerEmail: string;
let operatorEmail: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) execFileSync(`${root}scripts/ensure-chromium.sh`, { stdio: 'inherit', timeout: 580_000 });
  mkdirSync(artifacts, { recursive: true });
  ({ hub, sink } = await startPortalHub());
  standIn = await startPayPalStandIn({ clientId: 'cid', clientSecret: 'secret' });
  const db = hub.deps.db;
  cycle = await aBilledCycle(db, { period: aFuturePeriod(), cdrs: 4 });
  await settle(db, standIn, cycle);
  other = await aBilledCycle(db, { period: aFuturePeriod() });
  partnerEmail = await aUser(db, cycle.emsp, 'finance@emsp.example');
  operatorEmail = await aUser(db, null, 'ops@hub.example');
  await aDeadLetter(db, cycle.emsp, { ...parsePartyRef(cycle.cpo), id: cycle.cdrIds[1] });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await standIn?.stop();
  await hub?.stop();
  await sink?.stop();
});

async function signIn(page: Page, email: string) {
  await page.goto(`${hub.url}/portal/login`);
  const form = page.getByRole('form', { name: 'With your password' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${hub.url}/portal`);
}

const shot = (page: Page, name: string) => page.screenshot({ path: `${artifacts}/${name}.png`, fullPage: true });

describe('the portal in Chromium', () => {
  it('a partner downloads a statement, opens a dispute and cannot open another party’s statement', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, partnerEmail);
    await expect(page.getByRole('heading', { level: 1 })).toBeTruthy();
    expect(await page.locator('svg[role=img]').count()).toBeGreaterThanOrEqual(2);
    await shot(page, '01-partner-overview');

    // Keyboard: the first Tab lands on the skip link.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');

    await page.getByRole('link', { name: 'Statements', exact: true }).click();
    await page.getByRole('link', { name: cycle.payerStatement }).click();
    const pay = page.getByRole('link', { name: /Pay .* with PayPal/ });
    expect(await pay.getAttribute('href')).toMatch(/checkoutnow\?token=/);
    await shot(page, '02-partner-statement');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download PDF' }).click()]);
    expect(download.suggestedFilename()).toBe(`${cycle.payerStatement}.pdf`);
    const file = `${artifacts}/${download.suggestedFilename()}`;
    await download.saveAs(file);
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');

    await page.getByRole('link', { name: 'CDRs', exact: true }).click();
    await page.getByRole('link', { name: cycle.cdrIds[0] }).click();
    await expect(page.getByText('energy_mismatch')).toBeTruthy();
    await page.getByLabel('What is wrong?').fill('The session was interrupted after 5 minutes; we were billed for an hour.');
    await shot(page, '03-partner-cdr');
    await page.getByRole('button', { name: 'Open dispute' }).click();
    await page.waitForURL(/\/portal\/disputes\/[0-9a-f-]{36}/);
    expect(await page.locator('.flash.ok').textContent()).toContain('Dispute opened');
    expect(await page.locator('.badge').first().textContent()).toBe('open');
    await shot(page, '04-partner-dispute');

    const refused = await page.goto(`${hub.url}/portal/statements/${other.payerStatement}`);
    expect(refused?.status()).toBe(403);
    expect(await page.locator('main').textContent()).toContain('You do not have access');
    expect(await page.content()).not.toContain(other.payerStatement.replace('ST-', 'Statement ST-'));
    await shot(page, '05-partner-refused');

    // On a phone.
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${hub.url}/portal/statements/${cycle.payerStatement}`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
    await shot(page, '06-partner-statement-phone');
    await context.close();
  });

  it('an operator replays a dead letter and resolves the dispute', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, operatorEmail);
    await shot(page, '10-operator-overview');
    await page.getByRole('link', { name: 'Partners', exact: true }).click();
    await shot(page, '11-operator-partners');

    await page.getByRole('link', { name: 'Deliveries', exact: true }).click();
    await page.getByRole('button', { name: `Replay 1 to ${cycle.emsp}` }).click();
    await page.waitForURL(/done=replayed/);
    expect(await page.locator('.flash.ok').textContent()).toContain('queued again');
    const letter = await hub.deps.db('dead_letters').where({ receiver: cycle.emsp }).first();
    expect(letter.replayed_at).not.toBeNull();
    await shot(page, '12-operator-deliveries');

    await page.getByRole('link', { name: 'Cycles', exact: true }).click();
    await shot(page, '13-operator-cycles');

    await page.getByRole('link', { name: 'Disputes', exact: true }).click();
    await page.getByRole('row').filter({ hasText: cycle.cdrIds[0] }).getByRole('link').first().click();
    await page.getByLabel(/Upheld/).check();
    await page.getByLabel('Note to the parties').fill('Charger log confirms the interruption.');
    await page.getByRole('button', { name: 'Resolve dispute' }).click();
    await page.waitForURL(/done=resolved/);
    expect(await page.locator('.badge').first().textContent()).toBe('upheld');
    await shot(page, '14-operator-dispute-resolved');

    await page.getByRole('link', { name: 'Statements', exact: true }).click();
    await page.getByRole('link', { name: cycle.payerStatement }).click();
    await page.getByLabel('Bank reference').fill('SEPA-2026-0001');
    await page.getByRole('button', { name: 'Record payment' }).click();
    await page.waitForURL(/done=payment/);
    expect(await page.locator('.badge').first().textContent()).toBe('paid');
    await shot(page, '15-operator-statement-paid');

    const audit = await hub.deps.db('audit_log').where('actor', `portal:${operatorEmail}`).pluck('action');
    expect(audit).toEqual(expect.arrayContaining(['portal.login', 'portal.deliveries.replay', 'portal.dispute.resolve', 'portal.statement.payment']));
    await context.close();
  });
});
