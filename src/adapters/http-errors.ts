// One wording for HTTP failures of the metric and alert sources.
import { isAxiosError } from 'axios';

export function describeHttpFailure(error: unknown): string {
  if (isAxiosError(error)) {
    if (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT') return `timed out (${error.message})`;
    if (error.response) return `answered HTTP ${error.response.status}`;
    return `unreachable (${error.code ?? error.message})`;
  }
  return `failed (${error instanceof Error ? error.message : String(error)})`;
}
