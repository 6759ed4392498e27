/** Who is calling: produced by the authenticate stage, bound to a session, read by every later stage. */
export type PrincipalKind = 'local' | 'anonymous' | 'api_key' | 'jwt' | 'mtls';

export interface Principal {
  /** Stable identity: `key:<id>`, `jwt:<iss>#<sub>`, `mtls:<CN>`, `local`, `anonymous`. */
  readonly id: string;
  readonly kind: PrincipalKind;
  /** Role name: built-in (reader, writer, admin, approver, auditor) or from bastion.yaml `roles`. */
  readonly role: string;
  /** OAuth scopes granted by a token; empty for other kinds. */
  readonly scopes: readonly string[];
}

export const LOCAL_PRINCIPAL: Principal = { id: 'local', kind: 'local', role: 'admin', scopes: [] };
export const ANONYMOUS_PRINCIPAL: Principal = { id: 'anonymous', kind: 'anonymous', role: 'reader', scopes: [] };
