import { useState } from 'react';
import { api } from '../../api/client';
import { SubmitActions } from '../../components/Actions';
import { Field, fieldErrors } from '../../components/Field';
import { ErrorMessage } from '../../components/ui';
import { ActionCard, Charged, Price, useEstimate } from './parts';
import { useCharge } from './use-charge';
import { useConfig } from '../../lib/config';
import { onSubmit } from '../../lib/forms';

/** "Upload file": priced by size (per MB) before, charged after. */
export function FileCard() {
  const [file, setFile] = useState<File | null>(null);
  const maxMb = useConfig().data?.maxUploadMb;
  // The server refuses a file over its limit (413) only once the whole file was sent: say so before.
  const tooLarge = file !== null && maxMb !== undefined && file.size > maxMb * 1_048_576;
  const estimate = useEstimate('file_upload', 'per_mb', file ? file.size : 1_048_576);
  const upload = useCharge(
    (f: File, idempotencyKey: string) => {
      const form = new FormData();
      form.append('file', f, f.name);
      return api('POST /api/files', { body: form, idempotent: true, idempotencyKey });
    },
    // The same file picked again is a new File object: it is the same upload (the server's fingerprint is its content).
    (a, b) => a.name === b.name && a.size === b.size && a.lastModified === b.lastModified,
  );
  const submit = onSubmit(() => {
    if (file && !tooLarge) upload.mutate(file);
  });
  return (
    <ActionCard title="File" description="Upload a resume or document for processing, priced by size.">
      <form className="stack" onSubmit={submit} noValidate>
        <Field
          label="File"
          type="file"
          onChange={(e) => {
            setFile(e.target.files?.[0] ?? null);
            upload.reset();
          }}
          hint={maxMb === undefined ? undefined : `Up to ${maxMb} MB.`}
          error={tooLarge ? `Files are limited to ${maxMb} MB; this one is ${formatMb(file.size)}.` : fieldErrors(upload.error).file}
        />
        <Price estimate={estimate} suffix={file ? ` for ${formatMb(file.size)}` : ' per MB'} />
        <ErrorMessage error={upload.error} inline={['file']} />
        {upload.data && !upload.isPending ? <Charged credits={upload.data.credits}>Uploaded {upload.data.file.name}.</Charged> : null}
        <SubmitActions label="Upload file" busy={upload.isPending} disabled={!file || tooLarge} />
      </form>
    </ActionCard>
  );
}

/** A file's size in MB for a person: two decimals, and never rounded down to the limit it is over ("25.01 MB", not "25.00 MB"). */
function formatMb(bytes: number): string {
  return `${(Math.ceil((bytes / 1_048_576) * 100) / 100).toFixed(2)} MB`;
}
