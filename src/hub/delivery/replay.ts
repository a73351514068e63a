// Replaying dead letters. A dead letter goes back onto its receiver's lane, at the end, after
// whatever was accepted (and maybe delivered) since. Sending the old message itself could roll the
// receiver back: an old Location PUT would overwrite the newer state its later PATCHes and PUTs
// already delivered. So an object the hub keeps state of (locations, sessions, tariffs, tokens in
// ocpi_objects; ClientInfo in parties) is replayed as that state, read now: one PUT of the whole
// top-level object (or the DELETE of a deleted tariff) per receiver and object, however many of
// its pushes were dead-lettered. CDRs are immutable and replay as they were sent. Each letter is
// marked replayed so a second replay does not send it again.
import { audit } from '../../store/audit.ts';
import type { Knex } from 'knex';
import type { HubDeps } from '../../deps.ts';
import type { OcpiPushMessage } from '../../bus/messages.ts';
import { findObject } from '../../store/objects.ts';
import { toOcpiDateTime } from '../../../ocpi/envelope.ts';
import { publishPush } from '../publishPush.ts';
import { openDeadLetters } from './deadLetters.ts';
import { DEFAULT_TOKEN_TYPE, pushObjectKey, queryTokenType, tokenObjectId } from '../tokenIdentity.ts';

/** Modules whose objects the hub stores (ocpi_objects), keyed by [country_code, party_id, id] (tokens: and type). */
const STORED_MODULES = new Set(['locations', 'sessions', 'tariffs', 'tokens']);

export type ReplayedAs = 'current_state' | 'current_deletion' | 'original';

export interface ReplayedObject {
  receiver: string;
  module: string;
  object_key: string;
  /** Dead letters this one message replays (ids, oldest first). */
  dead_letters: string[];
  /** What was sent: the object's current stored state, its deletion, or the dead-lettered message itself. */
  sent_as: ReplayedAs;
}

export interface ReplayReport {
  /** Dead letters taken off the open list. */
  replayed: number;
  /** Messages put back on the receivers' lanes (one per object, one per CDR). */
  published: number;
  objects: ReplayedObject[];
}

interface Letter {
  id: string;
  receiver: string;
  object_key: string;
  message: OcpiPushMessage;
}

export async function replayDeadLetters(deps: HubDeps, options: { receiver?: string; since?: Date; actor: string }): Promise<ReplayReport> {
  const letters = ((await openDeadLetters(deps.db, options.receiver, options.since)) as Letter[]).map((l) => ({ ...l, id: String(l.id) }));
  // One replay per receiver and object the hub keeps state of, oldest dead letter first; every
  // other letter (CDRs, objects without stored state) goes as it was sent.
  const groups = new Map<string, Letter[]>();
  for (const letter of letters) {
    const key = letter.message.module === 'cdrs' ? `letter:${letter.id}` : `${letter.receiver}|${objectKeyOf(letter.message)}`;
    groups.set(key, [...(groups.get(key) ?? []), letter]);
  }
  const objects: ReplayedObject[] = [];
  const republish = (letter: Letter, message: OcpiPushMessage) => publishPush(deps, [{ ...message, accepted_at: new Date().toISOString() }], (m) => `replay:${letter.id}:${m.object_key}`);
  for (const group of groups.values()) {
    const latest = group[group.length - 1];
    const replays = await deps.db.transaction(async (trx) => {
      // The object's row stays locked until its replay is on the stream: a push that changes the
      // object meanwhile (acceptPush takes the same lock) is published after it. A push committed
      // just before the lock but published just after the replay carries a change the replayed
      // state already holds, so it changes nothing at the receiver.
      const replay = await currentState(deps, trx, latest.message);
      const sent: ReplayedObject[] = [];
      if (replay) {
        await republish(latest, replay.message);
        sent.push({ receiver: latest.receiver, module: latest.message.module, object_key: latest.object_key, dead_letters: group.map((l) => l.id), sent_as: replay.as });
      } else {
        for (const letter of group) {
          await republish(letter, letter.message);
          sent.push({ receiver: letter.receiver, module: letter.message.module, object_key: letter.object_key, dead_letters: [letter.id], sent_as: 'original' });
        }
      }
      await trx('dead_letters').whereIn('id', group.map((l) => l.id)).update({ replayed_at: trx.fn.now() });
      return sent;
    });
    objects.push(...replays);
  }
  const report = { replayed: letters.length, published: objects.length, objects };
  await audit(deps.db, {
    actor: options.actor,
    action: 'deliveries.replay',
    subject: options.receiver ?? 'all',
    details: { count: letters.length, published: objects.length, since: options.since ?? null, objects: objects.map(({ object_key, sent_as, dead_letters }) => ({ object_key, sent_as, dead_letters })) },
  });
  return report;
}

/**
 * The message that brings the receiver to the object's state as the hub stores it now, or
 * undefined when the hub keeps no state of it (CDRs, unknown objects): then the letter goes as sent.
 */
export async function currentState(deps: HubDeps, trx: Knex.Transaction, letter: OcpiPushMessage): Promise<{ message: OcpiPushMessage; as: ReplayedAs } | undefined> {
  if (STORED_MODULES.has(letter.module) && letter.path.length >= 3) {
    const [countryCode, partyId, id] = letter.path;
    const objectId = letter.module === 'tokens' ? tokenObjectId(id, letterTokenType(letter)) : id;
    const stored = await findObject(trx, { module: letter.module, countryCode, partyId, objectId }, { lock: true });
    if (!stored) return undefined;
    const path = [countryCode, partyId, id];
    // In the lane of the object's pushes now (a token's key names its type since it is part of its identity).
    const object_key = objectKeyOf(letter);
    if (stored.deleted) return { message: { ...letter, object_key, event: 'delete', path, body: undefined, query: undefined }, as: 'current_deletion' };
    // Tokens are PUT with ?type=, which the stored token carries.
    const query = letter.module === 'tokens' && typeof stored.data.type === 'string' ? `type=${encodeURIComponent(stored.data.type)}` : letter.module === 'tokens' ? letter.query : undefined;
    return { message: { ...letter, object_key, event: 'put', path, query, body: stored.data }, as: 'current_state' };
  }
  if (letter.module === 'hubclientinfo' && letter.path.length === 2) {
    const role = letter.object_key.split(':').at(-1);
    const row = await trx('parties')
      .whereRaw('upper(country_code) = upper(?) AND upper(party_id) = upper(?)', letter.path)
      .where({ role })
      .forUpdate()
      .first('country_code', 'party_id', 'role', 'status', 'last_updated');
    if (!row) return undefined;
    const body = { country_code: row.country_code, party_id: row.party_id, role: row.role, status: row.status, last_updated: toOcpiDateTime(new Date(row.last_updated)) };
    return { message: { ...letter, event: 'put', body }, as: 'current_state' };
  }
  return undefined;
}

/**
 * The type of the token a letter is for: its `?type=`, else its body's (a letter accepted before
 * the hub checked that the two agree), else RFID.
 */
function letterTokenType(letter: OcpiPushMessage): string {
  const bodyType = (letter.body as { type?: unknown } | undefined)?.type;
  return queryTokenType(letter.query) ?? (typeof bodyType === 'string' ? bodyType : DEFAULT_TOKEN_TYPE);
}

/**
 * The object a letter is for, as its object_key names it now: a token's key carries its type
 * (pushObjectKey), which letters dead-lettered (or outbox rows written) before it did not.
 */
export function objectKeyOf(letter: OcpiPushMessage): string {
  if (letter.module !== 'tokens' || letter.path.length < 3) return letter.object_key;
  const [countryCode, partyId, uid] = letter.path;
  return pushObjectKey('tokens', countryCode, partyId, uid, letterTokenType(letter));
}

/** A report line per replayed object, for the CLI. */
export function describeReplay(report: ReplayReport): string[] {
  return report.objects.map((o) => {
    const letters = o.dead_letters.length === 1 ? `dead letter ${o.dead_letters[0]}` : `dead letters ${o.dead_letters.join(', ')}`;
    const what = o.sent_as === 'current_state' ? 'sent as its current state (PUT)' : o.sent_as === 'current_deletion' ? 'sent as its deletion (DELETE)' : 'sent as it was';
    return `${o.receiver} ${o.object_key}: ${letters} ${what}`;
  });
}
