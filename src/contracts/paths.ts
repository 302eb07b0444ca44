/**
 * The URL of a call from its endpoint key ("METHOD /path/:id"), without zod, so a
 * client can build requests without bundling the schemas.
 */

export type QueryValue = string | number | boolean | null | undefined;

/** Splits "POST /api/admin/users/:id/adjustments" and fills in the `:name` parameters (encoded) and the query. */
export function requestTarget(
  key: string,
  params?: Record<string, string | number>,
  query?: Record<string, unknown>,
): { method: string; path: string } {
  const space = key.indexOf(' ');
  const method = key.slice(0, space);
  let path = key.slice(space + 1).replace(/:([A-Za-z_]\w*)/g, (_, name: string) => {
    const v = params?.[name];
    if (v === undefined || v === '') throw new Error(`${key}: the parameter ${name} is missing`);
    return encodeURIComponent(String(v));
  });
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') search.set(k, String(v as QueryValue));
  }
  const qs = search.toString();
  if (qs) path += `?${qs}`;
  return { method, path };
}
