// What Bedrock's SDK throws, as the router's typed errors: by Bedrock's error name, else by HTTP status.
import { BadRequestError, errorForStatus, ProviderError, RouterConfigError } from '../../errors';
import { connectionError, type RequestContext } from '../http';

/** What the SDK throws: a service error carries its name and HTTP status; abort and network errors do not. */
interface SdkError {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
  $response?: { headers?: Record<string, string> };
}

// Bedrock's error names, as its API reference lists them, and the status each means.
const STATUS_BY_ERROR: Record<string, number> = {
  ValidationException: 400,
  AccessDeniedException: 403,
  UnrecognizedClientException: 401,
  ExpiredTokenException: 401,
  InvalidSignatureException: 401,
  MissingAuthenticationTokenException: 401,
  ResourceNotFoundException: 404,
  ModelNotReadyException: 429,
  ThrottlingException: 429,
  ServiceQuotaExceededException: 429,
  ModelTimeoutException: 408,
  ModelErrorException: 500,
  InternalServerException: 500,
  ModelStreamErrorException: 500,
  ServiceUnavailableException: 503,
};

/** `err` as the router's error; ours (already typed) pass as they are. */
export function bedrockError(err: unknown, ctx: RequestContext): ProviderError | RouterConfigError {
  if (err instanceof ProviderError || err instanceof RouterConfigError) return err;
  const sdkError = (err ?? {}) as SdkError;
  const status = STATUS_BY_ERROR[sdkError.name ?? ''] ?? sdkError.$metadata?.httpStatusCode;
  if (ctx.signal.aborted || status === undefined) {
    // No answer: our timeout, a network failure, or the SDK's own trouble (no region, no credentials).
    const missing = /region is missing|could not load credentials/i.exec(sdkError.message ?? '');
    if (missing && !ctx.signal.aborted) {
      const what = /region/i.test(missing[0])
        ? 'awsRegionName (aws_region_name) or AWS_REGION'
        : "awsAccessKeyId and awsSecretAccessKey, awsProfileName, or credentials AWS's default chain can find";
      return new BadRequestError(`${sdkError.message}: set ${what}`, { status: 400, provider: ctx.provider, model: ctx.model, cause: err });
    }
    return connectionError(err, ctx);
  }
  const message = sdkError.message ?? sdkError.name ?? 'request failed';
  const retryAfter = Number(sdkError.$response?.headers?.['retry-after'] ?? Number.NaN);
  return errorForStatus(message, {
    status,
    provider: ctx.provider,
    model: ctx.model,
    code: sdkError.name,
    cause: err,
    retryAfter: Number.isFinite(retryAfter) ? retryAfter : undefined,
  });
}
