// The server secret (`<data-dir>/secret`) derives every runtime's link credential and signs client
// tokens: only the user the server runs as may read it.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestBff } from './support/bff.js';
import { spawnBff } from './support/bff-process.js';
import { tempDir } from './support/temp-dir.js';

const modeOf = (file: string) => (statSync(file).mode & 0o777).toString(8);

describe('the server secret', () => {
  it('is made with mode 0600 in a new data directory', async () => {
    const bff = await startTestBff({ dataDir: join(tempDir(), 'data') });
    expect(modeOf(join(bff.dataDir, 'secret'))).toBe('600');
  });

  it('is narrowed to mode 0600, and kept, when it was readable by others', async () => {
    const dataDir = join(tempDir(), 'data');
    mkdirSync(dataDir);
    const secret = randomBytes(32).toString('base64url');
    // As a backup restored with a loose umask leaves it.
    writeFileSync(join(dataDir, 'secret'), secret);
    chmodSync(join(dataDir, 'secret'), 0o644);
    await startTestBff({ dataDir });
    expect(modeOf(join(dataDir, 'secret'))).toBe('600');
    expect(readFileSync(join(dataDir, 'secret'), 'utf8')).toBe(secret);
  });

  it("comes from REMOTE_CHAT_SECRET when set (a cluster's instances share it): none is made in the data directory", async () => {
    const dataDir = join(tempDir(), 'data');
    const bff = await spawnBff(['--data-dir', dataDir], { REMOTE_CHAT_SECRET: randomBytes(32).toString('base64url') });
    expect(bff.signinLink).toContain('/auth/signin?token=');
    expect(existsSync(join(dataDir, 'secret'))).toBe(false);
  });

  it('refuses a REMOTE_CHAT_SECRET shorter than 32 bytes, with exit code 2 and a clear message', async () => {
    const dataDir = join(tempDir(), 'data');
    await expect(spawnBff(['--data-dir', dataDir], { REMOTE_CHAT_SECRET: 'short' })).rejects.toThrow(
      /exited \(2\)[\s\S]*REMOTE_CHAT_SECRET must be at least 32 random bytes/,
    );
  });
});
