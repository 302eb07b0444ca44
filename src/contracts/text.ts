/**
 * What is wrong with a piece of free text a person typed (a name, a recipient, a reason):
 * no zod here, so the dashboard checks the same before it sends (contracts/common.ts's
 * `freeText` uses it on the server).
 */

// C0 controls, DEL and C1 controls; the same without tab, line feed and carriage return.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROLS_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
// Bidirectional embeddings and overrides (U+202A..U+202E) and isolates (U+2066..U+2069):
// they make text display in another order than it is stored ("Trojan Source").
const BIDI_OVERRIDES = /[\u202a-\u202e\u2066-\u2069]/;
// A lone (unpaired) surrogate: not a character, and not text UTF-8 can hold (JSON's `\ud800`
// escape makes one); the databases would store it differently (core/ledger/ledger-rows.ts). With
// the `u` flag a pair is one code point, never `Cs`.
const LONE_SURROGATE = /\p{Cs}/u;

/** What is wrong with a piece of free text as a phrase, or null when it is fine. */
export function textProblem(value: string, opts: { multiline?: boolean } = {}): string | null {
  if ((opts.multiline ? CONTROLS_BUT_LINES : CONTROLS).test(value)) {
    return opts.multiline
      ? 'must not contain control characters other than line breaks and tabs'
      : 'must not contain control characters such as line breaks or tabs';
  }
  if (BIDI_OVERRIDES.test(value)) return 'must not contain bidirectional override characters (U+202A to U+202E, U+2066 to U+2069)';
  if (LONE_SURROGATE.test(value)) return 'must not contain unpaired surrogates (text that is not valid Unicode)';
  return null;
}
