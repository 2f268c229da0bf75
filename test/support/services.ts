import { inject } from 'vitest';

/** The services a test run shares, started by the global setup on first use. */
export type TestService = 'chromium' | 'postgres' | 'redis';

const addresses = new Map<TestService, Promise<string>>();

/** The address of one of the run's shared services (a WebSocket endpoint, or a database URL), started if it is not yet. */
export function testService(service: TestService): Promise<string> {
  let address = addresses.get(service);
  if (!address) {
    address = fetch(`${inject('testServicesUrl')}/${service}`).then(async (res) => {
      const text = await res.text();
      if (!res.ok) throw new Error(`The test run could not start ${service}: ${text}`);
      return text;
    });
    addresses.set(service, address);
  }
  return address;
}
