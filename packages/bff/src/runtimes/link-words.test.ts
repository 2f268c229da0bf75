import { describe, expect, it } from 'vitest';
import { plainLinkDetail } from './link-words.js';

describe('link details in the runtime log', () => {
  it('says why a link closed in plain words, without close codes', () => {
    expect(plainLinkDetail('closed by peer (4503: runtime shutting down)')).toBe('runtime shutting down');
    expect(plainLinkDetail('closed by peer (4408)')).toBe('no heartbeat arrived in time');
    expect(plainLinkDetail('closed (1006)')).toBe('the connection dropped');
    expect(plainLinkDetail('closed (4999)')).toBe('the connection closed');
    expect(plainLinkDetail('the socket closed during the handshake')).toBe('the socket closed during the handshake');
  });
});
