// Admin API for the clearing house; mounted under /admin behind adminAuth.
//   GET  /clearing/agreements                 POST /clearing/agreements        POST /clearing/agreements/:id/end
//   GET  /clearing/agreements/:id/history
//   GET  /clearing/disputes                   POST /clearing/disputes          POST /clearing/disputes/:id/resolve
//   GET  /clearing/cycles                     POST /clearing/cycles (open)     GET  /clearing/cycles/:id
//   POST /clearing/cycles/:id/close|net|statements|settle                     GET  /clearing/cycles/:id/reconcile
//   GET  /clearing/cycles/:id/statements (paged: limit, offset, after)      GET  /clearing/statements/:id[.csv|.pdf]
//   GET  /clearing/refunds[?cycle=ID]         POST /clearing/refunds/retry     (refunds of disputes won after payment)
// Every POST writes its audit row (clearing.*) as the admin actor, inside the use case; reads write none.
import Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { success } from '../../../ocpi/envelope.ts';
import type { HubDeps } from '../../deps.ts';
import { AgreementInputSchema, agreementHistory, createAgreement, endAgreement, listAgreements, presentAgreement } from '../../clearing/agreements.ts';
import { listDisputes, openDispute, OpenDisputeSchema, resolveAndRefund } from '../../clearing/disputes.ts';
import { closeCycles, getCycle, listCycles, openCycles, presentCycle } from '../../clearing/cycles.ts';
import { netCycles } from '../../clearing/cycleNetter.ts';
import { generateStatements, getStatement, pageStatements, statementCsv } from '../../clearing/statements.ts';
import { statementPdf } from '../../clearing/statementPdf.ts';
import { paymentsOf, settleCycles } from '../../clearing/settlement.ts';
import { reconcileCycle } from '../../clearing/reconcile.ts';
import { paypalOf } from '../../clearing/paypal/fromConfig.ts';
import { listRefunds, retryRefunds } from '../../clearing/refunds.ts';
import { isPeriod } from '../../clearing/periods.ts';
import { ClearingError } from '../../clearing/errors.ts';
import { InvalidParametersError } from '../../errors.ts';
import { parseInput } from './parseInput.ts';
import { setStatementPageHeaders, statementPageRequest } from './statementPages.ts';

const parse = parseInput;
const dateTime = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an RFC 3339 date-time');
const uuid = z.string().regex(/^[0-9a-f-]{36}$/i, 'must be a cycle id');

/**
 * Input the use cases refuse (an unknown party, an end before the start) is bad input like any
 * other: OCPI 2001 naming the field (the use cases say "field: problem"), as parseInput does.
 */
function invalidInputAsParameters(): Middleware {
  return async function invalidInputAsParametersMiddleware(_ctx, next) {
    try {
      await next();
    } catch (err) {
      if (!(err instanceof ClearingError) || err.code !== 'invalid') throw err;
      const errors = err.message.split('; ').map((part) => {
        const match = /^([\w.$]+): (.+)$/.exec(part);
        return match ? { path: match[1], message: match[2] } : { path: '$', message: part };
      });
      throw new InvalidParametersError(err.message, errors);
    }
  };
}

export function clearingAdminRouter(deps: HubDeps): Router {
  const router = new Router({ prefix: '/clearing' });
  const hub = { name: deps.config.HUB_NAME, party: `${deps.config.HUB_COUNTRY_CODE}-${deps.config.HUB_PARTY_ID}` };
  const gateway = () => paypalOf(deps.config);
  const actor = (ctx: { state: Record<string, unknown> }) => String(ctx.state.actor ?? 'admin');
  router.use(invalidInputAsParameters());

  router.get('/agreements', async function listAgreementsRoute(ctx) {
    const q = parse(z.object({ party: z.string().optional(), status: z.enum(['ACTIVE', 'ENDED']).optional() }), ctx.query);
    ctx.body = success((await listAgreements(deps.db, q)).map(presentAgreement));
  });
  router.post('/agreements', async function createAgreementRoute(ctx) {
    parse(AgreementInputSchema, ctx.state.body);
    ctx.status = 201;
    ctx.body = success(presentAgreement(await createAgreement(deps.db, ctx.state.body, actor(ctx))));
  });
  router.post('/agreements/:id/end', async function endAgreementRoute(ctx) {
    const body = parse(z.object({ at: dateTime.optional(), reason: z.string().max(500).optional() }), ctx.state.body);
    ctx.body = success(presentAgreement(await endAgreement(deps.db, ctx.params.id, { at: body.at ? new Date(body.at) : undefined, actor: actor(ctx), reason: body.reason })));
  });
  router.get('/agreements/:id/history', async function agreementHistoryRoute(ctx) {
    ctx.body = success(await agreementHistory(deps.db, ctx.params.id));
  });

  router.get('/disputes', async function listDisputesRoute(ctx) {
    const q = parse(z.object({ status: z.enum(['open', 'upheld', 'rejected']).optional() }), ctx.query);
    ctx.body = success(await listDisputes(deps.db, q));
  });
  router.post('/disputes', async function openDisputeRoute(ctx) {
    parse(OpenDisputeSchema, ctx.state.body);
    ctx.status = 201;
    ctx.body = success(await openDispute(deps.db, ctx.state.body, { operator: true, actor: actor(ctx) }));
  });
  router.post('/disputes/:id/resolve', async function resolveDisputeRoute(ctx) {
    const body = parse(z.object({ outcome: z.enum(['upheld', 'rejected']), note: z.string().max(1000).optional() }), ctx.state.body);
    ctx.body = success(await resolveAndRefund(deps, ctx.params.id, body.outcome, actor(ctx), body.note, { audit: true }));
  });

  router.get('/refunds', async function listRefundsRoute(ctx) {
    const q = parse(z.object({ cycle: uuid.optional() }), ctx.query);
    ctx.body = success(await listRefunds(deps.db, { cycle: q.cycle ? (await getCycle(deps.db, q.cycle)).id : undefined }));
  });
  router.post('/refunds/retry', async function retryRefundsRoute(ctx) {
    const body = parse(z.object({ cycle: uuid.optional() }), ctx.state.body);
    ctx.body = success(await retryRefunds(deps.db, await gateway(), { cycle: body.cycle ? (await getCycle(deps.db, body.cycle)).id : undefined }, actor(ctx)));
  });

  router.get('/cycles', async function listCyclesRoute(ctx) {
    ctx.body = success((await listCycles(deps.db, { period: typeof ctx.query.period === 'string' ? ctx.query.period : undefined })).map(presentCycle));
  });
  router.post('/cycles', async function openCyclesRoute(ctx) {
    const body = parse(z.object({ period: z.string().refine(isPeriod, 'must be YYYY-MM or YYYY-Www'), currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code').optional() }), ctx.state.body);
    ctx.status = 201;
    ctx.body = success((await openCycles(deps.db, body.period, body.currency, actor(ctx))).map(presentCycle));
  });
  router.get('/cycles/:id', async function cycleStatusRoute(ctx) {
    const cycle = await getCycle(deps.db, ctx.params.id);
    ctx.body = success({ ...presentCycle(cycle), payments: await paymentsOf(deps.db, cycle.id), refunds: await listRefunds(deps.db, { cycle: cycle.id }) });
  });
  router.post('/cycles/:id/close', async function closeCycleRoute(ctx) {
    ctx.body = success((await closeCycles(deps.db, [(await getCycle(deps.db, ctx.params.id)).id], actor(ctx))).map(presentCycle));
  });
  router.post('/cycles/:id/net', async function netCycleRoute(ctx) {
    ctx.body = success(await netCycles(deps.db, [(await getCycle(deps.db, ctx.params.id)).id], actor(ctx)));
  });
  router.post('/cycles/:id/statements', async function statementsRoute(ctx) {
    ctx.body = success(await generateStatements(deps.db, [(await getCycle(deps.db, ctx.params.id)).id], hub, actor(ctx)));
  });
  router.post('/cycles/:id/settle', async function settleRoute(ctx) {
    ctx.body = success(await settleCycles(deps.db, await gateway(), [await getCycle(deps.db, ctx.params.id)], { actor: actor(ctx) }));
  });
  router.get('/cycles/:id/reconcile', async function reconcileRoute(ctx) {
    ctx.body = success(await reconcileCycle(deps.db, await gateway(), (await getCycle(deps.db, ctx.params.id)).id));
  });
  router.get('/cycles/:id/statements', async function listStatementsRoute(ctx) {
    const page = statementPageRequest(ctx, deps.config);
    const found = await pageStatements(deps.db, { cycle: (await getCycle(deps.db, ctx.params.id)).id }, page);
    setStatementPageHeaders(ctx, deps.config, page, { total: found.total, more: found.more, lastId: found.rows.at(-1)?.id });
    ctx.body = success(found.rows);
  });
  router.get('/statements/:file', async function statementRoute(ctx) {
    const match = /^(.+?)(\.csv|\.pdf|\.json)?$/.exec(ctx.params.file)!;
    const [id, ext] = [match[1], match[2] ?? '.json'];
    if (ext === '.pdf') {
      ctx.type = 'application/pdf';
      ctx.set('Content-Disposition', `attachment; filename="${id}.pdf"`);
      ctx.body = await statementPdf(deps.db, id);
    } else if (ext === '.csv') {
      await getStatement(deps.db, id);
      const parts: string[] = [];
      for await (const chunk of statementCsv(deps.db, id)) parts.push(chunk);
      ctx.type = 'text/csv; charset=utf-8';
      ctx.set('Content-Disposition', `attachment; filename="${id}.csv"`);
      ctx.body = parts.join('');
    } else ctx.body = success(await getStatement(deps.db, id));
  });
  return router;
}
