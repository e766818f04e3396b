// Bedrock's SDK client for a deployment: AWS's own (an optional peer), which signs requests (SigV4) and
// finds credentials the way every AWS tool does; one per distinct settings, kept in the router's pool.
import { dirname } from 'node:path';
import type * as BedrockSdk from '@aws-sdk/client-bedrock-runtime';
import { BadRequestError } from '../../errors';
import { fromEnv } from '../env';
import { paramText } from '../kit/message-parts';
import { requireOptional } from '../optional-package';
import type { ProviderTarget } from '../provider';

export const PACKAGE = '@aws-sdk/client-bedrock-runtime';

/** Deployment params that say where and as whom to call Bedrock (LiteLLM's `aws_*` names are accepted too). */
export const SETTINGS = ['awsRegionName', 'awsAccessKeyId', 'awsSecretAccessKey', 'awsSessionToken', 'awsProfileName', 'awsBedrockRuntimeEndpoint'] as const;
type Settings = Partial<Record<(typeof SETTINGS)[number], unknown>>;

/**
 * The variables LiteLLM reads for each setting. From `process.env`, AWS's SDK reads its own (credentials,
 * `AWS_REGION`, `AWS_PROFILE`) through its chain; this provider adds LiteLLM's `AWS_REGION_NAME` and
 * `AWS_BEDROCK_RUNTIME_ENDPOINT`. A config's `environment_variables` set them all as deployment params.
 */
export const ENV = {
  awsAccessKeyId: ['AWS_ACCESS_KEY_ID'],
  awsSecretAccessKey: ['AWS_SECRET_ACCESS_KEY'],
  awsSessionToken: ['AWS_SESSION_TOKEN'],
  awsRegionName: ['AWS_REGION_NAME', 'AWS_REGION'],
  awsProfileName: ['AWS_PROFILE'],
  awsBedrockRuntimeEndpoint: ['AWS_BEDROCK_RUNTIME_ENDPOINT'],
} as const satisfies Partial<Record<(typeof SETTINGS)[number], readonly string[]>>;

/** The SDK, loaded on the first call, and the client for these settings. */
export function bedrockClient(settings: Settings, target: ProviderTarget): { sdk: typeof BedrockSdk; client: BedrockSdk.BedrockRuntimeClient } {
  const sdk = requireOptional<typeof BedrockSdk>(PACKAGE, 'bedrock');
  const text = (value: unknown) => (value === undefined ? undefined : paramText(value));
  const config = {
    region: text(settings.awsRegionName) ?? fromEnv(['AWS_REGION_NAME']),
    endpoint: target.apiBase ?? text(settings.awsBedrockRuntimeEndpoint) ?? fromEnv(ENV.awsBedrockRuntimeEndpoint),
    accessKeyId: text(settings.awsAccessKeyId),
    secretAccessKey: text(settings.awsSecretAccessKey),
    sessionToken: text(settings.awsSessionToken),
    profile: text(settings.awsProfileName),
  };
  if ((config.accessKeyId === undefined) !== (config.secretAccessKey === undefined)) {
    throw new BadRequestError(
      'awsAccessKeyId and awsSecretAccessKey (aws_access_key_id, aws_secret_access_key) go together: set both, or neither for the default credential chain',
      { status: 400, provider: 'bedrock', model: target.model },
    );
  }
  // One client per distinct region, credentials and endpoint: it keeps its connections and resolved credentials.
  const client = target.clients.get(
    `bedrock:${JSON.stringify(config)}`,
    () =>
      new sdk.BedrockRuntimeClient({
        ...(config.region ? { region: config.region } : {}),
        ...(config.endpoint ? { endpoint: config.endpoint } : {}),
        ...(config.profile ? { profile: config.profile } : {}),
        ...(config.accessKeyId && config.secretAccessKey
          ? { credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey, sessionToken: config.sessionToken } }
          : {}),
        // The router retries, cools down and falls back itself; the SDK's own retries would hide failures from it.
        maxAttempts: 1,
        requestHandler: http1Handler(),
      }),
    (made) => made.destroy(),
  );
  return { sdk, client };
}

/**
 * An HTTP/1.1 handler: the client's default speaks HTTP/2 only (for the bidirectional stream this provider
 * does not use), which no HTTP/1.1 endpoint (`apiBase`: a proxy, a gateway, a local server) answers.
 * Loaded from beside the SDK, whose dependency it is, so any package layout finds it.
 */
function http1Handler(): BedrockSdk.BedrockRuntimeClientConfig['requestHandler'] {
  const sdkDir = dirname(require.resolve(PACKAGE));
  const { NodeHttpHandler } = require(require.resolve('@smithy/node-http-handler', { paths: [sdkDir] })) as {
    NodeHttpHandler: new () => BedrockSdk.BedrockRuntimeClientConfig['requestHandler'];
  };
  return new NodeHttpHandler();
}
