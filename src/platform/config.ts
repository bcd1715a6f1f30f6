import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/** All configuration comes from the environment, validated here once at start. */
const bool = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');
const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  LIEBIAN_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  LIEBIAN_DEMO: bool.default(true),
  LIEBIAN_DEMO_USERS: z.coerce.number().int().min(10).max(1_000_000).default(300),
  LIEBIAN_DEMO_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  LIEBIAN_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LIEBIAN_RATE_LIMIT_EPS: z.coerce.number().int().min(1).default(200_000),
  // Ingest group commit (docs/ARCHITECTURE.md, "The write path"): groups in flight (default 3 on PostgreSQL, 1 on PGlite)
  // and the events that must be queued before another lane opens.
  LIEBIAN_INGEST_LANES: z.coerce.number().int().min(1).max(16).optional(),
  LIEBIAN_INGEST_GROUP_EVENTS: z.coerce.number().int().min(1).max(5000).default(400),
  // Threads that decode, parse and validate large /v1/batch bodies off the event loop (0: on it).
  LIEBIAN_INGEST_PARSE_THREADS: z.coerce.number().int().min(0).max(16).optional(),
  LIEBIAN_BOOTSTRAP_WRITE_KEY: z.string().min(16).max(200).optional(),
  LIEBIAN_BOOTSTRAP_SECRET_KEY: z.string().min(16).max(200).optional(),
  LIEBIAN_BOOTSTRAP_ADMIN_PASSWORD: z.string().min(8).max(200).optional(),
  LIEBIAN_SECRET: z.string().min(16).optional(),
});

export type Config = {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  demo: boolean;
  demoUsers: number;
  demoDays: number;
  logLevel: z.infer<typeof EnvSchema>['LIEBIAN_LOG_LEVEL'];
  rateLimitEventsPerSecond: number;
  ingest: { lanes?: number; groupEvents: number; parseThreads: number };
  bootstrap: { writeKey?: string; secretKey?: string; adminPassword?: string };
};

export class ConfigError extends Error {}

/** One parse thread when there is a second core for it; none on one core (it would only add hops). */
const defaultParseThreads = () => (os.availableParallelism() > 1 ? 1 : 0);

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.LIEBIAN_DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    demo: e.LIEBIAN_DEMO,
    demoUsers: e.LIEBIAN_DEMO_USERS,
    demoDays: e.LIEBIAN_DEMO_DAYS,
    logLevel: e.LIEBIAN_LOG_LEVEL,
    rateLimitEventsPerSecond: e.LIEBIAN_RATE_LIMIT_EPS,
    ingest: { lanes: e.LIEBIAN_INGEST_LANES, groupEvents: e.LIEBIAN_INGEST_GROUP_EVENTS, parseThreads: e.LIEBIAN_INGEST_PARSE_THREADS ?? defaultParseThreads() },
    bootstrap: {
      writeKey: e.LIEBIAN_BOOTSTRAP_WRITE_KEY,
      secretKey: e.LIEBIAN_BOOTSTRAP_SECRET_KEY,
      adminPassword: e.LIEBIAN_BOOTSTRAP_ADMIN_PASSWORD,
    },
  };
}
