import path from 'node:path';
import { loadConfig, type Config } from '../platform/config.ts';
import { createLogger } from '../platform/logger.ts';
import { startEngine, type Engine } from '../engine.ts';

/** An in-process engine over a data dir (the server must be stopped: DuckDB allows one process). */
export async function cliEngine(dataDir?: string): Promise<Engine> {
  const env: NodeJS.ProcessEnv = { ...process.env, LIEBIAN_LOG_LEVEL: process.env.LIEBIAN_LOG_LEVEL ?? 'warn' };
  if (dataDir) env.LIEBIAN_DATA_DIR = path.resolve(dataDir);
  const config: Config = loadConfig(env);
  try {
    return await startEngine(config, { log: createLogger(config.logLevel) });
  } catch (e) {
    const msg = (e as Error).message;
    if (/lock|Conflicting/i.test(msg)) throw Object.assign(new Error(`the data dir ${config.dataDir} is in use (is the server running? stop it first): ${msg}`), { code: 'STORE_UNAVAILABLE' });
    throw e;
  }
}
