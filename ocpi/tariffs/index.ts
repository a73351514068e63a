// The tariff calculator's public API. Pure functions of their inputs: no IO, no clock.
export { priceCdr } from './price.ts';
export { validateCdr, type CdrFinding, type ValidateCdrOptions, type ConnectorPower } from './validateCdr.ts';
export { explainPrice } from './explain.ts';
export { priceResultToJson } from './output.ts';
export { readCdr, readTariffs } from './input.ts';
export { PricingInputError } from './errors.ts';
export { compileTariff } from './compiledTariff.ts';
export { timeZone } from './localTime.ts';
export type * from './types.ts';
