#!/usr/bin/env bash
# The published .d.ts files must compile for a user who has not installed @types/node (a browser,
# edge or Deno project, or a Node project that never added it): packs the public packages as npm
# would publish them, installs the tarballs with only `typescript` into a project outside this
# repository (so no @types/node can be found by walking up), and type-checks a consumer that uses
# core, router, disk, redis, redis-semantic, qdrant, s3, gcs and azure-blob types, as ES module and as CommonJS, with skipLibCheck off.
# Needs `npm run build` first.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
packages=(core router disk redis redis-semantic qdrant s3 gcs azure-blob)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/llmcache-types-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

for p in "${packages[@]}"; do
  (cd "packages/$p" && npm pack --silent --pack-destination "$tmp" >/dev/null)
done

ts_version=$(node -p "require('typescript/package.json').version")
cd "$tmp"
cat >package.json <<JSON
{
  "name": "llmcache-types-consumer",
  "private": true,
  "type": "module",
  "dependencies": {
    "@llmcache/core": "file:./$(cd "$tmp" && ls llmcache-core-[0-9]*.tgz)",
    "@llmcache/router": "file:./$(ls llmcache-router-[0-9]*.tgz)",
    "@llmcache/disk": "file:./$(ls llmcache-disk-[0-9]*.tgz)",
    "@llmcache/redis": "file:./$(ls llmcache-redis-[0-9]*.tgz)",
    "@llmcache/redis-semantic": "file:./$(ls llmcache-redis-semantic-[0-9]*.tgz)",
    "@llmcache/qdrant": "file:./$(ls llmcache-qdrant-[0-9]*.tgz)",
    "@llmcache/s3": "file:./$(ls llmcache-s3-[0-9]*.tgz)",
    "@llmcache/gcs": "file:./$(ls llmcache-gcs-[0-9]*.tgz)",
    "@llmcache/azure-blob": "file:./$(ls llmcache-azure-blob-[0-9]*.tgz)",
    "typescript": "$ts_version"
  }
}
JSON
# Scripts off: only the types are needed, not better-sqlite3's native build. The npm cache that
# `npm ci` filled answers, so this works offline once the repository is installed.
npm install --silent --ignore-scripts --no-audit --no-fund --prefer-offline >/dev/null

# The point of the check: nothing in the dependency tree may have pulled @types/node in.
if [ -e node_modules/@types/node ]; then
  echo "check-types-without-node: @types/node got installed by $(npm ls @types/node --parseable | head -1)" >&2
  exit 1
fi

cat >tsconfig.json <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "skipLibCheck": false,
    "types": [],
    "noEmit": true
  },
  "files": ["consumer.ts", "consumer-cjs.cts"]
}
JSON

cat >consumer.ts <<'TS'
import { Cache, type CacheOptions, type CacheBackend } from '@llmcache/core';
import {
  Router,
  completion,
  readLiteLLMConfig,
  translateLiteLLMConfig,
  type ChatCompletion,
  type ChatCompletionChunk,
  type CompletionRequest,
  type EmbeddingResponse,
  type RouterOptions,
  type TranscriptionRequest,
} from '@llmcache/router';
import { DiskBackend } from '@llmcache/disk';
import { RedisBackend, RedisRouterState, type RedisConnectionOptions } from '@llmcache/redis';
import { RedisSemanticBackend, type RedisSemanticBackendOptions } from '@llmcache/redis-semantic';
import { S3Backend, type S3BackendOptions } from '@llmcache/s3';
import { GcsBackend, type GcsBackendOptions } from '@llmcache/gcs';
import { AzureBlobBackend, type AzureBlobBackendOptions } from '@llmcache/azure-blob';
import { QdrantSemanticBackend, QdrantVectorSizeError, type QdrantSemanticBackendOptions } from '@llmcache/qdrant';

// What a config loader gets from a non-Node runtime: a plain record, not NodeJS.ProcessEnv.
const env: Record<string, string | undefined> = { OPENAI_API_KEY: 'sk-test' };

const connection: RedisConnectionOptions = { url: 'redis://127.0.0.1:6379' };
const redis: CacheBackend = new RedisBackend(connection);
const options: CacheOptions = { backend: redis, ttl: 60 };
const cache = new Cache(options);
const disk: CacheBackend = new DiskBackend({ dir: './.llmcache' });
const s3Options: S3BackendOptions = { s3BucketName: 'llm-cache', s3Path: 'prod', requestTimeoutMs: 1000 };
const s3: CacheBackend = new S3Backend(s3Options);
const gcsOptions: GcsBackendOptions = { gcsBucketName: 'my-bucket', gcsPath: 'llmcache' };
const gcs: CacheBackend = new GcsBackend(gcsOptions);
const azureOptions: AzureBlobBackendOptions = { azureAccountUrl: 'https://account.blob.core.windows.net', azureBlobContainer: 'llm-cache' };
const azure: CacheBackend = new AzureBlobBackend(azureOptions);
const routerOptions: RouterOptions = {
  modelList: [{ modelName: 'gpt', params: { model: 'openai/gpt-4o-mini', mockResponse: 'hi' } }],
  cache,
  state: new RedisRouterState(connection),
};
const router = new Router(routerOptions);
const fromConfig: Router = Router.fromConfig({ model_list: [] }, env);
const semanticOptions: RedisSemanticBackendOptions = { ...connection, indexName: 'answers', embedder: async (texts) => texts.map(() => [1, 0]) };
const semantic = new Cache({ backend: new RedisSemanticBackend(semanticOptions), similarityThreshold: 0.9 });
translateLiteLLMConfig({ model_list: [] }, env);
readLiteLLMConfig('./config.yaml', env);
const audio: TranscriptionRequest = { model: 'whisper', file: new Uint8Array([1, 2, 3]) };
const qdrantOptions: QdrantSemanticBackendOptions = {
  qdrantApiBase: 'http://127.0.0.1:6333',
  qdrantCollectionName: 'llm-cache',
  embedder: async (texts) => texts.map(() => [0, 1]),
};
const qdrant = new QdrantSemanticBackend(qdrantOptions);
const qdrantCache = new Cache({ backend: qdrant, similarityThreshold: 0.9 });
export const sizeError: QdrantVectorSizeError | undefined = undefined;

export async function ask(request: CompletionRequest): Promise<string | null | undefined> {
  const answer: ChatCompletion = await router.completion({ ...request, stream: false });
  for await (const chunk of await router.completion({ ...request, stream: true })) {
    const part: ChatCompletionChunk = chunk;
    void part.choices[0]?.delta.content;
  }
  const embedded: EmbeddingResponse = await router.embedding({ model: 'embed', input: ['a'] });
  void embedded.data.length;
  void (await completion({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }));
  await router.transcription(audio);
  await fromConfig.close();
  await semantic.close();
  await disk.close?.();
  await s3.close?.();
  await gcs.close?.();
  await azure.close?.();
  void (await qdrant.findSimilar('hello', { scope: 'digest', threshold: 0.9 }))?.similarity;
  await qdrantCache.close();
  return answer.choices[0]?.message.content;
}
TS

cat >consumer-cjs.cts <<'TS'
import core = require('@llmcache/core');
import router = require('@llmcache/router');
import redis = require('@llmcache/redis');
import s3 = require('@llmcache/s3');
import gcs = require('@llmcache/gcs');
import azure = require('@llmcache/azure-blob');

export const cache = new core.Cache({ backend: new redis.RedisBackend({ url: 'redis://127.0.0.1:6379' }) });
export const made: router.Router = new router.Router({ modelList: [], cache });
export const bucket = new s3.S3Backend({ s3BucketName: 'llm-cache' }).bucket;
export const gcsBackend = new gcs.GcsBackend({ gcsBucketName: 'my-bucket' });
export const blob = new azure.AzureBlobBackend({ azureConnectionString: 'UseDevelopmentStorage=true', azureBlobContainer: 'llm-cache' });
TS

"$tmp/node_modules/.bin/tsc" -p tsconfig.json
echo "types without @types/node: ok (core, router, disk, redis, redis-semantic, qdrant, s3, gcs, azure-blob; ESM and CJS; TypeScript $ts_version)"
