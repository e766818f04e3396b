import type { Deployment } from '../dispatch/deployment';
import type { ProviderParams } from '../providers';
import { canonicalParams, type CallSettings } from './call-settings';

/** A call ready to route: its group, cache identity and the params the provider gets. */
export interface PreparedCall {
  callType: 'completion' | 'text_completion' | 'embedding' | 'transcription';
  modelGroup: string;
  identity: string;
  /** For a model routed by a wildcard group: that group's deployments made concrete for it, by id. */
  concrete: ReadonlyMap<string, Deployment> | undefined;
  /** The model the request named, aliases resolved. */
  requestedModel: string;
  /** What the provider gets: request params minus transport, control and llmcache fields. */
  params: ProviderParams;
  /** What the key is built from: `params`, plus `mockResponse`, which changes the answer. */
  keyParams: ProviderParams;
  /** `canonicalJson(keyParams)`, made once: it also proves the params can be sent. */
  keyJson: string;
  request: Record<string, unknown>;
  settings: CallSettings;
  /** `performance.now()` when the call came in. */
  started: number;
}

/** The call with one more key param (a transcription's audio identity). */
export function withKeyParam(call: PreparedCall, name: string, value: unknown): PreparedCall {
  const keyParams = { ...call.keyParams, [name]: value };
  return { ...call, keyParams, keyJson: canonicalParams(keyParams) };
}
