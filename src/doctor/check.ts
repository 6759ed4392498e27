/**
 * One item of the `bastion doctor` checklist. `fix` is one line a person can act
 * on; it is empty when the item passes. No field ever carries a secret.
 */
export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface Check {
  readonly id: string;
  readonly status: CheckStatus;
  readonly title: string;
  readonly detail: string;
  readonly fix: string;
}

export function pass(id: string, title: string, detail: string): Check {
  return { id, status: 'pass', title, detail, fix: '' };
}

export function warn(id: string, title: string, detail: string, fix: string): Check {
  return { id, status: 'warn', title, detail, fix };
}

export function fail(id: string, title: string, detail: string, fix: string): Check {
  return { id, status: 'fail', title, detail, fix };
}
