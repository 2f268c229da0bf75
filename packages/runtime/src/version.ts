/** The runtime's version, reported in `runtime.info` and `/healthz`; kept equal to package.json's by a test. */
export const RUNTIME_VERSION = '0.1.0';
