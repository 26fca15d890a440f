import type { Logger } from '../../layers/src/log/logger.ts';

export interface InterruptionNotice {
  action: string;
  /** When EC2 will act (ISO time), about two minutes after the notice. */
  time: string;
}

const TOKEN_TTL_SECONDS = 21600;
const REQUEST_TIMEOUT_MS = 2000;

/**
 * Reads the spot interruption notice through IMDSv2: PUT a session token, then GET
 * `/latest/meta-data/spot/instance-action` (404 until EC2 schedules a stop/terminate/hibernate).
 */
export class ImdsClient {
  private token?: { value: string; expires: number };

  constructor(private readonly endpoint: string) {}

  async interruptionNotice(): Promise<InterruptionNotice | undefined> {
    let response = await this.get('/latest/meta-data/spot/instance-action');
    if (response.status === 401) {
      // The token expired or the service restarted: get a new one once.
      this.token = undefined;
      response = await this.get('/latest/meta-data/spot/instance-action');
    }
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`instance metadata answered ${response.status} for spot/instance-action`);
    const body = (await response.json()) as Partial<InterruptionNotice>;
    return { action: String(body.action ?? 'terminate'), time: String(body.time ?? '') };
  }

  private async get(path: string): Promise<Response> {
    const token = await this.sessionToken();
    return fetch(new URL(path, this.endpoint), {
      headers: { 'X-aws-ec2-metadata-token': token },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  }

  private async sessionToken(): Promise<string> {
    if (this.token && this.token.expires > Date.now()) return this.token.value;
    const response = await fetch(new URL('/latest/api/token', this.endpoint), {
      method: 'PUT',
      headers: { 'X-aws-ec2-metadata-token-ttl-seconds': String(TOKEN_TTL_SECONDS) },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`instance metadata token request answered ${response.status}`);
    const value = (await response.text()).trim();
    this.token = { value, expires: Date.now() + (TOKEN_TTL_SECONDS - 60) * 1000 };
    return value;
  }
}

/** Polls for a notice and calls `onNotice` once. Poll errors are logged (rate-limited), never fatal. */
export function watchSpotInterruption(options: {
  client: Pick<ImdsClient, 'interruptionNotice'>;
  intervalMs: number;
  log: Logger;
  onNotice: (notice: InterruptionNotice) => void;
}): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  const poll = async (): Promise<void> => {
    try {
      const notice = await options.client.interruptionNotice();
      failures = 0;
      if (notice && !stopped) {
        stopped = true;
        options.onNotice(notice);
        return;
      }
    } catch (error) {
      failures++;
      if (failures === 1 || failures % 60 === 0) options.log.warn('spot interruption poll failed', { error, failures });
    }
    if (!stopped) timer = setTimeout(() => void poll(), options.intervalMs);
  };
  void poll();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
