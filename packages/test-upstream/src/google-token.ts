// POST /token: Google's OAuth 2.0 token endpoint in small, for google-auth-library pointed at it (an external
// account's `token_url`). Any grant is accepted; the token is fresh each time so a test can tell them apart.
import type { ServerResponse } from 'node:http';
import { sendJson } from './http';
import type { UpstreamState } from './state';

/** How long the tokens are valid for, in seconds. */
export const TOKEN_LIFETIME_SECONDS = 3600;

/** Parses the form body; the recorded call keeps it (with the assertion or subject token, which are test values). */
export function parseTokenForm(raw: Buffer): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
}

export function handleToken(res: ServerResponse, form: Record<string, string>, state: UpstreamState): void {
  if (!form.grant_type) {
    sendJson(res, 400, { error: 'invalid_request', error_description: 'grant_type is required' });
    return;
  }
  sendJson(res, 200, {
    access_token: state.nextId('upstream-token-'),
    expires_in: TOKEN_LIFETIME_SECONDS,
    token_type: 'Bearer',
    // What an STS token exchange (external accounts) answers besides.
    issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
  });
}
