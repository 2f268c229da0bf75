/**
 * The name an upload gets in the runtime's workspace, under `uploads/`: a UTC timestamp, so uploads
 * never overwrite each other, then the file's own name reduced to characters that are safe
 * everywhere. The BFF names uploads with it; a stand-in BFF must name them alike.
 *
 * @example uploadName('../My Screenshot.png', new Date('2026-11-23T08:15:00Z')) // '20261123-081500-My-Screenshot.png'
 */
export function uploadName(original: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const base = original.split(/[\\/]/).pop() ?? '';
  const safe =
    base
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[.-]+/, '')
      .slice(-100) || 'file';
  return `${stamp}-${safe}`;
}
