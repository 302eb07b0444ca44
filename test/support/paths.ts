/**
 * The test client's typed paths: a concrete path ("/api/admin/users/u1/usage?from=...")
 * matched, segment by segment, against the contract's endpoint keys ("GET
 * /api/admin/users/:id/usage"), so `api.get(path)` is typed by the answer of the one
 * endpoint it names. A path no endpoint names, or a `string` the compiler cannot see into,
 * answers `unknown`.
 */
import type { EndpointKey, ResponseOf } from '../../src/contracts/endpoints.js';

type WithoutQuery<P extends string> = P extends `${infer A}?${string}` ? A : P;
type Segments<P extends string> = P extends `${infer A}/${infer B}` ? [A, ...Segments<B>] : [P];
/** A `:name` segment matches any non-empty segment; any other, only itself. */
type SegmentMatches<Pattern extends string, S extends string> = Pattern extends `:${string}`
  ? S extends ''
    ? false
    : true
  : S extends Pattern
    ? true
    : false;
type AllMatch<Pattern extends string[], Path extends string[]> = Pattern extends [infer A extends string, ...infer R extends string[]]
  ? Path extends [infer B extends string, ...infer S extends string[]]
    ? SegmentMatches<A, B> extends true
      ? AllMatch<R, S>
      : false
    : false
  : Path extends []
    ? true
    : false;

/** The endpoint key that `method` and `path` name, never when none does. */
export type KeyOf<M extends string, P extends string> = {
  [K in EndpointKey]: K extends `${M} ${infer Pattern}`
    ? AllMatch<Segments<Pattern>, Segments<WithoutQuery<P>>> extends true
      ? K
      : never
    : never;
}[EndpointKey];

/** The success answer of the endpoint `method` and `path` name; `unknown` when none does. */
export type AnswerOf<M extends string, P extends string> = string extends P
  ? unknown
  : [KeyOf<M, P>] extends [never]
    ? unknown
    : ResponseOf<KeyOf<M, P>>;
