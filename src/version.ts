/** The ts-triton version, reported by server metadata (kept equal to package.json's by a test). */
export const VERSION = '0.1.0';
