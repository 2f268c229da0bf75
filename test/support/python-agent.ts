import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

/** The example agent (examples/python-agent/agent.py). */
export const PYTHON_AGENT = fileURLToPath(new URL('../../examples/python-agent/agent.py', import.meta.url));

/**
 * A python3 that can `import websockets`: Debian's /usr/bin/python3 first (python3-websockets), then
 * whatever `python3` is on PATH. Throws, naming the package, when neither can.
 */
export function pythonWithWebsockets(): string {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(candidate, ['-c', 'import websockets'], { stdio: 'ignore' });
      return candidate;
    } catch {}
  }
  throw new Error('no python3 can import websockets: apt-get install python3-websockets (or pip install websockets)');
}

/** A running example agent: its output so far, and a wait for a line of it. */
export interface PythonAgent {
  child: ChildProcess;
  output(): string;
  waitFor(text: string, timeoutMs?: number): Promise<void>;
}

/** Starts the example agent with `args` and `env`; stopped (SIGTERM, by its pid) when the test ends. */
export function startPythonAgent(args: string[], env: Record<string, string> = {}): PythonAgent {
  const child = spawn(pythonWithWebsockets(), ['-u', PYTHON_AGENT, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk) => (text += String(chunk)));
  child.stderr?.on('data', (chunk) => (text += String(chunk)));
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  return {
    child,
    output: () => text,
    async waitFor(wanted, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!text.includes(wanted)) {
        if (child.exitCode !== null) throw new Error(`the agent exited (${child.exitCode}): ${text}`);
        if (Date.now() > deadline) throw new Error(`the agent never printed "${wanted}": ${text}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}
