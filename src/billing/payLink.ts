// The PayPal link a statement offers now, wherever it is shown (the portal, the statement PDF):
// the account's pay_url, whose rule lives in tracking.ts (nothing paid another way yet, not paid,
// not written off). A statement billing does not track yet (just generated, before the billing
// job's first tick) has had nothing recorded against it, so its own link stands.
import type { Executor } from '../clearing/ledger.ts';
import { ClearingError } from '../clearing/errors.ts';
import { getAccount } from './tracking.ts';

export async function currentPayLink(db: Executor, statement: { statement_id: string; settlement: { approval_url?: string | null } }): Promise<string | null> {
  try {
    return (await getAccount(db, statement.statement_id)).pay_url;
  } catch (err) {
    if (err instanceof ClearingError && err.code === 'not_found') return statement.settlement.approval_url ?? null;
    throw err;
  }
}
