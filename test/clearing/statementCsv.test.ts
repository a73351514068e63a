// The CSV statement carries values partners choose (CDR ids are any printable ASCII, party names):
// a cell a spreadsheet would run as a formula is neutralised, including one that starts like a
// negative number ("-1+…"), while real amounts ("-12.3400") stay numbers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { bookCdrs } from '../../src/clearing/booking.ts';
import { closeCycles, openCycles } from '../../src/clearing/cycles.ts';
import { netCycles } from '../../src/clearing/cycleNetter.ts';
import { generateStatements, statementCsv, statementId } from '../../src/clearing/statements.ts';
import { aCdr, aParty, anAgreement, cdrMessage, clearingDb } from './support.ts';

let db: Db;
// A currency of its own: no other test clears THB.
const CURRENCY = 'THB';

beforeAll(() => {
  db = clearingDb(3);
});

afterAll(async () => {
  await db.destroy();
});

describe('the CSV statement', () => {
  it('neutralises formulas in partner-chosen values, amounts stay numbers', async () => {
    const period = '2092-05';
    const cpo = await aParty(db, ['CPO']);
    const emsp = await aParty(db, ['EMSP'], 'PT');
    await anAgreement(db, cpo, emsp, { valid_from: '2092-01-01T00:00:00Z', currencies: [CURRENCY] });
    const ids = ['-1+HYPERLINK("http://x.example")', '=1+2', '-2-3'];
    await bookCdrs(db, ids.map((id) => cdrMessage(aCdr(cpo, { id, currency: CURRENCY, excl: '12.3400', end: `${period}-07T10:00:00Z` }), emsp)));
    const [cycle] = await openCycles(db, period, CURRENCY);
    await closeCycles(db, [cycle.id]);
    await netCycles(db, [cycle.id]);
    await generateStatements(db, [cycle.id], { name: 'Test Hub', party: 'NL-HUB' });
    let csv = '';
    for await (const chunk of statementCsv(db, statementId({ period, currency: CURRENCY }, emsp))) csv += chunk;
    const cdrRows = csv.split('\r\n').filter((l) => l.startsWith('"cdr",'));
    expect(cdrRows).toHaveLength(3);
    for (const id of ids) expect(csv).toContain(`"'${id.replace(/"/g, '""')}"`);
    // The eMSP's amounts are negative numbers and stay so.
    expect(cdrRows[0]).toContain('"-14.9314"');
  });
});
