// A call a provider's API does not have is the request's fault: a 400, never retried, never sent. It is
// made here, and only here, for every provider.
import { BadRequestError } from '../errors';
import type { Provider } from './provider';

/** The calls a provider may lack (every provider chats). */
export type OptionalCall = 'textCompletion' | 'embedding' | 'transcription';

/** Each optional call's API as the 400 names it, and where to turn instead, when there is somewhere. */
const API_OF: Readonly<Record<OptionalCall, { api: string; hint?: string }>> = {
  textCompletion: { api: 'text completion', hint: 'use completion() with messages' },
  embedding: { api: 'embeddings' },
  transcription: { api: 'transcription' },
};

/** The 400 for a call `provider` has no API for: `<provider> has no <api> API`, with `hint` after it. */
export function callRefused(provider: string, api: string, options: { model?: string; hint?: string } = {}): BadRequestError {
  const hint = options.hint ? `; ${options.hint}` : '';
  return new BadRequestError(`${provider} has no ${api} API${hint}`, {
    status: 400,
    provider,
    ...(options.model === undefined ? {} : { model: options.model }),
  });
}

/** `provider`, when it has `call`; else the 400 that says it has not. */
export function withCall<Call extends OptionalCall>(provider: Provider, call: Call): Provider & Required<Pick<Provider, Call>> {
  if (typeof provider[call] !== 'function') {
    const { api, hint } = API_OF[call];
    throw callRefused(provider.name, api, hint === undefined ? {} : { hint });
  }
  return provider as Provider & Required<Pick<Provider, Call>>;
}
