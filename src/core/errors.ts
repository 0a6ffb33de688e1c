// The core's errors: what adapters throw, mapped to what the core decides on, and one way to word any error.

/**
 * forbidden: RBAC refused the verb (a rule to grant); unauthenticated: the API server did not accept the
 * bot's credentials at all (an expired token, the wrong kubeconfig), which no RBAC rule fixes.
 */
export type ClusterErrorKind = 'conflict' | 'forbidden' | 'unauthenticated' | 'not-found' | 'unavailable' | 'invalid' | 'timeout';

/** Kubernetes failures mapped to what the core decides on; `detail` is the API server's own message. */
export class ClusterError extends Error {
  constructor(
    readonly kind: ClusterErrorKind,
    message: string,
    readonly detail: { status?: number; verb?: string; resource?: string; name?: string } = {},
  ) {
    super(message);
    this.name = 'ClusterError';
  }
}

/** An error's own message, for logs, audit entries and outcomes. */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
