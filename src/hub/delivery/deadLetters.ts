import type { Db } from '../../store/db.ts';
import type { OcpiPushMessage } from '../../bus/messages.ts';
import { partyKey } from '../../bus/subjects.ts';

export async function recordDeadLetter(db: Db, message: OcpiPushMessage, streamSeq: number, reason: string, attempts: number): Promise<void> {
  await db('dead_letters')
    .insert({
      receiver: message.receiver ? partyKey(message.receiver.country_code, message.receiver.party_id) : 'none',
      module: message.module,
      object_key: message.object_key,
      stream_seq: streamSeq,
      message: JSON.stringify(message),
      reason,
      attempts,
    })
    .onConflict(['receiver', 'stream_seq'])
    .ignore();
}

export async function openDeadLetters(db: Db, receiver?: string, since?: Date) {
  const query = db('dead_letters').whereNull('replayed_at').orderBy('id');
  if (receiver) query.where({ receiver });
  if (since) query.where('created_at', '>=', since);
  return query.select('id', 'receiver', 'module', 'object_key', 'stream_seq', 'reason', 'attempts', 'created_at', 'message');
}
