import type { InterfaceRole, ModuleId } from '../../../../ocpi/headers.ts';

export const OCPI_VERSION = '2.2.1';

export interface HubEndpoint {
  identifier: ModuleId;
  role: InterfaceRole;
  /** Path below /ocpi/2.2.1. Sender and Receiver interfaces get separate paths: their URL shapes overlap. */
  path: string;
}

/** Every module and interface role the hub implements, as listed in its version details. */
export const hubEndpoints: HubEndpoint[] = [
  { identifier: 'credentials', role: 'SENDER', path: '/credentials' },
  { identifier: 'hubclientinfo', role: 'SENDER', path: '/sender/hubclientinfo' },
  ...(['locations', 'sessions', 'cdrs', 'tariffs', 'tokens'] as const).flatMap((m): HubEndpoint[] => [
    { identifier: m, role: 'SENDER', path: `/sender/${m}` },
    { identifier: m, role: 'RECEIVER', path: `/receiver/${m}` },
  ]),
  { identifier: 'commands', role: 'RECEIVER', path: '/receiver/commands' },
  { identifier: 'chargingprofiles', role: 'RECEIVER', path: '/receiver/chargingprofiles' },
  { identifier: 'chargingprofiles', role: 'SENDER', path: '/sender/chargingprofiles' },
];

export function endpointUrl(publicUrl: string, endpoint: HubEndpoint): string {
  return `${publicUrl}/ocpi/${OCPI_VERSION}${endpoint.path}`;
}
