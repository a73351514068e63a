// Small NATS writes (acks, traffic facts) gathered per event-loop turn. nats.js writes its socket
// once per microtask checkpoint, so an ack sent from each delivery's own I/O callback costs a
// syscall of its own (and a read on the server); deferred to the turn's end, all acks and facts of
// the callbacks that ran in that turn leave in one write.
const queued: (() => void)[] = [];

export function nextTurn(send: () => void): void {
  if (queued.length === 0) setImmediate(flushTurn);
  queued.push(send);
}

/** Sends what is queued now (before a consumer stops or the connection closes). */
export function flushTurn(): void {
  const sends = queued.splice(0);
  for (const send of sends) send();
}
