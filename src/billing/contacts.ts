// Billing contacts per party (several allowed): who receives statements and reminders by email.
import { audit } from '../store/audit.ts';
import type { Db } from '../store/db.ts';
import { conflict, invalid, notFound } from '../clearing/errors.ts';
import { normaliseParty } from './tracking.ts';

export interface BillingContact {
  id: string;
  party: string;
  email: string;
  name: string | null;
  created_at: string;
  created_by: string;
}

const EMAIL = /^[^@\s<>"',;]+@[^@\s<>"',;]+\.[^@\s<>"',;]+$/;

export function normaliseEmail(email: string): string {
  const e = email.trim();
  if (e.length > 254 || !EMAIL.test(e)) throw invalid(`email: "${e.slice(0, 80)}" is not an email address`);
  return e;
}

const present = (r: Record<string, any>): BillingContact => ({ id: String(r.id), party: r.party, email: r.email, name: r.name ?? null, created_at: new Date(r.created_at).toISOString(), created_by: r.created_by });

export async function listContacts(db: Db, parties?: string[]): Promise<BillingContact[]> {
  const q = db('billing_contacts').orderBy(['party', 'id']);
  if (parties) q.whereIn('party', parties.length ? parties : ['-']);
  return (await q).map(present);
}

export async function addContact(db: Db, input: { party: string; email: string; name?: string | null; actor: string }): Promise<BillingContact> {
  const party = normaliseParty(input.party);
  const email = normaliseEmail(input.email);
  const name = input.name?.trim() ? input.name.trim().slice(0, 200) : null;
  const known = await db('parties').whereRaw("upper(country_code) || '-' || upper(party_id) = ?", [party]).first('id');
  if (!known) throw notFound(`party ${party}`);
  const inserted = await db.raw('INSERT INTO billing_contacts (party, email, name, created_by) VALUES (?, ?, ?, ?) ON CONFLICT (party, lower(email)) DO NOTHING RETURNING *', [party, email, name, input.actor]);
  const row = inserted.rows[0];
  if (!row) throw conflict(`${email} is already a billing contact of ${party}`);
  await audit(db, { actor: input.actor, action: 'billing.contact.add', subject: party, details: { email } });
  return present(row);
}

export async function removeContact(db: Db, input: { party: string; id: string; actor: string }): Promise<void> {
  const party = normaliseParty(input.party);
  if (!/^\d+$/.test(input.id)) throw notFound(`contact ${input.id}`);
  const removed = await db('billing_contacts').where({ id: input.id, party }).delete().returning('email');
  if (removed.length === 0) throw notFound(`contact ${input.id} of ${party}`);
  await audit(db, { actor: input.actor, action: 'billing.contact.remove', subject: party, details: { email: removed[0].email } });
}
