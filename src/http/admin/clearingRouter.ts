// Admin API for the clearing house; mounted under /admin behind adminAuth.
//   GET  /clearing/agreements                 POST /clearing/agreements        POST /clearing/agreements/:id/end
//   GET  /clearing/agreements/:id/history
//   GET  /clearing/disputes                   POST /clearing/disputes          POST /clearing/disputes/:id/resolve
//   GET  /clearing/cycles                     POST /clearing/cycles (open)     GET  /clearing/cycles/:id
//   POST /clearing/cycles/:id/close|net|statements|settle                     GET  /clearing/cycles/:id/reconcile
//   GET  /clearing/cycles/:id/statements      GET  /clearing/statements/:id[.csv|.pdf]
import Router from '@koa/router';
import { z } from 'zod';
import { success } from '../../../ocpi/envelope.ts';
import type { HubDeps } from '../../deps.ts';
import { agreementHistory, createAgreement, endAgreement, listAgreements, presentAgreement } from '../../clearing/agreements.ts';
import { listDisputes, openDispute, resolveDispute } from '../../clearing/disputes.ts';
import { closeCycles, getCycle, listCycles, openCycles, presentCycle } from '../../clearing/cycles.ts';
import { netCycles } from '../../clearing/cycleNetter.ts';
import { generateStatements, getStatement, listStatements, statementCsv } from '../../clearing/statements.ts';
import { statementPdf } from '../../clearing/statementPdf.ts';
import { paymentsOf, settleCycles } from '../../clearing/settlement.ts';
import { reconcileCycle } from '../../clearing/reconcile.ts';
import { createPayPal, paypalOptionsFromConfig, type PayPalGateway } from '../../clearing/paypal/client.ts';
import { parseInput } from './parseInput.ts';

const parse = parseInput;

export function clearingAdminRouter(deps: HubDeps, options: { paypal?: PayPalGateway } = {}): Router {
  const router = new Router({ prefix: '/clearing' });
  const hub = { name: deps.config.HUB_NAME, party: `${deps.config.HUB_COUNTRY_CODE}-${deps.config.HUB_PARTY_ID}` };
  let paypal = options.paypal;
  const gateway = () => (paypal ??= createPayPal(paypalOptionsFromConfig(deps.config)));
  const actor = (ctx: { state: Record<string, unknown> }) => String(ctx.state.actor ?? 'admin');

  router.get('/agreements', async function listAgreementsRoute(ctx) {
    const q = parse(z.object({ party: z.string().optional(), status: z.enum(['ACTIVE', 'ENDED']).optional() }), ctx.query);
    ctx.body = success((await listAgreements(deps.db, q)).map(presentAgreement));
  });
  router.post('/agreements', async function createAgreementRoute(ctx) {
    ctx.status = 201;
    ctx.body = success(presentAgreement(await createAgreement(deps.db, ctx.state.body, actor(ctx))));
  });
  router.post('/agreements/:id/end', async function endAgreementRoute(ctx) {
    const body = parse(z.object({ at: z.string().optional(), reason: z.string().max(500).optional() }), ctx.state.body);
    ctx.body = success(presentAgreement(await endAgreement(deps.db, ctx.params.id, { at: body.at ? new Date(body.at) : undefined, actor: actor(ctx), reason: body.reason })));
  });
  router.get('/agreements/:id/history', async function agreementHistoryRoute(ctx) {
    ctx.body = success(await agreementHistory(deps.db, ctx.params.id));
  });

  router.get('/disputes', async function listDisputesRoute(ctx) {
    ctx.body = success(await listDisputes(deps.db, { status: typeof ctx.query.status === 'string' ? ctx.query.status : undefined }));
  });
  router.post('/disputes', async function openDisputeRoute(ctx) {
    ctx.status = 201;
    ctx.body = success(await openDispute(deps.db, ctx.state.body, { operator: true }));
  });
  router.post('/disputes/:id/resolve', async function resolveDisputeRoute(ctx) {
    const body = parse(z.object({ outcome: z.enum(['upheld', 'rejected']), note: z.string().max(1000).optional() }), ctx.state.body);
    ctx.body = success(await resolveDispute(deps.db, ctx.params.id, body.outcome, actor(ctx), body.note));
  });

  router.get('/cycles', async function listCyclesRoute(ctx) {
    ctx.body = success((await listCycles(deps.db, { period: typeof ctx.query.period === 'string' ? ctx.query.period : undefined })).map(presentCycle));
  });
  router.post('/cycles', async function openCyclesRoute(ctx) {
    const body = parse(z.object({ period: z.string(), currency: z.string().regex(/^[A-Z]{3}$/).optional() }), ctx.state.body);
    ctx.status = 201;
    ctx.body = success((await openCycles(deps.db, body.period, body.currency)).map(presentCycle));
  });
  router.get('/cycles/:id', async function cycleStatusRoute(ctx) {
    const cycle = await getCycle(deps.db, ctx.params.id);
    ctx.body = success({ ...presentCycle(cycle), payments: await paymentsOf(deps.db, cycle.id) });
  });
  router.post('/cycles/:id/close', async function closeCycleRoute(ctx) {
    ctx.body = success((await closeCycles(deps.db, [(await getCycle(deps.db, ctx.params.id)).id])).map(presentCycle));
  });
  router.post('/cycles/:id/net', async function netCycleRoute(ctx) {
    ctx.body = success(await netCycles(deps.db, [(await getCycle(deps.db, ctx.params.id)).id]));
  });
  router.post('/cycles/:id/statements', async function statementsRoute(ctx) {
    ctx.body = success(await generateStatements(deps.db, [(await getCycle(deps.db, ctx.params.id)).id], hub));
  });
  router.post('/cycles/:id/settle', async function settleRoute(ctx) {
    ctx.body = success(await settleCycles(deps.db, gateway(), [await getCycle(deps.db, ctx.params.id)]));
  });
  router.get('/cycles/:id/reconcile', async function reconcileRoute(ctx) {
    ctx.body = success(await reconcileCycle(deps.db, gateway(), (await getCycle(deps.db, ctx.params.id)).id));
  });
  router.get('/cycles/:id/statements', async function listStatementsRoute(ctx) {
    ctx.body = success(await listStatements(deps.db, { cycle: (await getCycle(deps.db, ctx.params.id)).id }));
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
