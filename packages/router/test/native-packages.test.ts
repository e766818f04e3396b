import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Router, RouterConfigError } from '@llmcache/router';

const OPTIONAL = ['@aws-sdk/client-bedrock-runtime', 'google-auth-library'];

/**
 * Runs `body` in a fresh Node process where the optional SDKs cannot be found, as in an install of the
 * router alone, and returns what it prints.
 */
function withoutSdks(body: string): string {
  const script = `
    const Module = require('node:module');
    const resolve = Module._resolveFilename;
    const missing = ${JSON.stringify(OPTIONAL)};
    Module._resolveFilename = function (request, ...rest) {
      if (missing.includes(request)) {
        const err = new Error("Cannot find module '" + request + "'");
        err.code = 'MODULE_NOT_FOUND';
        throw err;
      }
      return resolve.call(this, request, ...rest);
    };
    const router = require(${JSON.stringify(require.resolve('@llmcache/router'))});
    (async () => { ${body} })().catch((err) => { console.log('UNCAUGHT', err); process.exitCode = 1; });
  `;
  return execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim();
}

describe('the optional provider SDKs', () => {
  it('are optional peers: a router-only install pulls neither', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
    for (const pkg of OPTIONAL) {
      expect(manifest.peerDependencies[pkg]).toEqual(expect.any(String));
      expect(manifest.peerDependenciesMeta[pkg]).toEqual({ optional: true });
      expect(manifest.dependencies[pkg]).toBeUndefined();
    }
  });

  it('bedrock/ and vertex_ai/ deployments resolve, and the unknown-prefix message lists them', () => {
    expect(
      () =>
        new Router({
          modelList: [
            { modelName: 'b', params: { model: 'bedrock/anthropic.claude-3-haiku-20240307-v1:0', awsRegionName: 'us-east-1' } },
            { modelName: 'v', params: { model: 'vertex_ai/gemini-2.0-flash', vertexProject: 'p' } },
          ],
        }),
    ).not.toThrow();
    expect(() => new Router({ modelList: [{ modelName: 'x', params: { model: 'nope/x' } }] })).toThrow(/Prefixes: .*bedrock.*vertex_ai/s);
  });

  it('a missing SDK is a RouterConfigError saying what to install, and only a call that needs it loads it', () => {
    const out = withoutSdks(`
      const { Router } = router;
      const r = new Router({ numRetries: 0, modelList: [
        { modelName: 'b', params: { model: 'bedrock/m', awsRegionName: 'us-east-1', apiBase: 'http://127.0.0.1:9' } },
        { modelName: 'v', params: { model: 'vertex_ai/gemini-2.0-flash', vertexProject: 'p', apiBase: 'http://127.0.0.1:9' } },
        { modelName: 'm', params: { model: 'openai/gpt-4o', mockResponse: 'ok' } },
      ] });
      const mocked = await r.completion({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
      const loaded = Object.keys(require.cache).filter((f) => /client-bedrock-runtime|google-auth-library/.test(f));
      console.log(JSON.stringify({ mocked: mocked.choices[0].message.content, loaded }));
      for (const model of ['b', 'v']) {
        const err = await r.completion({ model, messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
        console.log(JSON.stringify({ name: err.name, isConfig: err instanceof router.RouterConfigError, message: err.message }));
      }
      await r.close();
    `);
    const [first, bedrock, vertex] = out.split('\n').map((line) => JSON.parse(line));
    expect(first).toEqual({ mocked: 'ok', loaded: [] });
    expect(bedrock).toMatchObject({ name: 'RouterConfigError', isConfig: true });
    expect(bedrock.message).toContain('bedrock/ models need the package @aws-sdk/client-bedrock-runtime: npm install @aws-sdk/client-bedrock-runtime');
    expect(vertex).toMatchObject({ name: 'RouterConfigError', isConfig: true });
    expect(vertex.message).toContain('vertex_ai/ models need the package google-auth-library: npm install google-auth-library');
    expect(RouterConfigError.name).toBe('RouterConfigError');
  });
});
