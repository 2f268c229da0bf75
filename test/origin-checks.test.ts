// Which pages may use the BFF: its own origin and the allow-listed ones, compared whole. Origins
// that look alike (a longer host that starts with an allowed one, a shorter one, the same host on
// another port or scheme) are other sites; a check by prefix, by suffix or without the port lets
// them in, with the owner's cookie or with a user's client token.
import { describe, expect, it } from 'vitest';
import { startTestBff, type TestBff } from './support/bff.js';
import { storedRuntime } from './support/store-fixtures.js';
import { upgradeStatus } from './support/stream-upgrade.js';
import { apiToken, clientToken } from './support/tokens.js';

const ALLOWED = 'https://app.example.com';
/** Also allowed, and starts with ALLOWED: the two must not stand in for each other. */
const ALLOWED_TOO = 'https://app.example.com.au';

/** Origins that are not the BFF's and not allowed, each one close to one that is. */
function lookAlikes(bff: TestBff): Record<string, string> {
  const { hostname, port } = new URL(bff.url);
  return {
    'an allowed host with more after it': 'https://app.example.com.evil.test',
    'the start of an allowed host': 'https://app.example.co',
    'a host that ends like an allowed one': 'https://evilapp.example.com',
    'an allowed host over http': 'http://app.example.com',
    'an allowed host on another port': 'https://app.example.com:8443',
    'an opaque origin': 'null',
    "the BFF's host on another port": `http://${hostname}:${Number(port) + 1}`,
    "the BFF's port on another host name": `http://localhost:${port}`,
  };
}

type Verdicts = Record<string, number | string>;

interface Case {
  who: string;
  origin: string;
  expected: Verdicts;
}

/** Runs the checks for every case; compares all at once, so a failure shows every origin that got through. */
async function expectVerdicts(cases: Case[], verdicts: (origin: string) => Promise<Verdicts>): Promise<void> {
  const actual: Record<string, Verdicts> = {};
  for (const { who, origin } of cases) actual[`${who}: ${origin}`] = await verdicts(origin);
  expect(actual).toEqual(Object.fromEntries(cases.map(({ who, origin, expected }) => [`${who}: ${origin}`, expected])));
}

describe('origins', () => {
  it('lets only its own and allowed pages use REST, with a cookie or a client token', async () => {
    const bff = await startTestBff({ allowedOrigins: [ALLOWED, ALLOWED_TOO] });
    const runtimeId = await storedRuntime(bff);
    const { token } = await apiToken(bff);
    const forAllowed = await clientToken(bff, token, 'alice', ALLOWED);

    const verdicts = async (origin: string): Promise<Verdicts> => {
      const read = await fetch(`${bff.url}/api/runtimes`, { headers: { cookie: bff.cookie, origin } });
      const write = await fetch(`${bff.url}/api/runtimes/${runtimeId}/threads`, {
        method: 'POST',
        headers: { cookie: bff.cookie, origin, 'content-type': 'application/json' },
        body: '{}',
      });
      const preflight = await fetch(`${bff.url}/api/runtimes`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      const withToken = await fetch(`${bff.url}/api/runtimes`, {
        headers: { authorization: `Bearer ${forAllowed}`, origin },
      });
      // The host site's backend asks for a token for a page on this origin (servers send no Origin).
      const mint = await fetch(`${bff.url}/api/client-tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'alice', origin }),
      });
      return {
        read: read.status,
        write: write.status,
        preflight: `${preflight.status}${preflight.headers.get('access-control-allow-origin') === origin ? ' with CORS' : ''}`,
        'client token minted for the allowed page': withToken.status,
        'client token for this page': mint.status,
      };
    };

    await expectVerdicts(
      [
        {
          who: 'own',
          origin: bff.url,
          expected: {
            read: 200,
            write: 201,
            // Same-origin requests need no CORS: there is no preflight route.
            preflight: '404',
            'client token minted for the allowed page': 401,
            'client token for this page': 400,
          },
        },
        {
          who: 'allowed',
          origin: ALLOWED,
          expected: {
            read: 200,
            write: 201,
            preflight: '204 with CORS',
            'client token minted for the allowed page': 200,
            'client token for this page': 201,
          },
        },
        {
          who: 'allowed too',
          origin: ALLOWED_TOO,
          expected: {
            read: 200,
            write: 201,
            preflight: '204 with CORS',
            'client token minted for the allowed page': 401,
            'client token for this page': 201,
          },
        },
        ...Object.entries(lookAlikes(bff)).map(([who, origin]) => ({
          who,
          origin,
          expected: {
            read: 403,
            write: 403,
            preflight: '403',
            'client token minted for the allowed page': 403,
            'client token for this page': 400,
          },
        })),
      ],
      verdicts,
    );
  });

  it('lets only its own and allowed pages open the stream, with a cookie or a ticket', async () => {
    const bff = await startTestBff({ allowedOrigins: [ALLOWED, ALLOWED_TOO] });
    const { token } = await apiToken(bff);
    const forAllowed = await clientToken(bff, token, 'alice', ALLOWED);
    /** A one-time ticket the allowed page got with its client token: good from that page only. */
    const ticket = async () => {
      const response = await fetch(`${bff.url}/api/stream-tickets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${forAllowed}`, origin: ALLOWED, 'content-type': 'application/json' },
        body: '{}',
      });
      return ((await response.json()) as { ticket: string }).ticket;
    };
    const verdicts = async (origin: string): Promise<Verdicts> => ({
      cookie: await upgradeStatus(bff.url, { cookie: bff.cookie, origin }),
      'ticket of the allowed page': await upgradeStatus(bff.url, { origin }, `/api/stream?ticket=${await ticket()}`),
    });

    await expectVerdicts(
      [
        { who: 'own', origin: bff.url, expected: { cookie: 101, 'ticket of the allowed page': 401 } },
        { who: 'allowed', origin: ALLOWED, expected: { cookie: 101, 'ticket of the allowed page': 101 } },
        { who: 'allowed too', origin: ALLOWED_TOO, expected: { cookie: 101, 'ticket of the allowed page': 401 } },
        ...Object.entries(lookAlikes(bff)).map(([who, origin]) => ({
          who,
          origin,
          expected: { cookie: 403, 'ticket of the allowed page': 403 },
        })),
      ],
      verdicts,
    );
  });
});
