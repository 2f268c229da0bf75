import type { Logger } from 'pino';
import { BubblewrapProvider } from './bubblewrap-provider.js';
import { ProcessProvider } from './process-provider.js';
import type { Provider } from './provider.js';
import type { ProviderAudience } from './provider-access.js';
import type { SandboxNetwork } from './sandbox-command.js';

export interface DefaultProvidersOptions {
  dataDir: string;
  /** @default 'owner' */
  processProviderFor?: ProviderAudience | undefined;
  /** @default 'none' */
  sandboxNetwork?: SandboxNetwork | undefined;
  logger: Logger;
}

/**
 * The providers a BFF offers when it is not given any: the Local sandbox first (the picker's
 * default) when bubblewrap works on this host, then the Local process for the owner. When
 * bubblewrap does not work, it says so once and offers the Local process only.
 */
export async function defaultProviders(options: DefaultProvidersOptions): Promise<Provider[]> {
  const shared = { dataDir: options.dataDir };
  const processProvider = new ProcessProvider({ ...shared, audience: options.processProviderFor ?? 'owner' });
  const sandbox = new BubblewrapProvider({ ...shared, network: options.sandboxNetwork ?? 'none' });
  const usable = await sandbox.check();
  if (usable === true) return [sandbox, processProvider];
  options.logger.warn(
    { reason: usable },
    `The Local sandbox (bubblewrap) is not available: ${usable}. Only the Local process provider is offered, to ${
      processProvider.audience === 'owner' ? "the server's owner only" : 'every user'
    }.`,
  );
  return [processProvider];
}
