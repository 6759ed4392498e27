import type { PlanBound } from '../../../engine/source.js';
import { BastionError } from '../../../errors/codes.js';

/**
 * The plan-cost guard (limits.max_plan_cost / max_plan_rows) for the PostgreSQL family:
 * the statement is planned with EXPLAIN, never run, in the call's own transaction — same
 * settings, same pinned names, same bound parameters (so the estimate is the one for these
 * values) — and refused when its top plan node is estimated over a bound.
 *
 * The text is the policy-checked statement behind a fixed prefix: the policy accepted
 * exactly one SELECT, VALUES or TABLE (never an EXPLAIN: explain calls skip the guard), or
 * one INSERT, UPDATE, DELETE or MERGE, and each of those is explainable as it stands.
 */
export function explainForGuard(sql: string): string {
  return `EXPLAIN (FORMAT JSON) ${sql}`;
}

/** The planner's estimate for the top node: what the statement costs and how many rows it returns. */
export interface PlanEstimate {
  readonly cost: number;
  readonly rows: number;
}

/** Reads the top node of EXPLAIN (FORMAT JSON)'s one value; an answer of another shape fails the call (fail closed). */
export function topPlanEstimate(value: unknown): PlanEstimate {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
  }
  const plan = (Array.isArray(parsed) ? (parsed[0] as { Plan?: Record<string, unknown> } | undefined)?.Plan : undefined) ?? {};
  const cost = plan['Total Cost'];
  const rows = plan['Plan Rows'];
  if (typeof cost !== 'number' || typeof rows !== 'number') {
    throw new BastionError('QUERY_FAILED', 'The plan of the statement could not be read, so the plan-cost guard did not let it run.');
  }
  return { cost, rows };
}

/** Throws PLAN_TOO_COSTLY when the estimate is over a bound, naming the estimate, the limit and the setting. */
export function checkPlan(estimate: PlanEstimate, bound: PlanBound): void {
  if (bound.maxCost !== undefined && estimate.cost > bound.maxCost) {
    throw tooCostly(`a cost of ${figure(estimate.cost)}`, `limits.max_plan_cost is ${figure(bound.maxCost)}`, 'limits.max_plan_cost');
  }
  if (bound.maxRows !== undefined && estimate.rows > bound.maxRows) {
    throw tooCostly(`${figure(estimate.rows)} rows`, `limits.max_plan_rows is ${figure(bound.maxRows)}`, 'limits.max_plan_rows');
  }
}

function tooCostly(estimate: string, limit: string, setting: string): BastionError {
  return new BastionError(
    'PLAN_TOO_COSTLY',
    `The planner estimates this statement at ${estimate} (${limit}), so it was not run. Narrow it (a WHERE on an indexed column, fewer rows or joins), or ask an operator to raise ${setting}.`,
  );
}

function figure(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
