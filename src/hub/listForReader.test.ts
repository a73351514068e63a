import { describe, expect, it } from 'vitest';
import { audienceOf, type ListModule } from './listForReader.ts';

const party = (role: string, party_id = role.slice(0, 3)) => ({ country_code: 'NL', party_id, role });

describe('audienceOf', () => {
  // Broadcasts go to the opposite role (SPEC-DIGEST §2.3 b): a CPO's to eMSPs, NSPs, NAPs and OTHER;
  // an eMSP's or OTHER's to CPOs. Only readers of such a role see the module's broadcast objects.
  it.each([
    ['locations', 'EMSP', true],
    ['locations', 'NSP', true],
    ['locations', 'OTHER', true],
    ['locations', 'NAP', true],
    ['locations', 'CPO', false],
    ['tariffs', 'EMSP', true],
    ['tariffs', 'CPO', false],
    ['tokens', 'CPO', true],
    ['tokens', 'EMSP', false],
    ['tokens', 'OTHER', false],
    ['tokens', 'NSP', false],
    ['sessions', 'CPO', false],
  ] as const)('%s broadcast to a %s reader: %s', (module, role, sees) => {
    expect(audienceOf(module as ListModule, [party(role)]).seesBroadcast).toBe(sees);
  });

  it('a platform with a CPO and an eMSP party sees locations broadcast to its eMSP party', () => {
    expect(audienceOf('locations', [party('CPO'), party('EMSP')]).seesBroadcast).toBe(true);
    expect(audienceOf('tokens', [party('CPO'), party('EMSP')]).seesBroadcast).toBe(true);
  });

  it('a reader without parties sees no broadcast', () => {
    expect(audienceOf('locations', []).seesBroadcast).toBe(false);
  });

  it('keeps owners to the module’s owning roles and every party as a receiver', () => {
    const audience = audienceOf('tokens', [party('CPO', 'CP1'), party('EMSP', 'EM1')]);
    expect(audience.receiverKeys).toHaveLength(2);
    expect(audience.owners).toEqual([{ country_code: 'NL', party_id: 'EM1' }]);
  });
});
