/** Progress display: a redrawn bar on a terminal, plain lines when output goes to a file or a CI log. */
import { formatBytes, formatDuration, type Stream } from './output.ts';

import type { ComposeProgress } from '../../layers/src/compose/compose.ts';

export type { ComposeProgress };

/** Overall fraction: finished pipelines plus the share of the current pipeline's finished stages. */
export function progressFraction(p: ComposeProgress | undefined): number | undefined {
  if (!p || !p.total) return undefined;
  const sub = p.subprogress && p.subprogress.total > 0 ? Math.min(1, p.subprogress.done / p.subprogress.total) : 0;
  return Math.max(0, Math.min(1, (Math.min(p.done, p.total) + (p.done < p.total ? sub : 0)) / p.total));
}

export function renderBar(fraction: number | undefined, width: number): string {
  if (fraction === undefined) return `[${' '.repeat(width)}]`;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** "pipeline os (2/3), stage org.osbuild.rpm (4/9)" from the status' progress. */
export function describeStep(p: ComposeProgress | undefined): string {
  if (!p) return '';
  const parts: string[] = [];
  if (p.pipeline) parts.push(`pipeline ${p.pipeline}${p.total ? ` (${Math.min(p.done + 1, p.total)}/${p.total})` : ''}`);
  if (p.stage) parts.push(`stage ${p.stage}${p.subprogress?.total ? ` (${Math.min(p.subprogress.done + 1, p.subprogress.total)}/${p.subprogress.total})` : ''}`);
  return parts.join(', ');
}

/** One redrawn status line on a TTY; nothing is redrawn elsewhere. */
export class StatusLine {
  private shown = false;

  constructor(private readonly stream: Stream) {}

  get interactive(): boolean {
    return Boolean(this.stream.isTTY);
  }

  /** Redraws the line (TTY only), cut to the terminal width. */
  draw(text: string): void {
    if (!this.interactive) return;
    const width = (this.stream.columns ?? 80) - 1;
    this.stream.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    this.shown = true;
  }

  /** Ends the redrawn line so that following output starts on a fresh line. */
  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
}

export function composeProgressText(state: string, p: ComposeProgress | undefined, elapsedMs: number): string {
  const fraction = progressFraction(p);
  const pct = fraction === undefined ? '   ' : `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const step = describeStep(p);
  return `${renderBar(fraction, 24)} ${pct} ${state.padEnd(9)} ${formatDuration(elapsedMs).padStart(6)}${step ? `  ${step}` : ''}`;
}

export function downloadProgressText(name: string, received: number, total: number | undefined, elapsedMs: number): string {
  const fraction = total ? received / total : undefined;
  const rate = elapsedMs > 0 ? (received / elapsedMs) * 1000 : 0;
  return `${renderBar(fraction, 24)} ${fraction === undefined ? '' : `${String(Math.floor(fraction * 100)).padStart(3)}% `}${name}  ${formatBytes(received)}${
    total ? ` / ${formatBytes(total)}` : ''
  }  ${formatBytes(rate)}/s`;
}
