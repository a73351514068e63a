import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { failure } from '../../ocpi/envelope.ts';
import { OcpiStatus } from '../../ocpi/statusCodes.ts';

/**
 * Requests Node's HTTP parser refuses before Koa sees them (headers over 16 KB, malformed request
 * lines) get an OCPI envelope too, instead of Node's bare 431/400. Found by test/security/fuzz.test.ts.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', function answerClientError(err: NodeJS.ErrnoException, socket: Duplex) {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason, message] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'request headers larger than 16 KB']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'request not received in time']
          : [400, 'Bad Request', 'malformed HTTP request'];
    const body = JSON.stringify(failure(OcpiStatus.ClientError, message));
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
