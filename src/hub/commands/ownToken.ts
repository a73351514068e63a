// "The eMSP SHALL use only its own tokens" in START_SESSION and RESERVE_NOW (SPEC-DIGEST,
// commands): a command naming another eMSP's token would start a charge that eMSP never
// authorized, and its session and CDR would then be routed to it (open routing by command tokens).
import type { CommandType } from '../../../ocpi/schemas/enums.ts';
import type { PartyRef } from '../../bus/messages.ts';
import { InvalidParametersError } from '../../errors.ts';

const TOKEN_COMMANDS: ReadonlySet<CommandType> = new Set(['START_SESSION', 'RESERVE_NOW']);

/** Throws 2001 naming each token owner field that is not the sender's, for a command that carries a token. */
export function refuseForeignToken(command: CommandType, token: unknown, sender: PartyRef): void {
  if (!TOKEN_COMMANDS.has(command) || typeof token !== 'object' || token === null) return;
  const named = token as Record<string, unknown>;
  const wrong = (['country_code', 'party_id'] as const).filter((field) => String(named[field]).toUpperCase() !== sender[field].toUpperCase());
  if (wrong.length === 0) return;
  throw new InvalidParametersError(
    `token ${String(named.country_code)}-${String(named.party_id)} is not the sender's (${sender.country_code}-${sender.party_id}): an eMSP may only use its own tokens in ${command}`,
    wrong.map((field) => ({ path: `token.${field}`, message: `must be the sending party's own (${sender[field]})` })),
  );
}
