// A call a provider's API does not have is the request's fault: a 400, never retried, never sent. It is
// made here, and only here, for every provider.
import { BadRequestError } from '../errors';
import type { Provider } from './provider';

/** The calls a provider may lack (every provider chats). */
export type OptionalCall = 'textCompletion' | 'embedding' | 'transcription';

const WHAT: Readonly<Record<OptionalCall, string>> = {
  textCompletion: 'text completion',
  embedding: 'embeddings',
  transcription: 'transcription',
};

/** The 400 for a call `provider` has no API for; `what` names it (`embeddings`, `/chat/completions`). */
export function callRefused(provider: string, what: string, model?: string): BadRequestError {
  const hint = what === WHAT.textCompletion ? '; use completion() with messages' : '';
  return new BadRequestError(`${provider} has no ${what} API${hint}`, { status: 400, provider, ...(model === undefined ? {} : { model }) });
}

/** `provider`, when it has `call`; else the 400 that says it has not. */
export function withCall<Call extends OptionalCall>(provider: Provider, call: Call): Provider & Required<Pick<Provider, Call>> {
  if (typeof provider[call] !== 'function') throw callRefused(provider.name, WHAT[call]);
  return provider as Provider & Required<Pick<Provider, Call>>;
}
