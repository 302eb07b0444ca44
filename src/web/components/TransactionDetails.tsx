import { creditsText, formatBytes, formatDuration, humanize, quantityText, unitLabel } from '../lib/format';

type Metadata = Record<string, unknown> | null;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** What a ledger row paid for, in a few words: "90.5 s", "11 min 35 s", "report.pdf, 1.5 MB", "workflow onboarding", "3 × per message", "2,500 tokens". */
export function detailsSummary(m: Metadata): string {
  if (!m) return '';
  const parts: string[] = [];
  const seconds = num(m.durationSeconds);
  const bytes = num(m.bytes);
  if (text(m.fileName)) parts.push(String(m.fileName));
  if (bytes !== undefined) parts.push(formatBytes(bytes));
  if (text(m.workflowId)) parts.push(`workflow ${m.workflowId}`);
  if (seconds !== undefined) parts.push(formatDuration(seconds));
  else if (text(m.callId)) parts.push('call');
  const quantity = num(m.quantity);
  if (parts.length === 0 && quantity !== undefined && text(m.unit)) parts.push(quantityText(quantity, String(m.unit)));
  const would = num(m.wouldHaveCost);
  if (would !== undefined) parts.push(`would have cost ${creditsText(would)}`);
  return parts.join(', ');
}

const LABELS: Record<string, string> = {
  operation: 'Operation',
  unit: 'Unit',
  quantity: 'Quantity',
  callId: 'Call',
  durationSeconds: 'Duration (seconds)',
  fileName: 'File',
  fileId: 'File id',
  bytes: 'Bytes',
  workflowId: 'Workflow',
  wouldHaveCost: 'Would have cost (credits)',
};

/** A metadata key in words: the known ones by name, others with their camelCase split ("candidateId" -> "Candidate id"). */
function label(k: string): string {
  const known = LABELS[k];
  if (known) return known;
  return humanize(k.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase());
}

function valueText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** A ledger row's metadata: a short summary, and every field in an expandable "Details" list. */
export function TransactionDetails({ metadata }: { metadata: Metadata }) {
  if (!metadata || Object.keys(metadata).length === 0) return <span className="muted">–</span>;
  const summary = detailsSummary(metadata);
  return (
    <details className="tx-details">
      <summary>{summary || 'Details'}</summary>
      <dl>
        {Object.entries(metadata).map(([k, v]) => (
          <div key={k}>
            <dt>{label(k)}</dt>
            <dd>{k === 'operation' ? humanize(String(v)) : k === 'unit' ? unitLabel(String(v)) : valueText(v)}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}
