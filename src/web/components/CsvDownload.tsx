import { useMutation } from '@tanstack/react-query';
import type { RequestOf } from '../../contracts/endpoints';
import { downloadFile } from '../api/client';
import { SmallButton } from './Actions';

type CsvKey = Parameters<typeof downloadFile>[0];

/** A CSV download of the API (`endpoint` with the page's filters in `request`), saved as `filename()`. */
export function useCsvDownload<K extends CsvKey>(endpoint: K, filename: () => string, request: RequestOf<K>) {
  return useMutation({ mutationFn: () => downloadFile(endpoint, filename(), request) });
}

/** The file's name for a download of today: `payments-2026-05-01.csv`. */
export const todaysFile = (name: string) => () => `${name}-${new Date().toISOString().slice(0, 10)}.csv`;

/** "Download CSV" (or `label`), "Preparing…" while the file is made. */
export function CsvButton({
  csv,
  label = 'Download CSV',
  disabled,
}: {
  csv: { mutate(): void; isPending: boolean };
  label?: string;
  disabled?: boolean;
}) {
  return (
    <SmallButton onClick={() => csv.mutate()} disabled={csv.isPending || disabled}>
      {csv.isPending ? 'Preparing…' : label}
    </SmallButton>
  );
}
