/**
 * A request refused for its size (413) before its body was read: the answer goes out at
 * once, and the rest of the body is read and discarded, up to a bound, before the
 * connection may close.
 *
 * Fastify answers such a request with `Connection: close`, and Node closes the socket as
 * soon as the answer is written. The client is still sending; the kernel answers the data
 * that arrives on a closed socket (or sits unread in it) with a reset, and a client that
 * reads only after sending its body then loses the answer it was sent. Draining keeps the
 * connection open until the client has sent everything, so it reads a clean 413. A body
 * larger than the bound, or one that trickles for longer than the time bound, gets the
 * connection cut: nobody may make the server read forever.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export const DRAIN_MAX_BYTES = 64 * 1024 * 1024;
export const DRAIN_MAX_MS = 10_000;

export function drainOversizedBody(req: FastifyRequest, reply: FastifyReply): void {
  const raw = req.raw;
  if (raw.complete || raw.destroyed) return;
  // Keep the connection: Node then leaves the socket open after the answer, and the
  // discarded rest of the body leaves it ready for the next request.
  reply.removeHeader('connection');
  let seen = 0;
  const cut = () => {
    cleanup();
    raw.socket?.destroy();
  };
  const timer = setTimeout(cut, DRAIN_MAX_MS);
  timer.unref();
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DRAIN_MAX_BYTES) cut();
  };
  const cleanup = () => {
    clearTimeout(timer);
    raw.removeListener('data', onData);
    raw.removeListener('end', cleanup);
    raw.removeListener('close', cleanup);
  };
  raw.on('data', onData);
  raw.once('end', cleanup);
  raw.once('close', cleanup);
  raw.resume();
}
