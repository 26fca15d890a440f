/** Exit codes (documented in docs/cli.md): scripts rely on them, so they never change meaning. */
export const EXIT = {
  ok: 0,
  /** The thing asked for failed: the service refused it, the compose failed, a checksum did not match. */
  failed: 1,
  /** The command line is wrong: unknown command or option, missing argument. */
  usage: 2,
  /** The service could not be reached (connection refused, DNS, timeout, gateway errors). */
  unreachable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failed,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** A mistake on the command line; `command` names the command whose --help helps. */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly command?: string,
    options?: { cause?: unknown },
  ) {
    super(message, EXIT.usage, options);
    this.name = 'UsageError';
  }
}

export interface ServiceErrorItem {
  title: string;
  detail: string;
}

/** The service answered with an error body (`{"errors":[{"title","detail"}]}`); its message is shown as is. */
export class ServiceError extends CliError {
  constructor(
    readonly status: number,
    readonly errors: ServiceErrorItem[],
  ) {
    super(errors.map((e) => (e.detail ? `${e.title}: ${e.detail}` : e.title)).join('; '), EXIT.failed);
    this.name = 'ServiceError';
  }
}

export class UnreachableError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.unreachable, options);
    this.name = 'UnreachableError';
  }
}
