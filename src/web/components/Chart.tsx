import type { ReactElement, ReactNode } from 'react';
import { ResponsiveContainer } from 'recharts';

/** The axes' ticks of every chart: small, in the muted text colour. */
export const TICK = { fontSize: 12, fill: '#4a5568' };

/** An axis's title ("Credits"): under the bottom axis, or turned along a left or right one. */
export function axisLabel(value: string, side: 'left' | 'right' | 'bottom') {
  return side === 'bottom'
    ? { value, position: 'insideBottom' as const, offset: -4, style: TICK }
    : {
        value,
        angle: side === 'left' ? -90 : 90,
        position: side === 'left' ? ('insideLeft' as const) : ('insideRight' as const),
        style: { ...TICK, textAnchor: 'middle' as const },
      };
}

/**
 * A chart of the dashboard: a figure named by `label` for screen readers (the browser tests find
 * it by `testId`), `head` above the chart (the range it shows), the chart (a recharts chart) as
 * wide as the card and `height` pixels high, and `caption` under it.
 */
export function Chart({
  label,
  testId,
  height,
  head,
  caption,
  children,
}: {
  label: string;
  testId: string;
  height: number;
  head?: ReactNode;
  caption?: ReactNode;
  children: ReactElement;
}) {
  return (
    <figure className="chart" aria-label={label} data-testid={testId}>
      {head}
      <ResponsiveContainer width="100%" height={height} initialDimension={{ width: 600, height }}>
        {children}
      </ResponsiveContainer>
      {caption ? <figcaption className="muted">{caption}</figcaption> : null}
    </figure>
  );
}
