import { ALS_TASKS } from '../models/als-tasks.ts';
import { SOLVER_TASKS } from './solver.ts';

/** Every task kind a pool worker can run, by name (TaskKind.name). */
export const TASK_KINDS = {
  [SOLVER_TASKS.name]: SOLVER_TASKS,
  [ALS_TASKS.name]: ALS_TASKS,
} as const;
