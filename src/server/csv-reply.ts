import type { FastifyReply } from 'fastify';

/** Sends `body` (CSV text, its header line first) as a download named `filename`, never cached. */
export function sendCsv(reply: FastifyReply, filename: string, body: string): string {
  reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename}"`)
    .header('cache-control', 'no-store');
  return body;
}
