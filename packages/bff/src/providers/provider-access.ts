import { type Caller, isOwner } from '../auth.js';
import { RemoteChatError } from '../errors.js';
import type { Provider } from './provider.js';

/** Who may make and use a provider's runtimes: the server's owner only, or every signed-in user. */
export const PROVIDER_AUDIENCES = ['owner', 'all'] as const;
export type ProviderAudience = (typeof PROVIDER_AUDIENCES)[number];

/** Whether a caller (null: nobody signed in) may make runtimes with a provider and send them work. */
export function mayUseProvider(provider: Provider, caller: Caller | null): boolean {
  return (provider.audience ?? 'all') === 'all' || (caller !== null && isOwner(caller));
}

/**
 * Throws forbidden unless the caller may use the provider named `id`. A provider this server does
 * not configure (a machine, or one removed since) is not this check's concern.
 */
export function assertMayUseProvider(providers: ReadonlyMap<string, Provider>, caller: Caller, id: string): void {
  const provider = providers.get(id);
  if (provider && !mayUseProvider(provider, caller)) {
    throw new RemoteChatError('forbidden', `The ${provider.label} provider is for this server's owner only.`);
  }
}
