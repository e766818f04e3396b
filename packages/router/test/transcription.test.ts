import { Cache } from '@llmcache/core';
import { BadRequestError, Router } from '@llmcache/router';
import { deployment, useUpstream } from './helpers';

const upstream = useUpstream();

describe('transcription', () => {
  it('uploads multipart and keys by the audio bytes, never the file name', async () => {
    const router = new Router({ modelList: [deployment(upstream(), 'whisper', 'whisper-1')], cache: new Cache() });
    const audio = Buffer.from('RIFF....WAVEfmt fake audio bytes');
    const first = await router.transcription({ model: 'whisper', file: new File([audio], 'meeting.wav'), language: 'en' });
    expect(first.text).toMatch(/^transcript of 32 bytes [0-9a-f]{8}$/);
    expect(upstream().calls[0]!.body).toMatchObject({ model: 'whisper-1', fileName: 'meeting.wav', bytes: 32, language: 'en' });
    const renamed = await router.transcription({ model: 'whisper', file: new File([audio], 'other-name.wav'), language: 'en' });
    expect(renamed._hiddenParams.cacheHit).toBe(true);
    const asBuffer = await router.transcription({ model: 'whisper', file: audio, language: 'en' });
    expect(asBuffer._hiddenParams.cacheHit).toBe(true);
    const otherAudio = await router.transcription({ model: 'whisper', file: Buffer.concat([audio, Buffer.from('!')]), language: 'en' });
    expect(otherAudio._hiddenParams.cacheHit).toBe(false);
    expect(upstream().callCount()).toBe(2);
  });

  it('router.cacheKey() gives a transcription’s key, by its audio bytes', async () => {
    const router = new Router({ modelList: [deployment(upstream(), 'w', 'whisper-1')], cache: new Cache() });
    const audio = Buffer.from('some audio bytes');
    const res = await router.transcription({ model: 'w', file: audio });
    expect(router.cacheKey({ model: 'w', file: audio })).toBe(res._hiddenParams.cacheKey);
    expect(() => router.cacheKey({ model: 'w', file: new Blob([audio]) })).toThrow(BadRequestError);
  });
});
