// How long the web role's HTTP server waits for clients (HTTP_HEADERS_TIMEOUT_S,
// HTTP_REQUEST_TIMEOUT_S, HTTP_KEEP_ALIVE_TIMEOUT_S), so a slow or stalled client cannot hold a
// socket: Node's own defaults let one sit on it for 5 minutes per request.
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../config.ts';
import { refuseAndClose } from './clientErrors.ts';

type TimeoutConfig = Pick<Config, 'HTTP_HEADERS_TIMEOUT_S' | 'HTTP_REQUEST_TIMEOUT_S' | 'HTTP_KEEP_ALIVE_TIMEOUT_S'>;

/**
 * Options for http.createServer. Node enforces the headers and request timeouts only when it sweeps
 * its connections, every connectionsCheckingInterval (30 s by default, so a 20 s limit would hold
 * anywhere up to 50 s): the sweep runs every second here, or four times per headers timeout when
 * that is shorter, so a limit holds within a second of being reached.
 */
export function serverOptions(config: TimeoutConfig): ServerOptions {
  const headersTimeout = Math.round(config.HTTP_HEADERS_TIMEOUT_S * 1000);
  return {
    headersTimeout,
    requestTimeout: Math.round(config.HTTP_REQUEST_TIMEOUT_S * 1000),
    keepAliveTimeout: Math.round(config.HTTP_KEEP_ALIVE_TIMEOUT_S * 1000),
    connectionsCheckingInterval: Math.min(1000, Math.ceil(headersTimeout / 4)),
  };
}

/** Node keeps an idle keep-alive socket this much longer than keepAliveTimeout (HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER). */
const NODE_KEEP_ALIVE_BUFFER_MS = 1000;

/**
 * Closes a keep-alive connection that has not started its next request in time, whatever bytes
 * it sends meanwhile. Node restarts the keep-alive timer on any data after a response, and bytes
 * that start no request (an empty line, `\r\n`) start no headers timer either
 * (https://github.com/nodejs/node/issues/58140, fixed by nodejs/node#58178; Node 20.20 still
 * has it): a client sending `\r\n` every few seconds would hold the socket for good. A request
 * that starts while Node keeps the connection has its headers within the headers timeout, so a
 * connection without one past the two together is such a client: it gets 408 and is closed, as
 * for the other limits. A client that is merely idle is closed by Node before, without a 408.
 */
export function closeStalledKeepAlive(server: Server, config: TimeoutConfig): void {
  const limitMs = Math.round((config.HTTP_KEEP_ALIVE_TIMEOUT_S + config.HTTP_HEADERS_TIMEOUT_S) * 1000) + NODE_KEEP_ALIVE_BUFFER_MS;
  const connections = new WeakMap<Socket, { inFlight: number; timer?: NodeJS.Timeout }>();
  server.on('request', function watchKeepAlive(req: IncomingMessage, res: ServerResponse) {
    const socket = req.socket;
    let state = connections.get(socket);
    if (!state) {
      const created: { inFlight: number; timer?: NodeJS.Timeout } = { inFlight: 0 };
      connections.set(socket, created);
      socket.once('close', () => clearTimeout(created.timer));
      state = created;
    }
    const connection = state;
    connection.inFlight += 1;
    clearTimeout(connection.timer);
    // 'close' comes after the response is sent, or when the socket goes: either way this request is over.
    res.once('close', () => {
      connection.inFlight -= 1;
      if (connection.inFlight > 0 || socket.destroyed) return;
      connection.timer = setTimeout(() => {
        if (connection.inFlight === 0 && !socket.destroyed) refuseAndClose(socket, 408, 'Request Timeout', 'no request on this connection in time');
      }, limitMs);
      connection.timer.unref();
    });
  });
}
