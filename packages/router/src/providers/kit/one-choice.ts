// The `n` param on APIs that answer one choice per call.
import { BadRequestError } from '../../errors';

/** The APIs that answer one choice per call refuse `n` > 1 rather than answer fewer. */
export function assertOneChoice(n: unknown, provider: string, model: string): void {
  if (n !== undefined && n !== 1) throw new BadRequestError(`${provider} answers one choice per call (n must be 1)`, { status: 400, provider, model });
}
