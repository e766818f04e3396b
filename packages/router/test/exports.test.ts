import { runDualEntryCheck } from '@llmcache/test-suite';

runDualEntryCheck({ describe, it, beforeAll, afterAll }, '@llmcache/router');
