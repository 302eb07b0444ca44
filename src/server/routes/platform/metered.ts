import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import multipart, { type Multipart, type MultipartFile } from '@fastify/multipart';
import { textProblem } from '../../../contracts/common.js';
import { getUser } from '../../../core/accounts/get-user.js';
import { newId } from '../../../core/ids.js';
import { mcToCredits } from '../../../contracts/money.js';
import type { App, AppContext } from '../../context.js';
import { signedInRoutes } from '../../route-docs.js';
import { HttpError } from '../../http-errors.js';
import { isAdmin, principal } from '../../plugins/auth.js';
import { looksLikeServiceKey } from '../../plugins/service-auth.js';
import { chargeSummary } from '../../plugins/credit-guard.js';
import { sendReply } from '../../plugins/idempotency.js';

type Parts = AsyncIterableIterator<Multipart>;

/**
 * The upload's file: its first file part (as `req.file()` took it: fields before it passed
 * over, a broken body none), and whether a field named `file` came before it (a second part
 * named `file`).
 */
async function firstFile(parts: Parts): Promise<{ part: MultipartFile | undefined; fileField: boolean }> {
  let fileField = false;
  try {
    for (;;) {
      const n = await parts.next();
      if (n.done) return { part: undefined, fileField };
      if (n.value.type === 'file') return { part: n.value, fileField };
      if (n.value.fieldname === 'file') fileField = true;
    }
  } catch {
    return { part: undefined, fileField };
  }
}

/**
 * Whether the body goes on, past the file read, with another file (busboy stops at the
 * first: the `files` limit's error) or another part named `file`. Other fields are passed
 * over, and other errors past a whole file (a limit, a broken tail) leave it taken, as before.
 */
async function anotherFile(parts: Parts): Promise<boolean> {
  try {
    for (;;) {
      const n = await parts.next();
      if (n.done) return false;
      if (n.value.type === 'file' || n.value.fieldname === 'file') return true;
    }
  } catch (e) {
    return (e as { code?: unknown }).code === 'FST_FILES_LIMIT';
  }
}

/** A second file, or a second part named `file`: the contract takes one file field `file`. */
const oneFileOnly = () =>
  new HttpError('validation_error', 'Send one file only, in the field `file`; nothing was charged.', {
    fields: [{ path: 'body.file', field: 'file', message: 'Only one file may be sent, in the field `file`' }],
  });

export async function meteredRoutes(app: App, ctx: AppContext) {
  const uploads = join(ctx.config.dataDir, 'uploads');
  const maxBytes = ctx.config.maxUploadMb * 1024 * 1024;

  // Multipart only in this scope, so JSON routes keep their parser.
  await app.register(async (scope: App) => {
    await scope.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 10, parts: 12 } });
    signedInRoutes(
      scope,
      ctx,
      'platform',
    )('POST /api/files', async (req, reply) => {
      if (!req.isMultipart())
        throw new HttpError('unsupported_media_type', 'Send the file as multipart/form-data in a field named `file`.');
      const parts = req.parts();
      const { part, fileField } = await firstFile(parts);
      if (!part || part.fieldname !== 'file') {
        throw new HttpError('validation_error', 'Send one file in a field named `file`.', {
          fields: [{ path: 'body.file', field: 'file', message: 'File is required' }],
        });
      }
      if (fileField) throw oneFileOnly();
      const nameProblem = textProblem(part.filename);
      if (nameProblem) {
        throw new HttpError('validation_error', `The file name ${nameProblem}.`, {
          fields: [{ path: 'body.file.filename', field: 'file', message: `The file name ${nameProblem}` }],
        });
      }
      await mkdir(uploads, { recursive: true });
      const id = newId();
      const path = join(uploads, id);
      let bytes = 0;
      const digest = createHash('sha256');
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          bytes += chunk.length;
          digest.update(chunk);
          cb(null, chunk);
        },
      });
      try {
        await pipeline(part.file, counter, createWriteStream(path));
      } catch (e) {
        await rm(path, { force: true });
        // The body ended or broke inside the file (busboy: "Unexpected end of multipart data"):
        // the client's 400. An error of the file system (it names a syscall) stays the server's.
        if (e instanceof Error && !('syscall' in e) && !('statusCode' in e)) {
          throw new HttpError(
            'validation_error',
            `The upload's multipart body is incomplete or malformed (${e.message}); nothing was charged.`,
            {
              fields: [{ path: 'body.file', field: 'file', message: "The upload's multipart body is incomplete or malformed" }],
            },
          );
        }
        throw e;
      }
      if (part.file.truncated) {
        await rm(path, { force: true });
        throw new HttpError('payload_too_large', `Files are limited to ${ctx.config.maxUploadMb} MB.`);
      }
      if (await anotherFile(parts)) {
        await rm(path, { force: true });
        throw oneFileOnly();
      }
      const name = part.filename.slice(0, 255) || 'upload';
      try {
        const r = await ctx.guard.charge(req, {
          operation: 'file_upload',
          unit: 'per_mb',
          quantityMilli: bytes * 1000,
          metadata: { fileId: id, fileName: name, bytes },
          // The Idempotency-Key covers the file itself: another file under the same key is a conflict.
          body: { name, size: bytes, contentType: part.mimetype, sha256: digest.digest('hex') },
          // The fingerprint covers what was uploaded, not the multipart framing.
          render: (applied) => ({
            status: 201,
            body: { file: { id, name, size: bytes, contentType: part.mimetype }, credits: chargeSummary(applied) },
          }),
        });
        if (r.replayed) await rm(path, { force: true });
        return sendReply(reply, r);
      } catch (e) {
        await rm(path, { force: true });
        throw e;
      }
    });
  });

  const route = signedInRoutes(app, ctx, 'platform');
  route('POST /api/workflows/:id/execute', async (req, reply) => {
    const workflowId = req.params.id;
    const r = await ctx.guard.charge(req, {
      operation: 'workflow',
      unit: 'per_execution',
      quantityMilli: 1000,
      metadata: { workflowId },
      render: (applied) => ({
        status: 201,
        body: { execution: { id: applied.usageId ?? newId(), workflowId, status: 'completed' }, credits: chargeSummary(applied) },
      }),
    });
    return sendReply(reply, r);
  });

  route(
    'POST /api/usage',
    {
      security: [{ serviceKey: [] }, { apiKey: [] }, { bearer: [] }],
      onRequest: async (req, reply) => {
        // A service key (SERVICE_API_KEY or a `ck_live_` key made by an admin), in X-Service-Key or as a Bearer token.
        if (looksLikeServiceKey(req, ctx.config.serviceApiKey)) {
          await ctx.authenticateService(req);
          return;
        }
        await ctx.authenticate(req, reply);
        if (!isAdmin(req.principal)) throw new HttpError('forbidden', 'Metering for other users needs an admin token or the service key.');
      },
    },
    async (req, reply) => {
      principal(req);
      const b = req.body;
      const target = await getUser(ctx.core.database.db, b.userId);
      const price = await ctx.core.pricing.price(b.operation, b.unit, b.quantity);
      const r = await ctx.guard.charge(req, {
        userId: target.id,
        bypass: target.role === 'super_admin',
        operation: b.operation,
        unit: b.unit,
        quantityMilli: b.quantity,
        key: b.idempotencyKey,
        requireKey: true,
        metadata: {
          source: req.apiKey ? (req.apiKey.id === 'service' ? 'service' : `api_key:${req.apiKey.id}`) : `admin:${req.principal?.id}`,
        },
        render: (applied) => ({
          status: 201,
          body: {
            usage: {
              id: applied.usageId ?? null,
              userId: target.id,
              operation: b.operation,
              unit: b.unit,
              quantity: b.quantity / 1000,
              cost: mcToCredits(price.costMc),
            },
            credits: chargeSummary(applied),
          },
        }),
      });
      return sendReply(reply, r);
    },
  );
}
