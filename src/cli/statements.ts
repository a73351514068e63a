// hub statements list [--party CC-PID] [--status S] [--cycle ID] [--limit N] [--offset N] [--json]
//                    (a page, newest first: --limit defaults to 100, at most PAGE_LIMIT_MAX)
//                show ID [--json]
//                pay ID --amount X --reference REF [--date YYYY-MM-DD]   (a bank transfer received, or made
//                    by the hub where PayPal does not take the currency)
//                write-off ID --note TEXT
//                contacts [list [--party P] | add --party P --email E [--name N] | remove --party P --id N]
//                terms --agreement ID [--reminders 3,10,20] [--escalate DAYS] [--late-fee AMOUNT] [--late-fee-percent P]
//                send   (one billing pass now: track, email statements, remind, deliver the outbox)
import type { HubDeps } from '../deps.ts';
import { accountHistory, ensureTracked, getAccount, pageAccounts, presentTerms, recordBankTransfer, setTerms, termsFor, writeOff, normaliseParty, isZeroAmount, type StatementAccount } from '../billing/tracking.ts';
import { addContact, listContacts, removeContact } from '../billing/contacts.ts';
import { billingTick } from '../billing/reminders.ts';
import { reminderOutcomeText } from '../billing/status.ts';
import { CliUsageError, parseOptions, requireOption } from './args.ts';
import { withDeps } from './withDeps.ts';

export interface Io {
  stdout: { write(chunk: string): unknown };
}

const USAGE = 'usage: hub statements list [--party P] [--status S] [--cycle ID] [--limit N] [--offset N] [--json] | show ID [--json] | pay ID --amount X --reference REF [--date D] | write-off ID --note TEXT | contacts [list|add|remove] | terms --agreement ID [...] | send';

/** A whole number of an option from `min`, or its default. */
function wholeNumber(value: string | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < min) throw new CliUsageError(`--${name} must be a whole number from ${min}`);
  return Number(value);
}

function table(rows: StatementAccount[]): string {
  const head = ['statement', 'party', 'period', 'due', 'amount', 'paid', 'balance', 'status'];
  const cells = rows.map((r) => [r.statement_id, r.party, r.period, r.due_date, `${r.amount_due} ${r.currency}`, r.paid, r.balance, r.status + (r.direction === 'hub_pays' ? ' (hub pays)' : '')]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  return [head, ...cells].map((c) => c.map((v, i) => (i >= 4 && i <= 6 ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd()).join('\n') + '\n';
}

export async function runWith(deps: HubDeps, args: string[], io: Io = process): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseOptions(rest, {
    party: { type: 'string' },
    status: { type: 'string' },
    cycle: { type: 'string' },
    limit: { type: 'string' },
    offset: { type: 'string' },
    json: { type: 'boolean' },
    amount: { type: 'string' },
    reference: { type: 'string' },
    date: { type: 'string' },
    note: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    id: { type: 'string' },
    agreement: { type: 'string' },
    reminders: { type: 'string' },
    escalate: { type: 'string' },
    'late-fee': { type: 'string' },
    'late-fee-percent': { type: 'string' },
  });
  const out = (v: unknown) => io.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
  await ensureTracked(deps.db);
  switch (sub) {
    case 'list': {
      const page = { offset: wholeNumber(values.offset, 'offset', 0, 0), limit: Math.min(wholeNumber(values.limit, 'limit', 100, 1), deps.config.PAGE_LIMIT_MAX) };
      const { rows, total, more } = await pageAccounts(deps.db, { parties: values.party ? [normaliseParty(values.party)] : undefined, status: values.status as never, cycle: values.cycle }, page);
      // JSON stays the page's statements; a script pages on until a page is shorter than --limit.
      if (values.json) out(rows);
      else {
        io.stdout.write(rows.length ? table(rows) : 'no statements\n');
        if (rows.length) io.stdout.write(`statements ${page.offset + 1}-${page.offset + rows.length} of ${total}${more ? `; next page: --offset ${page.offset + rows.length}` : ''}\n`);
      }
      return 0;
    }
    case 'show': {
      const id = positionals[0];
      if (!id) throw new CliUsageError('usage: hub statements show ID [--json]');
      const account = await getAccount(deps.db, id);
      const history = await accountHistory(deps.db, id);
      if (values.json) out({ ...account, ...history });
      else {
        io.stdout.write(`${account.statement_id}  ${account.party}${account.party_name ? ` (${account.party_name})` : ''}  ${account.period} ${account.currency}\n`);
        io.stdout.write(`status ${account.status}; issued ${account.issued_at.slice(0, 10)}, due ${account.due_date}${account.days_past_due ? ` (${account.days_past_due} days ago)` : ''}\n`);
        io.stdout.write(`${account.direction === 'hub_pays' ? 'hub pays' : 'amount due'} ${account.amount_due}, late fees ${account.charges}, paid ${account.paid}${!isZeroAmount(account.refunded) ? `, refunded ${account.refunded}` : ''}${!isZeroAmount(account.refunds_pending) ? `, refunds on their way ${account.refunds_pending}` : ''}, balance ${account.balance} ${account.currency}\n`);
        if (account.pay_url) io.stdout.write(`pay link ${account.pay_url}\n`);
        for (const p of history.payments) io.stdout.write(`  payment ${p.received_at.slice(0, 10)} ${p.method} ${p.amount} ref ${p.reference} (by ${p.recorded_by})\n`);
        for (const r of history.refunds) io.stdout.write(`  refund ${r.amount} ${r.state}${r.relation === 'of_payment' ? ` of this statement's payment, netted on ${r.netted_on_statement ?? 'the next statement'}` : ` of the payment on ${r.paid_with_statement}, netted here`} (dispute ${r.dispute_id})\n`);
        for (const r of history.reminders) io.stdout.write(`  ${r.step} ${reminderOutcomeText(r.outcome)} ${r.at.slice(0, 10)} (${r.days_after_due} days after due)\n`);
        for (const m of history.messages) io.stdout.write(`  email ${m.kind} to ${m.recipient}: ${m.status}${m.sent_at ? ` ${m.sent_at}` : ''}${m.last_error ? ` (${m.last_error})` : ''}\n`);
      }
      return 0;
    }
    case 'pay': {
      const id = positionals[0];
      if (!id) throw new CliUsageError('usage: hub statements pay ID --amount X --reference REF [--date YYYY-MM-DD]');
      const receivedAt = values.date ? new Date(`${values.date}T12:00:00Z`) : undefined;
      if (receivedAt && Number.isNaN(receivedAt.getTime())) throw new CliUsageError('--date must be YYYY-MM-DD');
      const transfer = { statementId: id, amount: requireOption(values.amount, 'amount'), reference: requireOption(values.reference, 'reference'), receivedAt, note: values.note, actor: 'cli' };
      const result = await recordBankTransfer(deps.db, transfer);
      io.stdout.write(`${result.duplicate ? 'already recorded' : 'recorded'}: ${result.account.statement_id} balance ${result.account.balance} ${result.account.currency}, ${result.account.status}\n`);
      return 0;
    }
    case 'write-off': {
      const id = positionals[0];
      if (!id) throw new CliUsageError('usage: hub statements write-off ID --note TEXT');
      const account = await writeOff(deps.db, { statementId: id, note: requireOption(values.note, 'note'), actor: 'cli' });
      io.stdout.write(`${account.statement_id}: ${account.status}\n`);
      return 0;
    }
    case 'contacts': {
      const action = positionals[0] ?? 'list';
      if (action === 'list') {
        const rows = await listContacts(deps.db, values.party ? [normaliseParty(values.party)] : undefined);
        if (values.json) out(rows);
        else io.stdout.write(rows.map((c) => `${c.id}\t${c.party}\t${c.email}${c.name ? `\t${c.name}` : ''}`).join('\n') + (rows.length ? '\n' : 'no billing contacts\n'));
        return 0;
      }
      if (action === 'add') {
        const c = await addContact(deps.db, { party: requireOption(values.party, 'party'), email: requireOption(values.email, 'email'), name: values.name, actor: 'cli' });
        io.stdout.write(`added ${c.email} to ${c.party} (id ${c.id})\n`);
        return 0;
      }
      if (action === 'remove') {
        await removeContact(deps.db, { party: requireOption(values.party, 'party'), id: requireOption(values.id, 'id'), actor: 'cli' });
        io.stdout.write('removed\n');
        return 0;
      }
      throw new CliUsageError('usage: hub statements contacts [list [--party P] | add --party P --email E [--name N] | remove --party P --id N]');
    }
    case 'terms': {
      const agreement = requireOption(values.agreement, 'agreement');
      const changes = values.reminders !== undefined || values.escalate !== undefined || values['late-fee'] !== undefined || values['late-fee-percent'] !== undefined;
      const reminderDays = values.reminders?.split(',').map((d) => Number(d.trim()));
      if (reminderDays?.some((d) => !Number.isInteger(d))) throw new CliUsageError('--reminders must be whole days, e.g. 3,10,20');
      const terms = changes
        ? await setTerms(deps.db, agreement, { reminderDays, escalationDays: values.escalate === undefined ? undefined : Number(values.escalate), lateFeeFixed: values['late-fee'], lateFeePercent: values['late-fee-percent'] }, 'cli')
        : presentTerms(agreement, await termsFor(deps.db, agreement));
      out(terms);
      return 0;
    }
    case 'send': {
      out(await billingTick(deps));
      return 0;
    }
    default:
      throw new CliUsageError(USAGE);
  }
}

export async function run(args: string[]): Promise<number> {
  return withDeps((deps) => runWith(deps, args));
}
