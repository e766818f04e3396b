// `@llmcache/core/internal`: helpers the llmcache packages share with each other, kept out of core's
// main entry because users have no use for them. Not covered by semver: they change with our packages.
export { isThenable, isSemanticBackend } from './backend';
export { normalizeCallType } from './call-types';
export { canonicalJson } from './canonical-json';
export { validateCacheControl } from './cache-control';
export { CACHE_OPTION_NAMES, validateCacheOptions } from './options';
export { cacheKeyFromCanonicalParams, cacheKeyMaterial } from './key';
export { checkNamespace, isWellFormed, wellFormed } from './key-space';
export { ENTRY_FORMAT_VERSION, decodeEntry, encodeEntry, remainingTtlMs } from './entry';
export type { CacheEntry } from './entry';
export { checkEmbedder, isEmbedderLike, toEmbedder } from './semantic';
export { EXPIRES_AT_METADATA, LENGTH_METADATA, objectNameOf, validateObjectPrefix } from './object-store';
export { SingleFlight } from './single-flight';
export { sleep } from './sleep';
export { untilAborted } from './until-aborted';
export { BACKEND_PACKAGES, createBackendForType } from './load-backend';
export { isExternalCacheType } from './options';
export { requireOption, requiredOptionError } from './errors';
export { describe as describeValue, nonEmptyString, nonNegativeNumber, positiveInteger, positiveNumber, timerMilliseconds } from './validate';
