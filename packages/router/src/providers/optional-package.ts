import { RouterConfigError } from '../errors';

/**
 * Loads a provider's SDK, an optional peer of the router: a router that never calls the provider never
 * needs it. A missing one is a RouterConfigError saying what to install.
 */
export function requireOptional<T>(pkg: string, prefix: string): T {
  try {
    // Synchronous, like the other optional packages: the build is CommonJS (the ESM entry wraps it).
    return require(pkg) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(pkg)) {
      throw new RouterConfigError('params.model', `${prefix}/ models need the package ${pkg}: npm install ${pkg}`, { cause: err });
    }
    throw err;
  }
}
