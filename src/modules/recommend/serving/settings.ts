import { z } from 'zod';
import { PLACEMENTS, SERVING_COMPONENTS } from './types.ts';

/**
 * Per-workspace recommendation settings: business rules per placement, and training. Stored as
 * one JSON document per workspace (recommend_settings); `PUT /api/v1/recommendations/settings`
 * takes any subset and merges it (placements field by field), so the stored document is always
 * complete.
 */
const id = z.string().min(1).max(200);
const ids = z.array(id).max(500);

export const BoostSchema = z
  .object({
    productId: id.optional(),
    category: z.string().min(1).max(200).optional(),
    brand: z.string().min(1).max(200).optional(),
    /** Score multiplier (> 1 raises, < 1 lowers). */
    factor: z.number().min(0).max(100),
  })
  .refine((b) => [b.productId, b.category, b.brand].filter((v) => v !== undefined).length === 1, { message: 'give exactly one of productId, category, brand' });

const PlacementShape = z.object({
  /** Items the user bought within this many days are not recommended (0 = no exclusion). Needs profile data: not applied when non-personalised. */
  excludePurchasedDays: z.number().int().min(0).max(3650),
  /** MMR trade-off between relevance (0) and category / brand diversity (1). */
  diversity: z.number().min(0).max(1),
  /** At most this many items of one category (0 = no limit); pinned items are exempt. */
  maxPerCategory: z.number().int().min(0).max(100),
  /** At most this many items of one brand (0 = no limit); pinned items are exempt. */
  maxPerBrand: z.number().int().min(0).max(100),
  /** Shown first, in this order, when eligible (in stock, not excluded, within the price band). */
  pinned: ids.max(50),
  boosts: z.array(BoostSchema).max(200),
  /** Price band (inclusive); when set, items without a known price are left out. */
  minPrice: z.number().min(0).nullable(),
  maxPrice: z.number().min(0).nullable(),
  /** When not empty, only these categories. */
  includeCategories: z.array(z.string().min(1).max(200)).max(200),
  excludeCategories: z.array(z.string().min(1).max(200)).max(200),
  excludeBrands: z.array(z.string().min(1).max(200)).max(200),
  excludeProductIds: ids,
});
export const PlacementSettingsSchema = PlacementShape
  .refine((p) => p.minPrice === null || p.maxPrice === null || p.minPrice <= p.maxPrice, { message: 'minPrice must not exceed maxPrice', path: ['minPrice'] });
export type PlacementSettings = z.infer<typeof PlacementSettingsSchema>;

export const TrainingSettingsSchema = z.object({
  /** Retrain the workspace in the server every this many minutes (0 = never on schedule). */
  intervalMinutes: z.number().int().min(0).max(60 * 24 * 30),
  /** Not enough data below these: training is skipped. */
  minUsers: z.number().int().min(2).max(1_000_000),
  minInteractions: z.number().int().min(1).max(100_000_000),
  /** Interactions older than this many days are not read (0 = all). */
  windowDays: z.number().int().min(0).max(3650),
  /** Components of the hybrid; `popular` is always trained (the fallback). */
  models: z.array(z.enum(SERVING_COMPONENTS)).min(1),
  /** Interaction strength per kind (value of a user–item pair = Σ weight × (1 + ln count)). */
  weights: z.object({ view: z.number().min(0).max(100), cart: z.number().min(0).max(100), order: z.number().min(0).max(100), share: z.number().min(0).max(100) }),
  /** Precomputed recommendations per user. */
  candidatesPerUser: z.number().int().min(10).max(500),
});
export type TrainingSettings = z.infer<typeof TrainingSettingsSchema>;

export const RecommendSettingsSchema = z.object({
  placements: z.object({ home: PlacementSettingsSchema, product: PlacementSettingsSchema, cart: PlacementSettingsSchema, email: PlacementSettingsSchema }),
  training: TrainingSettingsSchema,
  /** Tracking tokens older than this are refused by the feedback endpoint. */
  tokenTtlHours: z.number().int().min(1).max(24 * 90),
});
export type RecommendSettings = z.infer<typeof RecommendSettingsSchema>;

const PLACEMENT_DEFAULT: PlacementSettings = {
  excludePurchasedDays: 30,
  diversity: 0.2,
  maxPerCategory: 0,
  maxPerBrand: 0,
  pinned: [],
  boosts: [],
  minPrice: null,
  maxPrice: null,
  includeCategories: [],
  excludeCategories: [],
  excludeBrands: [],
  excludeProductIds: [],
};

export const DEFAULT_SETTINGS: RecommendSettings = {
  placements: {
    home: PLACEMENT_DEFAULT,
    product: { ...PLACEMENT_DEFAULT, diversity: 0 },
    cart: { ...PLACEMENT_DEFAULT, diversity: 0.1 },
    email: { ...PLACEMENT_DEFAULT, diversity: 0.4, maxPerCategory: 3 },
  },
  training: {
    intervalMinutes: 360,
    minUsers: 10,
    minInteractions: 100,
    windowDays: 180,
    models: [...SERVING_COMPONENTS],
    weights: { view: 1, cart: 3, order: 5, share: 4 },
    candidatesPerUser: 50,
  },
  tokenTtlHours: 24 * 7,
};

const PlacementPatch = PlacementShape.partial().strict();

/** A partial update: any placement field, any training field, the token TTL. */
export const SettingsPatchSchema = z
  .object({
    placements: z
      .object({ home: PlacementPatch, product: PlacementPatch, cart: PlacementPatch, email: PlacementPatch })
      .partial()
      .strict(),
    training: TrainingSettingsSchema.partial().strict(),
    tokenTtlHours: z.number().int().min(1).max(24 * 90),
  })
  .partial()
  .strict();
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

/**
 * Applies a patch to complete settings and validates the result (cross-field rules such as
 * minPrice ≤ maxPrice). Throws a ZodError naming the offending field.
 */
export function mergeSettings(base: RecommendSettings, patch: SettingsPatch): RecommendSettings {
  const placements = { ...base.placements };
  for (const p of PLACEMENTS) {
    const part = patch.placements?.[p];
    if (part) placements[p] = { ...placements[p], ...part };
  }
  return RecommendSettingsSchema.parse({
    placements,
    training: { ...base.training, ...patch.training, weights: { ...base.training.weights, ...patch.training?.weights } },
    tokenTtlHours: patch.tokenTtlHours ?? base.tokenTtlHours,
  });
}

/** Stored settings (possibly from an older version, or partial) completed with the defaults. */
export function completeSettings(stored: unknown): RecommendSettings {
  const r = SettingsPatchSchema.safeParse(stored ?? {});
  if (!r.success) return DEFAULT_SETTINGS;
  try {
    return mergeSettings(DEFAULT_SETTINGS, r.data);
  } catch {
    return DEFAULT_SETTINGS;
  }
}
