import { z } from 'zod';

/**
 * A tag name: 1–64 characters, starting with a letter or digit (any script), then letters,
 * digits, spaces and `_ - : . ·`; surrounding spaces are trimmed. Case-sensitive.
 */
export const TagName = z.string().trim().min(1).max(64)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} _\-:.·]*$/u, 'a tag is letters, digits, spaces and _ - : . · (starting with a letter or digit)');

/** Who added a tag: `key:<keyId>` (a secret key), `user:<email>` (a console user), or `segment:<id>` (a rule tag). */
export type TagSource = 'manual' | 'segment';

export interface ProfileTag {
  tag: string;
  source: TagSource;
  addedBy: string;
  /** ISO time: when it was added, or for a rule tag when the profile entered the segment. */
  addedAt: string;
  /** The profile the manual tag was put on, when it was merged into this one since. */
  viaProfileId?: string;
  segmentId?: string;
}

export interface TagRule { tag: string; segmentId: string; createdBy: string; createdAt: string }
