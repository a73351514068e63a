import { z } from 'zod';
import { OcpiStatus } from './statusCodes.ts';

/** The OCPI response envelope (transport_and_format.asciidoc, Response format). */
export interface Envelope<T = unknown> {
  data?: T;
  status_code: number;
  status_message?: string;
  timestamp: string;
}

export const EnvelopeSchema = z.object({
  data: z.unknown().optional(),
  status_code: z.number().int(),
  status_message: z.string().optional().nullable(),
  timestamp: z.string(),
});

/** OCPI DateTime as the hub writes it: UTC, second precision, with Z. */
export function ocpiNow(now: Date = new Date()): string {
  return toOcpiDateTime(now);
}

export function toOcpiDateTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function success<T>(data?: T, message?: string, now?: Date): Envelope<T> {
  const envelope: Envelope<T> = { status_code: OcpiStatus.Success, timestamp: ocpiNow(now) };
  if (data !== undefined) envelope.data = data;
  if (message) envelope.status_message = message;
  return envelope;
}

export function failure(statusCode: number, message: string, now?: Date): Envelope<never> {
  return { status_code: statusCode, status_message: message, timestamp: ocpiNow(now) };
}
