/**
 * The metadata of a service API usage transaction, as the customer's history shows it:
 * what was charged (`operation`, `unit`, `quantity` in the unit's base quantity) and the
 * platform's own `metadata`, whose keys are kept as given beside those three (a platform key
 * of the same name is kept under `metadata`).
 */
export function serviceUsageMetadata(
  u: { operation: string; unit: string; quantityMilli: number; metadata?: Record<string, unknown> | undefined },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const own = { operation: u.operation, unit: u.unit, quantity: u.quantityMilli / 1000, ...extra };
  const given = u.metadata ?? {};
  const clash = Object.keys(given).some((k) => k in own);
  return clash ? { ...own, metadata: given } : { ...given, ...own };
}
