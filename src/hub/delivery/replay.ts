// Replaying dead letters: each goes back onto its receiver's lane as a new message, in the order
// the hub first accepted them, and is marked replayed so it is not sent twice by a second replay.
import type { HubDeps } from '../../deps.ts';
import type { OcpiPushMessage } from '../../bus/messages.ts';
import { publishPush } from '../publishPush.ts';
import { openDeadLetters } from './deadLetters.ts';

export async function replayDeadLetters(deps: HubDeps, options: { receiver?: string; since?: Date; actor: string }): Promise<number> {
  const letters = await openDeadLetters(deps.db, options.receiver, options.since);
  for (const letter of letters) {
    const message = letter.message as OcpiPushMessage;
    await publishPush(deps, [{ ...message, accepted_at: new Date().toISOString() }], (m) => `replay:${letter.id}:${m.object_key}`);
    await deps.db('dead_letters').where({ id: letter.id }).update({ replayed_at: deps.db.fn.now() });
  }
  await deps.db('audit_log').insert({ actor: options.actor, action: 'deliveries.replay', subject: options.receiver ?? 'all', details: JSON.stringify({ count: letters.length, since: options.since ?? null }) });
  return letters.length;
}
