import { createHash } from 'node:crypto';
import { NON_KEY_PARAMS } from '@llmcache/core';
import { canonicalJson } from '@llmcache/core/internal';
import { CALL_SETTING_FIELDS } from './call-settings';
import { invalidRequest } from '../errors';
import type { ProviderParams } from '../providers';
import { isObject } from '../providers/validate';
import type { DeploymentParams } from '../types';

/** Request fields never sent to a provider: core's non-key params and the fields llmcache consumes itself. */
const NOT_PROVIDER_PARAMS: ReadonlySet<string> = new Set([...NON_KEY_PARAMS, 'mockResponse', 'file', 'fileName']);

/** Deployment params llmcache consumes itself; the rest are provider params for every call to it. */
const DEPLOYMENT_FIELDS = new Set([
  'model',
  'apiKey',
  'apiBase',
  'apiVersion',
  'rpm',
  'tpm',
  'weight',
  'timeout',
  'streamTimeout',
  'maxParallelRequests',
  'mockResponse',
  'dropParams',
  'drop_params',
  'numRetries',
  'azureAdToken',
]);

/**
 * The params a provider gets from a request: everything but transport and control fields (the same list
 * that keeps them out of the cache key), llmcache's own, and params set to `null`, which OpenAI's types
 * allow for "not given" (as LiteLLM treats `None`); and whether it brings any of the settings
 * `readCallSettings` reads (in the same pass, as this is on every call's path).
 */
export function providerParamsOf(request: Record<string, unknown>): { params: ProviderParams; hasSettings: boolean } {
  const params: ProviderParams = {};
  let hasSettings = false;
  for (const name in request) {
    if (CALL_SETTING_FIELDS.has(name)) hasSettings = true;
    if (!NOT_PROVIDER_PARAMS.has(name) && request[name] !== null) params[name] = request[name];
  }
  return { params, hasSettings };
}

/** Deployment defaults under the request's own params; a deployment's `extra_body` under the request's. */
export function mergeDeploymentParams(deployment: DeploymentParams, params: ProviderParams): ProviderParams {
  const out: ProviderParams = {};
  for (const name in deployment) {
    if (!DEPLOYMENT_FIELDS.has(name) && !NON_KEY_PARAMS.has(name)) out[name] = deployment[name];
  }
  const extraBody = isObject(out.extra_body) && isObject(params.extra_body) ? { ...out.extra_body, ...params.extra_body } : undefined;
  Object.assign(out, params);
  if (extraBody) out.extra_body = extraBody;
  return out;
}

/**
 * What is sent: the params with `extra_body`'s entries over them, as OpenAI's and LiteLLM's Python clients
 * send it. It comes after `dropParams`, which never drops what `extra_body` asks for.
 */
export function withExtraBody(params: ProviderParams): ProviderParams {
  const { extra_body: extraBody, ...rest } = params;
  return extraBody === undefined ? params : { ...rest, ...(extraBody as ProviderParams) };
}

/** Request fields that change how a call is made, though not what it answers. */
const TRANSPORT_FIELDS = [
  'timeout',
  'request_timeout',
  'stream_timeout',
  'streamTimeout',
  'numRetries',
  'num_retries',
  'apiKey',
  'apiBase',
  'apiVersion',
  'organization',
  'headers',
  'extraHeaders',
  'extra_headers',
  'drop_params',
  'dropParams',
] as const;

/**
 * Concurrent identical calls share one computation only when they would make it the same way, so one
 * caller's short timeout or wrong key never fails another caller. An abort signal does not set a call
 * apart: an aborting caller just leaves the flight.
 */
export function flightKeyOf(key: string, request: Record<string, unknown>): string {
  let transport: Record<string, unknown> | undefined;
  for (const field of TRANSPORT_FIELDS) {
    if (request[field] !== undefined) (transport ??= {})[field] = request[field];
  }
  return transport ? `${key}|${canonicalJson(transport)}` : key;
}

/** One embedding input: a text or a list of token ids. */
export type EmbeddingInput = string | number[];

function isEmbeddingInput(input: unknown): input is EmbeddingInput {
  return typeof input === 'string' || (Array.isArray(input) && input.length > 0 && input.every((id) => Number.isInteger(id)));
}

/** A request's `input` as a list of inputs: a string or one list of token ids is a single input. */
export function embeddingInputs(input: unknown): { inputs: EmbeddingInput[]; single: boolean } {
  const single = typeof input === 'string' || (Array.isArray(input) && typeof input[0] === 'number');
  const inputs: unknown = single ? [input] : input;
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every(isEmbeddingInput)) {
    throw invalidRequest('input: must be a string, a list of token ids, or a non-empty array of either');
  }
  return { inputs, single };
}

/** What stands for the audio in a transcription's cache key: its bytes' hash and length, never its name. */
export function audioIdentity(bytes: Uint8Array): { sha256: string; bytes: number } {
  return { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength };
}
