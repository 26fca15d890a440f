/** Where the solver traces decisions, conflicts and learnt clauses while debugging a resolution; off unless a caller sets it. */
let traceSink: ((line: string) => void) | undefined;

export const setSolverTrace = (sink: ((line: string) => void) | undefined): void => {
  traceSink = sink;
};

/** Whether a trace sink is set: callers check it before building a trace line (the hot path builds none). */
export const tracing = (): boolean => traceSink !== undefined;

export const trace = (msg: string): void => traceSink?.(`[depsolve] ${msg}`);
