import { useState } from 'react';
import { api } from '../../api/client';
import { SubmitActions } from '../../components/Actions';
import { Field, fieldErrors } from '../../components/Field';
import { ErrorMessage } from '../../components/ui';
import { ActionCard, Charged, Price, useCharge, useEstimate } from './parts';
import { onSubmit } from '../../lib/forms';

/** "Upload file": priced by size (per MB) before, charged after. */
export function FileCard() {
  const [file, setFile] = useState<File | null>(null);
  const estimate = useEstimate('file_upload', 'per_mb', file ? file.size : 1_048_576);
  const upload = useCharge((f: File) => {
    const form = new FormData();
    form.append('file', f, f.name);
    return api('POST /api/files', { body: form, idempotent: true });
  });
  const submit = onSubmit(() => {
    if (file) upload.mutate(file);
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
          error={fieldErrors(upload.error).file}
        />
        <Price estimate={estimate} suffix={file ? ` for ${(file.size / 1_048_576).toFixed(2)} MB` : ' per MB'} />
        <ErrorMessage error={upload.error} inline={['file']} />
        {upload.data && !upload.isPending ? <Charged credits={upload.data.credits}>Uploaded {upload.data.file.name}.</Charged> : null}
        <SubmitActions label="Upload file" busy={upload.isPending} disabled={!file} />
      </form>
    </ActionCard>
  );
}
