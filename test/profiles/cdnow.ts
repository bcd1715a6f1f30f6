import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CDNOW dataset beside the project (../shared/datasets/cdnow). */
export const CDNOW = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/datasets/cdnow');
