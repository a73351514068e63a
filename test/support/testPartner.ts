// Tests use the same partner platform as the simulator and the benchmarks.
export { SimPartner as TestPartner, type PartnerRole, type ReceivedRequest, type Responder } from '../../src/sim/partner.ts';
