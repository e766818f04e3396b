import { createHash } from 'node:crypto';
import { canonicalJson, NON_KEY_PARAMS } from '@llmcache/core';
import { CALL_SETTING_FIELDS } from './call-settings';
import type { ProviderParams } from './providers';
import type { DeploymentParams } from './types';

/** Request fields llmcache consumes that are not in core's list of non-key params. */
const LLMCACHE_FIELDS = new Set(['mockResponse', 'file', 'fileName']);

/** Deployment params llmcache consumes itself; the rest are provider params for every call to it. */
const DEPLOYMENT_FIELDS = new Set([
  'model', 'apiKey', 'apiBase', 'apiVersion', 'rpm', 'tpm', 'weight', 'timeout', 'streamTimeout', 'maxParallelRequests', 'mockResponse', 'dropParams', 'drop_params',
  'numRetries', 'azureAdToken',
]);

/**
 * The params a provider gets from a request: everything but transport and control fields (the same list
 * that keeps them out of the cache key) and llmcache's own; and whether it brings any of the settings
 * `readCallSettings` reads (in the same pass, as this is on every call's path).
 */
export function providerParamsOf(request: Record<string, unknown>): { params: ProviderParams; hasSettings: boolean } {
  const params: ProviderParams = {};
  let hasSettings = false;
  for (const name in request) {
    if (CALL_SETTING_FIELDS.has(name)) hasSettings = true;
    if (!NON_KEY_PARAMS.has(name) && !LLMCACHE_FIELDS.has(name)) params[name] = request[name];
  }
  return { params, hasSettings };
}

/** Deployment defaults under the request's own params. */
export function mergeDeploymentParams(deployment: DeploymentParams, params: ProviderParams): ProviderParams {
  const out: ProviderParams = {};
  for (const name in deployment) {
    if (!DEPLOYMENT_FIELDS.has(name) && !NON_KEY_PARAMS.has(name)) out[name] = deployment[name];
  }
  return Object.assign(out, params);
}

/** Request fields that change how a call is made, though not what it answers. */
const TRANSPORT_FIELDS = [
  'timeout', 'request_timeout', 'stream_timeout', 'streamTimeout', 'numRetries', 'num_retries',
  'apiKey', 'apiBase', 'apiVersion', 'organization', 'headers', 'extraHeaders', 'extra_headers', 'drop_params', 'dropParams',
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

/** What stands for the audio in a transcription's cache key: its bytes' hash and length, never its name. */
export function audioIdentity(bytes: Uint8Array): { sha256: string; bytes: number } {
  return { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength };
}
