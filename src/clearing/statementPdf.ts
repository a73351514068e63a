// The statement as a PDF a finance person accepts: issuer and recipient, statement number,
// period, issue and due date, totals with VAT shown, one line per counterparty, the payment
// instruction, and the per-CDR detail (the CSV carries every CDR when there are very many).
import PDFDocument from 'pdfkit';
import type { Executor } from './ledger.ts';
import { getStatement, statementCdrLines } from './statements.ts';
import { currentPayLink } from '../billing/payLink.ts';

const MAX_CDR_LINES_IN_PDF = 2000;

export async function statementPdf(db: Executor, id: string): Promise<Buffer> {
  const s = await getStatement(db, id);
  const doc = new PDFDocument({ size: 'A4', margin: 48, bufferPages: true, info: { Title: `Clearing statement ${s.statement_id}`, Author: s.hub.name, Subject: `${s.period} ${s.currency}` } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  const left = 48;
  const width = doc.page.width - 96;

  doc.font('Helvetica-Bold').fontSize(18).text(s.hub.name, left, 48);
  doc.font('Helvetica').fontSize(9).fillColor('#444').text(`Clearing house · party ${s.hub.party}`);
  doc.moveDown(1.2).fillColor('#000').font('Helvetica-Bold').fontSize(14).text('Clearing statement');
  doc.font('Helvetica').fontSize(10);
  const facts: [string, string][] = [
    ['Statement number', s.statement_id],
    ['To', `${s.party_name ?? ''} (${s.party})`.trim()],
    ['Period', `${s.period} (${s.period_start.slice(0, 10)} to ${new Date(Date.parse(s.period_end) - 1).toISOString().slice(0, 10)})`],
    ['Currency', s.currency],
    ['Issued', s.issued_at.slice(0, 10)],
    ['Due date', s.due_date],
  ];
  for (const [k, v] of facts) {
    const y = doc.y;
    doc.font('Helvetica-Bold').text(k, left, y, { width: 130 });
    doc.font('Helvetica').text(v, left + 130, y, { width: width - 130 });
  }

  doc.moveDown(1).font('Helvetica-Bold').fontSize(12).text('Summary', left);
  doc.fontSize(10);
  const money = (v: string) => `${v} ${s.currency}`;
  const summary: [string, string][] = [
    ['Owed to you as CPO (gross)', money(s.totals.receivable)],
    ['Owed by you (eMSP charges and hub fees)', money(s.totals.payable)],
    ['of which hub fees', money(s.totals.hub_fees)],
    ['VAT in the charging values owed to you (as CPO)', money(s.totals.vat_receivable)],
    ['VAT in the charging values you owe (as eMSP)', money(s.totals.vat_payable)],
    ['Net VAT (charged minus charged to you)', money(s.totals.vat_net)],
    ['Carried in from earlier cycles', money(s.totals.carried_in)],
    ['Net position (positive: the hub pays you)', money(s.totals.net)],
    ['Settled now (in the currency minor unit)', money(s.totals.settle_amount)],
    ['Carried forward to the next cycle', money(s.totals.carry_out)],
  ];
  for (const [k, v] of summary) {
    const y = doc.y;
    doc.font('Helvetica').text(k, left, y, { width: width - 140 });
    doc.text(v, left + width - 140, y, { width: 140, align: 'right' });
  }

  doc.moveDown(1).font('Helvetica-Bold').fontSize(12).text('Payment', left);
  doc.font('Helvetica').fontSize(10);
  if (s.settlement.direction === 'party_pays') {
    doc.text(`Please pay ${money(s.settlement.amount)} ${s.settlement.method === 'bank_transfer' ? 'by bank transfer (PayPal does not take this currency) ' : ''}by ${s.due_date}, quoting ${s.statement_id}.`);
    // Only while the portal would offer it: after a bank transfer PayPal's order is never captured.
    const payLink = await currentPayLink(db, s);
    if (payLink) doc.fillColor('#1a4fa0').text(`Pay with PayPal: ${payLink}`, { link: payLink, underline: true }).fillColor('#000');
  } else if (s.settlement.direction === 'hub_pays') {
    doc.text(`The hub pays you ${money(s.settlement.amount)} ${s.settlement.method === 'bank_transfer' ? 'by bank transfer' : 'through PayPal Payouts'}, reference ${s.statement_id}.`);
  } else doc.text('Nothing to pay this cycle.');

  table(doc, 'Per counterparty', ['Counterparty', 'Role', 'CDRs', 'kWh', 'Excl. VAT', 'VAT', 'Amount', 'Hub fee', 'Net'], [110, 40, 40, 55, 55, 45, 55, 45, 54], s.counterparties.map((l) => [`${l.counterparty_name ?? ''} ${l.counterparty}`.trim(), l.role, String(l.cdr_count), l.energy_kwh, l.amount_excl_vat, l.vat, l.amount, l.hub_fee, l.net]));

  if (s.refunds?.length) {
    table(doc, 'Refunded to your PayPal account (disputes you won after paying; already paid back, so charged here against the dispute credit)', ['CDR', 'Dispute', 'Paid with statement', 'PayPal refund', 'State', 'Amount'], [120, 70, 110, 90, 55, 54], s.refunds.map((r) => [r.cdr, r.dispute_id.slice(0, 8), r.paid_with_statement, r.paypal_refund_id ?? '', r.state, r.amount]));
  }

  const cdrRows: string[][] = [];
  let total = 0;
  for await (const page of statementCdrLines(db, s)) {
    for (const l of page) {
      total += 1;
      if (cdrRows.length < MAX_CDR_LINES_IN_PDF) cdrRows.push([l.cdr_id, l.role, l.counterparty, l.end_date_time.slice(0, 16).replace('T', ' '), l.energy_kwh, l.amount, l.hub_fee, l.net]);
    }
  }
  doc.addPage();
  table(doc, `Per CDR${total > cdrRows.length ? ` (first ${cdrRows.length} of ${total}; the CSV statement lists every CDR)` : ''}`, ['CDR', 'Role', 'Counterparty', 'Ended (UTC)', 'kWh', 'Amount', 'Hub fee', 'Net'], [110, 35, 60, 80, 50, 60, 50, 54], cdrRows);

  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    doc.fontSize(8).fillColor('#666').text(`${s.statement_id} · page ${i + 1} of ${range.count}`, left, doc.page.height - 40, { width, align: 'center', lineBreak: false });
  }
  doc.end();
  return done;
}

function table(doc: PDFKit.PDFDocument, title: string, headers: string[], widths: number[], rows: string[][]) {
  const left = 48;
  doc.moveDown(1).fillColor('#000').font('Helvetica-Bold').fontSize(12).text(title, left);
  doc.moveDown(0.3);
  const drawRow = (cells: string[], bold: boolean) => {
    if (doc.y > doc.page.height - 80) doc.addPage();
    const y = doc.y;
    let x = left;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(7.5);
    cells.forEach((c, i) => {
      doc.text(c, x, y, { width: widths[i] - 4, align: i >= 2 ? 'right' : 'left', lineBreak: false, ellipsis: true });
      x += widths[i];
    });
    doc.y = y + 11;
  };
  drawRow(headers, true);
  for (const r of rows) drawRow(r, false);
  if (rows.length === 0) doc.font('Helvetica').fontSize(9).text('none', left);
}
