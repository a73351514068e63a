// A party that is both CPO and eMSP charges VAT as CPO and is charged VAT as eMSP: its statement
// shows the two apart (VAT on what it is owed, VAT on what it owes) and the net of them, in the
// statement data, the CSV, the PDF and the portal's statement page, never their sum.
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../support/hub.ts';
import type { SmtpSink } from '../../src/sim/smtpSink.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import { closeCycles, openCycles } from '../../src/clearing/cycles.ts';
import { netCycles } from '../../src/clearing/cycleNetter.ts';
import { generateStatements, getStatement, statementCsv, statementId } from '../../src/clearing/statements.ts';
import { statementPdf } from '../../src/clearing/statementPdf.ts';
import { syncStatements } from '../../src/billing/tracking.ts';
import { aCdr, aParty, anAgreement, cdrMessage } from '../clearing/support.ts';
import { Browserish, aUser, startPortalHub } from './support.ts';

let hub: TestHub;
let sink: SmtpSink;
// A currency of its own: no other test clears RON.
const CURRENCY = 'RON';
const PERIOD = '2093-03';

beforeAll(async () => {
  ({ hub, sink } = await startPortalHub());
});

afterAll(async () => {
  await hub?.stop();
  await sink?.stop();
});

/** The text pdfkit drew: its content streams are deflated, its strings hex in TJ arrays. */
function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const out: string[] = [];
  for (const m of raw.matchAll(/stream\r?\n/g)) {
    const start = m.index! + m[0].length;
    const end = raw.indexOf('endstream', start);
    let content: string;
    try {
      content = inflateSync(pdf.subarray(start, end)).toString('latin1');
    } catch {
      continue;
    }
    for (const tj of content.matchAll(/\[([^\]]*)\]\s*TJ/g)) out.push([...tj[1].matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => Buffer.from(h[1], 'hex').toString('latin1')).join(''));
  }
  return out.join('\n');
}

describe('VAT on a statement of a party that is both CPO and eMSP', () => {
  it('is shown per direction with a net figure, not added across roles', async () => {
    const db = hub.deps.db;
    const both = await aParty(db, ['CPO', 'EMSP']);
    const otherCpo = await aParty(db, ['CPO'], 'DE');
    const otherEmsp = await aParty(db, ['EMSP'], 'BE');
    const agreement = { valid_from: '2093-01-01T00:00:00Z', currencies: [CURRENCY] };
    await anAgreement(db, both, otherEmsp, agreement);
    await anAgreement(db, otherCpo, both, agreement);
    await bookCdrs(db, [
      // As CPO: VAT 2.10 + 0.50 charged to its eMSP.
      cdrMessage(aCdr(both, { currency: CURRENCY, excl: '10.00', incl: '12.10', end: `${PERIOD}-05T10:00:00Z` }), otherEmsp),
      cdrMessage(aCdr(both, { currency: CURRENCY, excl: '5.00', incl: '5.50', end: `${PERIOD}-06T10:00:00Z` }), otherEmsp),
      // As eMSP: VAT 4.20 charged to it by the other CPO.
      cdrMessage(aCdr(otherCpo, { currency: CURRENCY, excl: '20.00', incl: '24.20', end: `${PERIOD}-07T10:00:00Z` }), both),
    ]);
    const [cycle] = await openCycles(db, PERIOD, CURRENCY);
    await closeCycles(db, [cycle.id]);
    await netCycles(db, [cycle.id]);
    await generateStatements(db, [cycle.id], { name: 'Test Hub', party: 'NL-HUB' });
    await syncStatements(db);
    const id = statementId({ period: PERIOD, currency: CURRENCY }, both);

    // 2.10 + 0.50 = 2.60 receivable, 4.20 payable, 2.60 - 4.20 = -1.60 net.
    const statement = await getStatement(db, id);
    expect(statement.totals).toMatchObject({ vat_receivable: '2.6000', vat_payable: '4.2000', vat_net: '-1.6000' });

    let csv = '';
    for await (const chunk of statementCsv(db, id)) csv += chunk;
    const [header, summary] = csv.split('\r\n');
    expect(header).toContain('"vat_receivable","vat_payable","vat_net"');
    expect(summary).toMatch(/"2\.6000","4\.2000","-1\.6000"$/);

    const pdf = pdfText(await statementPdf(db, id));
    expect(pdf).toMatch(/VAT in the charging values owed to you \(as CPO\)\s*2\.6000 RON/);
    expect(pdf).toMatch(/VAT in the charging values you owe \(as eMSP\)\s*4\.2000 RON/);
    expect(pdf).toMatch(/Net VAT \(charged minus charged to you\)\s*-1\.6000 RON/);
    expect(pdf).not.toContain('6.8000');

    const partner = new Browserish(hub.url);
    await partner.login(await aUser(db, both));
    const page = await partner.request(`/portal/statements/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<dt>VAT owed to you (as CPO)</dt><dd>2.60 RON</dd>');
    expect(page.text).toContain('<dt>VAT you owe (as eMSP)</dt><dd>4.20 RON</dd>');
    expect(page.text).toContain('<dt>Net VAT</dt><dd>-1.60 RON</dd>');
  });
});
