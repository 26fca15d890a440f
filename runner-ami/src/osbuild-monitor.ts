// Streaming parser for osbuild's `--monitor=JSONSeqMonitor` output (RFC 7464 json-seq: 0x1E + JSON + "\n").
// The runner reads it from --monitor-fd while osbuild runs, so chunks can split records (and UTF-8 characters)
// anywhere. Records name their context in full only on first use and afterwards as `{id}`; we remember the
// mapping to attribute every log line to its pipeline and stage.

const RS = 0x1e;
const LF = 0x0a;

export interface MonitorStageRef {
  name?: string;
  id?: string;
}

export interface MonitorContext {
  origin?: string;
  pipeline?: { name?: string; id?: string; stage?: MonitorStageRef };
  id: string;
}

export interface MonitorProgress {
  name: string;
  total: number;
  done: number;
  progress?: MonitorProgress;
}

export interface MonitorStageResultRecord {
  name: string;
  id: string;
  success: boolean;
  output?: string;
  error?: unknown;
}

export interface MonitorSourceResultRecord {
  name: string;
  source_type: string;
  success: boolean;
  output?: string;
  results?: { success: boolean; metadata?: { checksum?: string; cached?: boolean }; error?: string }[];
}

/** One JSONSeqMonitor entry (osbuild drops None/"" members, so everything but timestamp may be absent). */
export interface MonitorRecord {
  message?: string;
  result?: MonitorStageResultRecord | MonitorSourceResultRecord;
  context?: MonitorContext | { id: string };
  progress?: MonitorProgress;
  options?: Record<string, unknown>;
  timestamp?: number;
  duration?: number;
  metadata?: Record<string, unknown>;
}

export interface Counter {
  done: number;
  total: number;
}

export interface LogLine {
  text: string;
  /** `stages/<type>` for stage output, `org.osbuild` for sources/host services, `osbuild.monitor`/`osbuild.main_cli` for status. */
  origin: string | null;
  kind: 'output' | 'status';
  pipeline: string | null;
  stage: string | null;
  stageId: string | null;
  timestamp: number | null;
}

export interface StageResult {
  pipeline: string | null;
  name: string;
  id: string;
  success: boolean;
  output: string;
  duration: number | null;
  metadata: Record<string, unknown> | null;
}

export interface SourceResult {
  sourceType: string;
  success: boolean;
  output: string;
  items: { checksum: string | null; cached: boolean | null; success: boolean; error: string }[];
}

export type MonitorEvent =
  | { type: 'progress'; progress: Counter | null; subProgress: (Counter & { name: string }) | null }
  | { type: 'pipeline-started'; name: string; id: string | null }
  | { type: 'pipeline-finished'; name: string }
  | { type: 'stage-started'; pipeline: string | null; stage: string; id: string | null }
  | { type: 'log'; line: LogLine }
  | { type: 'stage-result'; result: StageResult }
  | { type: 'source-result'; result: SourceResult }
  | { type: 'manifest-finished'; success: boolean }
  | { type: 'invalid-record'; text: string; error: string }
  | { type: 'garbage'; bytes: number };

export interface MonitorState {
  progress: Counter | null;
  subProgress: (Counter & { name: string }) | null;
  pipeline: string | null;
  pipelineId: string | null;
  stage: string | null;
  stageId: string | null;
  logLines: LogLine[];
  /** Lines dropped from the front of `logLines` because of `maxLogLines`. */
  droppedLogLines: number;
  stageResults: StageResult[];
  sourceResults: SourceResult[];
  /** Set by osbuild's final `manifest … finished successfully` / `… failed` message. */
  finished: { success: boolean } | null;
  records: number;
  invalidRecords: number;
  garbageBytes: number;
}

export interface MonitorParserOptions {
  /** Keep at most this many log lines in the folded state (events still carry every line). Default 10 000. */
  maxLogLines?: number;
}

const STATUS_ORIGINS = new Set(['osbuild.monitor', 'osbuild.main_cli']);

function isFullContext(c: unknown): c is MonitorContext {
  return typeof c === 'object' && c !== null && ('origin' in c || 'pipeline' in c);
}

/** Incremental JSONSeqMonitor parser: feed chunks with push(), call end() at EOF; read `state` any time. */
export class OsbuildMonitorParser {
  readonly state: MonitorState = {
    progress: null,
    subProgress: null,
    pipeline: null,
    pipelineId: null,
    stage: null,
    stageId: null,
    logLines: [],
    droppedLogLines: 0,
    stageResults: [],
    sourceResults: [],
    finished: null,
    records: 0,
    invalidRecords: 0,
    garbageBytes: 0,
  };

  private readonly maxLogLines: number;
  private readonly contexts = new Map<string, MonitorContext>();
  private readonly partialLines = new Map<string, { text: string; ctx: MonitorContext | null; ts: number | null }>();
  private inRecord = false;
  private parts: Uint8Array[] = [];
  private readonly decoder = new TextDecoder('utf-8');

  constructor(opts: MonitorParserOptions = {}) {
    this.maxLogLines = opts.maxLogLines ?? 10_000;
  }

  /** Feed a chunk (bytes or already-decoded text); returns the events of all records completed by it. */
  push(chunk: Uint8Array | string): MonitorEvent[] {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    const events: MonitorEvent[] = [];
    let pos = 0;
    let garbage = 0;
    while (pos < bytes.length) {
      if (!this.inRecord) {
        const rs = bytes.indexOf(RS, pos);
        if (rs < 0) {
          garbage += bytes.length - pos;
          break;
        }
        garbage += rs - pos;
        this.inRecord = true;
        this.parts = [];
        pos = rs + 1;
        continue;
      }
      const rs = bytes.indexOf(RS, pos);
      const lf = bytes.indexOf(LF, pos);
      if (lf >= 0 && (rs < 0 || lf < rs)) {
        this.parts.push(bytes.subarray(pos, lf + 1));
        pos = lf + 1;
        // A record normally ends at its LF; if the text does not parse yet (e.g. pretty-printed JSON), keep
        // collecting until the next RS decides.
        const parsed = this.tryParse(this.joinParts());
        if (parsed.ok) {
          this.inRecord = false;
          this.parts = [];
          this.handleRecord(parsed.value, events);
        }
      } else if (rs >= 0) {
        this.parts.push(bytes.subarray(pos, rs));
        this.finishRecordAtBoundary(events);
        this.inRecord = true;
        this.parts = [];
        pos = rs + 1;
      } else {
        this.parts.push(bytes.subarray(pos));
        pos = bytes.length;
      }
    }
    if (garbage > 0) this.noteGarbage(garbage, events);
    return events;
  }

  /** Signal EOF: a trailing record without LF is parsed if complete, partial log lines are flushed. */
  end(): MonitorEvent[] {
    const events: MonitorEvent[] = [];
    if (this.inRecord) this.finishRecordAtBoundary(events);
    this.inRecord = false;
    this.parts = [];
    for (const key of [...this.partialLines.keys()]) this.flushPartial(key, events);
    return events;
  }

  /** Full context for a context id seen earlier in the stream. */
  contextFor(id: string): MonitorContext | undefined {
    return this.contexts.get(id);
  }

  private finishRecordAtBoundary(events: MonitorEvent[]): void {
    const bytes = this.joinParts();
    if (bytes.every((b) => b === 0x20 || b === LF || b === 0x0d || b === 0x09)) {
      if (bytes.length) this.noteGarbage(bytes.length, events);
      return;
    }
    const parsed = this.tryParse(bytes);
    if (parsed.ok) this.handleRecord(parsed.value, events);
    else {
      this.state.invalidRecords++;
      events.push({ type: 'invalid-record', text: this.decoder.decode(bytes), error: parsed.error });
    }
  }

  private noteGarbage(bytes: number, events: MonitorEvent[]): void {
    this.state.garbageBytes += bytes;
    events.push({ type: 'garbage', bytes });
  }

  private joinParts(): Uint8Array {
    if (this.parts.length === 1) return this.parts[0];
    let n = 0;
    for (const p of this.parts) n += p.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    this.parts = [out];
    return out;
  }

  private tryParse(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false; error: string } {
    try {
      return { ok: true, value: JSON.parse(this.decoder.decode(bytes)) };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  }

  private handleRecord(value: unknown, events: MonitorEvent[]): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.state.invalidRecords++;
      events.push({ type: 'invalid-record', text: JSON.stringify(value), error: 'record is not a JSON object' });
      return;
    }
    const rec = value as MonitorRecord;
    this.state.records++;
    const ctx = this.resolveContext(rec.context);
    const ts = typeof rec.timestamp === 'number' ? rec.timestamp : null;
    const origin = ctx?.origin ?? null;
    const msg = typeof rec.message === 'string' ? rec.message : undefined;
    const st = this.state;

    if (origin === 'osbuild.monitor' && msg?.startsWith('Starting pipeline ')) {
      // The first context of a new pipeline still names the previous pipeline's stage: do not trust it.
      const name = ctx?.pipeline?.name ?? msg.slice('Starting pipeline '.length);
      st.pipeline = name;
      st.pipelineId = ctx?.pipeline?.id ?? null;
      st.stage = null;
      st.stageId = null;
      events.push({ type: 'pipeline-started', name, id: st.pipelineId });
    } else if (origin === 'osbuild.monitor' && msg?.startsWith('Starting module ')) {
      const stage = ctx?.pipeline?.stage?.name ?? msg.slice('Starting module '.length);
      st.stage = stage;
      st.stageId = ctx?.pipeline?.stage?.id ?? null;
      if (ctx?.pipeline?.name) st.pipeline = ctx.pipeline.name;
      events.push({ type: 'stage-started', pipeline: st.pipeline, stage, id: st.stageId });
    }

    this.updateProgress(rec.progress, events);

    if (msg !== undefined && rec.result === undefined) {
      const kind = origin !== null && STATUS_ORIGINS.has(origin) ? 'status' : 'output';
      if (kind === 'status') {
        this.flushAllPartials(events);
        this.addLine({ text: msg.replace(/\n$/, ''), ctx, kind, ts }, events);
      } else {
        this.addOutput(rec.context?.id ?? '', msg, ctx, ts, events);
      }
    }

    if (rec.result !== undefined) this.handleResult(rec, ctx, events);

    if (origin === 'osbuild.monitor' && msg?.startsWith('Finished pipeline ')) {
      events.push({ type: 'pipeline-finished', name: msg.slice('Finished pipeline '.length) });
    }
    if (origin === 'osbuild.main_cli' && msg?.startsWith('manifest ')) {
      if (/ finished successfully\n?$/.test(msg)) st.finished = { success: true };
      else if (/ failed\n?$/.test(msg)) st.finished = { success: false };
      if (st.finished) events.push({ type: 'manifest-finished', success: st.finished.success });
    }
  }

  private resolveContext(c: MonitorRecord['context']): MonitorContext | null {
    if (!c || typeof c !== 'object' || typeof c.id !== 'string') return null;
    if (isFullContext(c)) {
      this.contexts.set(c.id, c);
      return c;
    }
    return this.contexts.get(c.id) ?? null;
  }

  private updateProgress(p: MonitorProgress | undefined, events: MonitorEvent[]): void {
    if (!p || typeof p.done !== 'number' || typeof p.total !== 'number') return;
    const st = this.state;
    const sub = p.progress && typeof p.progress.done === 'number'
      ? { name: p.progress.name, done: p.progress.done, total: p.progress.total }
      : null;
    const changed =
      st.progress?.done !== p.done ||
      st.progress?.total !== p.total ||
      st.subProgress?.done !== sub?.done ||
      st.subProgress?.total !== sub?.total ||
      st.subProgress?.name !== sub?.name;
    st.progress = { done: p.done, total: p.total };
    st.subProgress = sub;
    if (changed) events.push({ type: 'progress', progress: { ...st.progress }, subProgress: sub && { ...sub } });
  }

  private handleResult(rec: MonitorRecord, ctx: MonitorContext | null, events: MonitorEvent[]): void {
    const r = rec.result!;
    if ('source_type' in r) {
      const result: SourceResult = {
        sourceType: r.source_type,
        success: r.success === true,
        output: r.output ?? '',
        items: (r.results ?? []).map((i) => ({
          checksum: i.metadata?.checksum ?? null,
          cached: typeof i.metadata?.cached === 'boolean' ? i.metadata.cached : null,
          success: i.success === true,
          error: i.error ?? '',
        })),
      };
      this.state.sourceResults.push(result);
      events.push({ type: 'source-result', result });
      return;
    }
    // Output of this stage may still sit in a partial line (osbuild's last chunk need not end with "\n").
    this.flushAllPartials(events);
    const result: StageResult = {
      pipeline: ctx?.pipeline?.name ?? this.state.pipeline,
      name: r.name,
      id: r.id,
      success: r.success === true,
      output: r.output ?? '',
      duration: typeof rec.duration === 'number' ? rec.duration : null,
      metadata: rec.metadata ?? null,
    };
    this.state.stageResults.push(result);
    events.push({ type: 'stage-result', result });
  }

  private addOutput(key: string, text: string, ctx: MonitorContext | null, ts: number | null, events: MonitorEvent[]) {
    const prev = this.partialLines.get(key);
    let buf = (prev?.text ?? '') + text;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      this.addLine({ text: buf.slice(0, nl), ctx, kind: 'output', ts }, events);
      buf = buf.slice(nl + 1);
    }
    if (buf) this.partialLines.set(key, { text: buf, ctx, ts });
    else this.partialLines.delete(key);
  }

  private flushPartial(key: string, events: MonitorEvent[]): void {
    const p = this.partialLines.get(key);
    this.partialLines.delete(key);
    if (p && p.text) this.addLine({ text: p.text, ctx: p.ctx, kind: 'output', ts: p.ts }, events);
  }

  private flushAllPartials(events: MonitorEvent[]): void {
    for (const key of [...this.partialLines.keys()]) this.flushPartial(key, events);
  }

  private addLine(
    l: { text: string; ctx: MonitorContext | null; kind: LogLine['kind']; ts: number | null },
    events: MonitorEvent[],
  ): void {
    const st = this.state;
    const origin = l.ctx?.origin ?? null;
    // Stage output carries its own stage; status lines follow the folded state (see the pipeline-start quirk).
    const fromCtx = l.kind === 'output' && l.ctx?.pipeline;
    const line: LogLine = {
      text: l.text,
      origin,
      kind: l.kind,
      pipeline: fromCtx ? (l.ctx!.pipeline!.name ?? null) : st.pipeline,
      stage: fromCtx ? (l.ctx!.pipeline!.stage?.name ?? null) : st.stage,
      stageId: fromCtx ? (l.ctx!.pipeline!.stage?.id ?? null) : st.stageId,
      timestamp: l.ts,
    };
    st.logLines.push(line);
    if (st.logLines.length > this.maxLogLines) {
      const drop = st.logLines.length - this.maxLogLines;
      st.logLines.splice(0, drop);
      st.droppedLogLines += drop;
    }
    events.push({ type: 'log', line });
  }
}

/** Parse a complete JSONSeqMonitor stream at once (tests, post-mortem of a saved stream). */
export function parseMonitorStream(
  data: Uint8Array | string,
  opts?: MonitorParserOptions,
): { events: MonitorEvent[]; state: MonitorState } {
  const p = new OsbuildMonitorParser(opts);
  const events = [...p.push(data), ...p.end()];
  return { events, state: p.state };
}
