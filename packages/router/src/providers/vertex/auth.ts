// Vertex AI's OAuth token, from google-auth-library (an optional peer), which reads service-account keys
// and Application Default Credentials; one GoogleAuth per distinct credentials, kept in the router's pool.
import type * as GoogleAuthSdk from 'google-auth-library';
import { untilAborted } from '@llmcache/core/internal';
import { APIConnectionError, ProviderError, RouterConfigError } from '../../errors';
import { connectionError, type RequestContext } from '../http';
import { requireOptional } from '../optional-package';
import type { ProviderTarget } from '../provider';

const PACKAGE = 'google-auth-library';
const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** The GoogleAuth for `credentials`: it caches the token and refreshes it before it expires. */
export function googleAuth(credentials: unknown, target: ProviderTarget): GoogleAuthSdk.GoogleAuth {
  const key = typeof credentials === 'string' ? credentials : JSON.stringify(credentials ?? null);
  return target.clients.get(`vertex_ai:${key}`, () => {
    const sdk = requireOptional<typeof GoogleAuthSdk>(PACKAGE, 'vertex_ai');
    return new sdk.GoogleAuth({
      scopes: [SCOPE],
      ...credentialsOption(credentials),
      // Node's own fetch: gaxios would otherwise import node-fetch dynamically, which not every runtime allows (jest's VM).
      clientOptions: { transporterOptions: { fetchImplementation: fetch } },
    });
  });
}

/** The request's auth headers (a bearer token, and `x-goog-user-project` when the credentials name a quota project). */
export async function authHeaders(auth: GoogleAuthSdk.GoogleAuth, url: string, ctx: RequestContext): Promise<Record<string, string>> {
  let headers: Headers | Record<string, string>;
  try {
    headers = await untilAborted(auth.getRequestHeaders(url), ctx.signal);
  } catch (err) {
    throw authError(err, ctx);
  }
  // google-auth-library 10 answers a Headers, 9 a plain object.
  return Object.fromEntries(headers instanceof Headers ? headers.entries() : Object.entries(headers));
}

/** The project the credentials name, for a deployment that names none. */
export async function projectOf(auth: GoogleAuthSdk.GoogleAuth, ctx: RequestContext): Promise<string> {
  try {
    return await untilAborted(auth.getProjectId(), ctx.signal);
  } catch (err) {
    throw new RouterConfigError(
      'params.vertexProject',
      'is not set, nor VERTEXAI_PROJECT, VERTEX_PROJECT or GOOGLE_CLOUD_PROJECT, and the credentials name no project: set vertexProject (vertex_project)',
      { cause: authError(err, ctx) },
    );
  }
}

/** Credentials that cannot be read or exchanged: our timeout, a 401 for refused ones, a connection error otherwise. */
function authError(err: unknown, ctx: RequestContext): ProviderError | RouterConfigError {
  if (ctx.signal.aborted) return connectionError(err, ctx);
  // Credentials that are not there or not readable are the config's fault: retrying will not help.
  if (
    (err as NodeJS.ErrnoException)?.code === 'ENOENT' ||
    /could not load the default credentials|must be a valid|private key|client_email/i.test(String((err as Error)?.message))
  ) {
    return new RouterConfigError('params.vertexCredentials', `cannot be used: ${(err as Error).message}`, { cause: err });
  }
  const status = (err as { response?: { status?: unknown }; status?: unknown })?.response?.status ?? (err as { status?: unknown })?.status;
  const message = `could not get a Google access token: ${(err as Error)?.message ?? String(err)}`;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ProviderError(message, { status: 401, provider: ctx.provider, model: ctx.model, cause: err });
  }
  return new APIConnectionError(message, { status: 500, provider: ctx.provider, model: ctx.model, cause: err });
}

/**
 * `vertexCredentials` as LiteLLM takes it: a service-account (or other credentials) JSON, as an object or a
 * string, or the path of such a file; without it, Application Default Credentials.
 */
function credentialsOption(credentials: unknown): GoogleAuthSdk.GoogleAuthOptions {
  if (credentials === undefined || credentials === null) return {};
  if (typeof credentials === 'object' && !Array.isArray(credentials)) return { credentials: credentials };
  if (typeof credentials !== 'string')
    throw new RouterConfigError('params.vertexCredentials', `must be a credentials JSON (object or string) or the path of one, got ${typeof credentials}`);
  if (!credentials.trimStart().startsWith('{')) return { keyFilename: credentials };
  try {
    return { credentials: JSON.parse(credentials) as GoogleAuthSdk.GoogleAuthOptions['credentials'] };
  } catch (err) {
    throw new RouterConfigError('params.vertexCredentials', 'is neither valid JSON nor a file path', { cause: err });
  }
}
