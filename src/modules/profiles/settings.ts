import { z } from 'zod';

/**
 * Per-workspace settings of the computed profiles (`workspaces.settings.profiles`), all in days.
 * docs/profiles.md defines every trait they affect. A change takes effect at the next full
 * recompute, which the background loop starts by itself when it sees the settings changed.
 */
export const ProfileSettingsSchema = z.object({
  rfm: z.object({
    /** Orders in the last `windowDays` days (through the as-of day) count for R, F and M; null = all history. */
    windowDays: z.number().int().min(1).max(36_500).nullable().default(365),
  }).prefault({}),
  lifecycle: z.object({
    /** A buyer whose first purchase day is less than `newDays` days before the as-of day is `new`. */
    newDays: z.number().int().min(1).max(3650).default(30),
    /** A purchase in the last `activeDays` days keeps a buyer in a purchasing stage. */
    activeDays: z.number().int().min(1).max(3650).default(30),
    /** No purchase for `dormantDays` days: dormant; a purchase after such a gap: resurrected. */
    dormantDays: z.number().int().min(1).max(3650).default(90),
    /** No purchase for `churnedDays` days: churned. */
    churnedDays: z.number().int().min(1).max(3650).default(180),
  }).prefault({}).refine((l) => l.activeDays <= l.dormantDays && l.dormantDays <= l.churnedDays, {
    message: 'lifecycle windows must satisfy activeDays <= dormantDays <= churnedDays',
  }),
  interests: z.object({
    /** Half-life of the time decay of interest weights. */
    halfLifeDays: z.number().min(0.1).max(3650).default(30),
  }).prefault({}),
  churn: z.object({
    /** A buyer has churned at day c when they place no order in the `horizonDays` days after c. */
    horizonDays: z.number().int().min(1).max(3650).default(90),
  }).prefault({}),
  influence: z.object({
    /** Orders attributed to a share up to `depth` generations below one of the user's shares count downstream (0 = their own shares only). */
    depth: z.number().int().min(0).max(20).default(3),
    kol: z.object({
      /** A profile with at least this many followers is a KOL. */
      minFollowers: z.number().int().min(1).default(100),
      /** A profile whose centrality percentile (among the graph's nodes) is at least this is a KOL; null = followers only. */
      minCentralityPercentile: z.number().min(0).max(100).nullable().default(99),
    }).prefault({}),
  }).prefault({}),
});
export type ProfileSettings = z.infer<typeof ProfileSettingsSchema>;
export const DEFAULT_PROFILE_SETTINGS: ProfileSettings = ProfileSettingsSchema.parse({});
