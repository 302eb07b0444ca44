/**
 * Progress of a long `credits verify`, on stderr (stdout keeps the summary, or the heads
 * with `--export-heads`): nothing for a ledger checked within the first `everyMs`, then a
 * line every `everyMs` with the rows checked of the rows there are, and one when the walk
 * is done and the cross-checks begin. A million rows take about 20 s on a small machine.
 */
export function verifyProgress(
  started: number,
  opts: { everyMs?: number; now?: () => number; write?: (line: string) => void } = {},
): (checked: number, total: number) => void {
  const everyMs = opts.everyMs ?? 2000;
  const now = opts.now ?? Date.now;
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  let next = started + everyMs;
  let said = false;
  let walked = false;
  return (checked, total) => {
    const t = now();
    const done = checked >= total;
    if (done && said && !walked) {
      walked = true;
      write(`verify: ${checked.toLocaleString('en-US')} ledger rows walked; cross-checking balances, holds, usage, payments and grants`);
      return;
    }
    if (t < next || done) return;
    next = t + everyMs;
    said = true;
    const pct = total > 0 ? Math.floor((checked * 100) / total) : 100;
    write(
      `verify: ${checked.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} ledger rows checked (${pct}%), ${Math.round((t - started) / 1000)} s`,
    );
  };
}
