// Admin API for billing: statements with payment status and history, bank transfers recorded by
// the settlement team, write-offs, billing contacts per party, reminder terms per agreement, and
// the email record.
import Router from '@koa/router';
import { z } from 'zod';
import { success } from '../../../ocpi/envelope.ts';
import type { HubDeps } from '../../deps.ts';
import { ClearingError, invalid } from '../../clearing/errors.ts';
import { InvalidParametersError } from '../../errors.ts';
import { accountHistory, ensureTracked, getAccount, pageAccounts, presentTerms, recordBankTransfer, setTerms, termsFor, writeOff } from '../../billing/tracking.ts';
import { addContact, listContacts, removeContact } from '../../billing/contacts.ts';
import { listMessages } from '../../billing/mailer.ts';
import { normaliseParty } from '../../billing/tracking.ts';
import { setStatementPageHeaders, statementPageRequest } from './statementPages.ts';

const parse = <T extends z.ZodType>(schema: T, body: unknown): z.infer<T> => {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw invalid(result.error.issues.map((i) => `${i.path.join('.') || '$'}: ${i.message}`).join('; '));
  return result.data;
};

const PaymentSchema = z.object({ amount: z.string().min(1), reference: z.string().min(1).max(200), received_at: z.iso.datetime().optional(), note: z.string().max(500).optional() });
const WriteOffSchema = z.object({ note: z.string().min(1).max(500) });
const ContactSchema = z.object({ party: z.string(), email: z.string(), name: z.string().max(200).optional() });
const TermsSchema = z.object({ reminder_days: z.array(z.number().int()).optional(), escalation_days: z.number().int().optional(), late_fee_fixed: z.string().optional(), late_fee_percent: z.string().optional() });
const STATUSES = ['open', 'partially_paid', 'paid', 'overdue', 'written_off'] as const;

export function statementsAdminRouter(deps: HubDeps): Router {
  const router = new Router();
  const actor = (ctx: { state: { actor?: unknown } }) => String(ctx.state.actor ?? 'admin');

  router.get('/statements', async function statements(ctx) {
    await ensureTracked(deps.db);
    const status = STATUSES.find((s) => s === ctx.query.status);
    const party = typeof ctx.query.party === 'string' ? normaliseParty(ctx.query.party) : undefined;
    const cycle = typeof ctx.query.cycle === 'string' ? ctx.query.cycle : undefined;
    const page = statementPageRequest(ctx, deps.config);
    const found = await pageAccounts(deps.db, { status, parties: party ? [party] : undefined, cycle }, page).catch((err: unknown) => {
      // The only input pageAccounts refuses is an `after` naming no statement: bad input, 2001.
      if (err instanceof ClearingError && err.code === 'invalid') throw new InvalidParametersError(err.message, [{ path: 'after', message: err.message.replace(/^after: /, '') }]);
      throw err;
    });
    setStatementPageHeaders(ctx, deps.config, page, { total: found.total, more: found.more, lastId: found.rows.at(-1)?.statement_id });
    ctx.body = success(found.rows);
  });
  router.get('/statements/:id', async function statement(ctx) {
    await ensureTracked(deps.db);
    const account = await getAccount(deps.db, ctx.params.id);
    ctx.body = success({ ...account, ...(await accountHistory(deps.db, account.statement_id)) });
  });
  router.post('/statements/:id/payments', async function payment(ctx) {
    const body = parse(PaymentSchema, ctx.state.body);
    await ensureTracked(deps.db);
    const out = await recordBankTransfer(deps.db, { statementId: ctx.params.id, amount: body.amount, reference: body.reference, receivedAt: body.received_at ? new Date(body.received_at) : undefined, note: body.note, actor: actor(ctx) });
    ctx.body = success(out);
  });
  router.post('/statements/:id/write-off', async function writeOffStatement(ctx) {
    const body = parse(WriteOffSchema, ctx.state.body);
    ctx.body = success(await writeOff(deps.db, { statementId: ctx.params.id, note: body.note, actor: actor(ctx) }));
  });
  router.get('/statements/:id/messages', async function messages(ctx) {
    ctx.body = success(await listMessages(deps.db, { statementId: ctx.params.id }));
  });

  router.get('/billing/contacts', async function contacts(ctx) {
    const party = typeof ctx.query.party === 'string' ? normaliseParty(ctx.query.party) : undefined;
    ctx.body = success(await listContacts(deps.db, party ? [party] : undefined));
  });
  router.post('/billing/contacts', async function addOne(ctx) {
    const body = parse(ContactSchema, ctx.state.body);
    ctx.body = success(await addContact(deps.db, { ...body, actor: actor(ctx) }));
  });
  router.delete('/billing/contacts/:party/:id', async function removeOne(ctx) {
    await removeContact(deps.db, { party: ctx.params.party, id: ctx.params.id, actor: actor(ctx) });
    ctx.body = success({ removed: ctx.params.id });
  });
  router.get('/billing/terms/:agreement', async function terms(ctx) {
    ctx.body = success(presentTerms(ctx.params.agreement, await termsFor(deps.db, /^[0-9a-f-]{36}$/i.test(ctx.params.agreement) ? ctx.params.agreement : null)));
  });
  router.put('/billing/terms/:agreement', async function putTerms(ctx) {
    const body = parse(TermsSchema, ctx.state.body);
    ctx.body = success(await setTerms(deps.db, ctx.params.agreement, { reminderDays: body.reminder_days, escalationDays: body.escalation_days, lateFeeFixed: body.late_fee_fixed, lateFeePercent: body.late_fee_percent }, actor(ctx)));
  });
  router.get('/billing/messages', async function allMessages(ctx) {
    ctx.body = success(await listMessages(deps.db, { status: typeof ctx.query.status === 'string' ? ctx.query.status : undefined }));
  });
  return router;
}
