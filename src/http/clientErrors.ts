import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { failure } from '../../ocpi/envelope.ts';
import { OcpiStatus } from '../../ocpi/statusCodes.ts';

/**
 * Requests Node's HTTP parser refuses before Koa sees them (headers over 16 KB, malformed request
 * lines) or does not receive in time (HTTP_HEADERS_TIMEOUT_S, HTTP_REQUEST_TIMEOUT_S) get an OCPI
 * envelope too, instead of Node's bare 431/400/408. Found by test/security/fuzz.test.ts.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', function answerClientError(err: NodeJS.ErrnoException, socket: Duplex) {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason, message]: [number, string, string] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'request headers larger than 16 KB']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'request not received in time']
          : [400, 'Bad Request', 'malformed HTTP request'];
    refuseAndClose(socket, status, reason, message);
  });
}

/** How long a refused client has to read the answer before its socket is destroyed. */
const LINGER_MS = 2000;

/**
 * Answers on the raw socket and closes it. The socket is destroyed soon after even when the client
 * never closes its side: a client stalling on purpose would otherwise keep it half-open.
 */
export function refuseAndClose(socket: Duplex, status: number, reason: string, message: string): void {
  const body = JSON.stringify(failure(OcpiStatus.ClientError, message));
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
