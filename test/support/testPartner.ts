// Tests use the same partner platform as the simulator and the benchmarks.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimPartner } from '../../src/sim/partner.ts';

export { SimPartner as TestPartner, type PartnerRole, type ReceivedRequest, type Responder } from '../../src/sim/partner.ts';

/** Delays the partner's answers to matching requests (its responder answers at once); returns the undo. */
export function delayAnswers(p: SimPartner, pathPart: string, ms: number): () => void {
  const target = p as unknown as { handle(req: IncomingMessage, res: ServerResponse): Promise<void> };
  const original = target.handle;
  target.handle = async function delayed(this: SimPartner, req, res) {
    if (req.url?.includes(pathPart)) await new Promise((r) => setTimeout(r, ms));
    return original.call(this, req, res);
  };
  return () => {
    target.handle = original;
  };
}
