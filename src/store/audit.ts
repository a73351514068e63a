// The audit log: one row per admin action, credential change or refusal, naming who did what to
// which subject. Callers pass their transaction where the action has one, so a rolled-back action
// leaves no row claiming it happened. Details never carry a token or a secret.
import type { Knex } from 'knex';
import type { Db } from './db.ts';

export interface AuditEntry {
  actor: string;
  action: string;
  subject?: string | null;
  details?: Record<string, unknown>;
  /** When it happened, where that is not now (a billing tick's clock). */
  at?: Date;
}

export async function audit(db: Db | Knex.Transaction, entry: AuditEntry): Promise<void> {
  await db('audit_log').insert({ actor: entry.actor, action: entry.action, subject: entry.subject ?? null, details: JSON.stringify(entry.details ?? {}), ...(entry.at ? { at: entry.at } : {}) });
}
