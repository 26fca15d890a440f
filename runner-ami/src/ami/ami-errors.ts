/** Errors of the AMI path that keep EC2's/EBS's own code and message, and whether trying again can help. */

export class AmiError extends Error {
  constructor(
    message: string,
    /** EC2/EBS error code (e.g. InvalidAMIName.Duplicate), when AWS answered one. */
    readonly code: string | undefined,
    /** Throttling, a 5xx or a network error: another attempt may succeed. */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AmiError';
  }
}

interface SdkErrorShape {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/** Whether an SDK error is worth another attempt (throttling, server side, no answer at all). */
export function isRetryableAwsError(error: unknown): boolean {
  const e = (error ?? {}) as SdkErrorShape;
  if (e.$retryable) return true;
  if (/Throttl|RequestLimitExceeded|TooManyRequests|InternalError|ServiceUnavailable/i.test(e.name ?? '')) return true;
  if (e.$fault === 'server' || (e.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  // No HTTP answer: a reset or refused connection.
  return e.$metadata?.httpStatusCode === undefined && /ECONNRESET|ECONNREFUSED|EPIPE|socket|timeout/i.test(`${e.name} ${e.message}`);
}

/** `<what> failed: <Code>: <AWS's message>`, keeping the code for the compose error. */
export function amiErrorOf(what: string, error: unknown): AmiError {
  if (error instanceof AmiError) return error;
  const e = (error ?? {}) as SdkErrorShape;
  const code = e.$metadata ? e.name : undefined;
  const text = code ? `${code}: ${e.message}` : String(e.message ?? error);
  return new AmiError(`${what} failed: ${text}`, code, isRetryableAwsError(error), { cause: error });
}

/** Runs `call`, retrying what AWS says is transient with exponential backoff; other errors at once, wrapped. */
export async function withAwsRetries<T>(what: string, call: () => Promise<T>, options: { attempts?: number; baseMs?: number; signal?: AbortSignal } = {}): Promise<T> {
  const attempts = options.attempts ?? 6;
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await call();
    } catch (error) {
      if (options.signal?.aborted) throw error;
      if (attempt >= attempts || !isRetryableAwsError(error)) throw amiErrorOf(what, error);
      const delay = (options.baseMs ?? 200) * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
