/** What the service asks of the voice-call provider (VAPI in production, a stand-in in tests). */

/** A call as the provider reports it. Times are ISO strings; null when the provider has none. */
export interface CallFacts {
  id: string;
  /** The provider's word: scheduled, queued, ringing, in-progress, forwarding, ended... */
  status: string;
  startedAt: string | null;
  endedAt: string | null;
  /** The reference the call was placed with (our call id), when the provider echoes it. */
  reference: string | null;
}

export interface PlaceCallInput {
  /** Our id of the call, given to the provider so the call can be found without its id. */
  reference: string;
  phoneNumber: string;
  assistantId: string | null;
  maxDurationSeconds: number;
}

/**
 * A provider failure. `definite`: the request certainly had no effect (the provider refused
 * it: a 4xx). Otherwise it may have taken effect; `answered` then says the provider itself
 * answered (a 500 or 503: it is done with the request, so what it lists afterwards is
 * final), as opposed to no answer, a timeout or a gateway's 502/504 (it may still be at it).
 */
export class CallProviderError extends Error {
  constructor(
    message: string,
    readonly definite: boolean,
    readonly answered = definite,
  ) {
    super(message);
    this.name = 'CallProviderError';
  }
}

export interface CallProvider {
  /** True for the simulated twin: its calls end through the API, with the caller's duration. */
  readonly simulated: boolean;
  /** Places an outbound call; throws CallProviderError. */
  placeCall(input: PlaceCallInput): Promise<CallFacts>;
  /** The call as the provider has it; null when the provider does not know it. Throws when it cannot say. */
  getCall(id: string): Promise<CallFacts | null>;
  /**
   * The call placed with `reference` since `since` (Unix ms), found by listing the
   * provider's calls; null when the provider lists none. Throws when it cannot say.
   */
  findCall(reference: string, since: number): Promise<CallFacts | null>;
  /** Asks the provider to hang up. A call that already ended is not an error. Throws CallProviderError. */
  hangUp(id: string): Promise<void>;
}

/** VAPI's duration of an ended call in ms (endedAt - startedAt; 0 when it never connected); null when it has not ended. */
export function endedDurationMs(facts: CallFacts): number | null {
  if (facts.status !== 'ended' || !facts.endedAt) return null;
  if (!facts.startedAt) return 0;
  const d = Date.parse(facts.endedAt) - Date.parse(facts.startedAt);
  return Number.isFinite(d) && d >= 0 ? d : null;
}
