/** How a compose's state and progress look everywhere: a label, and while building a progress bar with the stage. */
import { Label, Progress, ProgressMeasureLocation, ProgressSize } from '@patternfly/react-core';
import { CheckCircleIcon, ExclamationCircleIcon, InProgressIcon, BanIcon, PendingIcon } from '@patternfly/react-icons';
import { useEffect, useState } from 'react';
import { useApi } from '../api/api-context.tsx';
import type { ComposeState, ComposeStatus } from '../api/types.ts';

export const UNFINISHED: readonly ComposeState[] = ['pending', 'queued', 'building', 'uploading'];
export const isUnfinished = (state: ComposeState | undefined) => !!state && UNFINISHED.includes(state);

const LOOK: Record<ComposeState, { color: 'green' | 'red' | 'blue' | 'grey' | 'orange'; icon: React.ReactNode; text: string }> = {
  pending: { color: 'grey', icon: <PendingIcon />, text: 'Pending' },
  queued: { color: 'grey', icon: <PendingIcon />, text: 'Queued' },
  building: { color: 'blue', icon: <InProgressIcon />, text: 'Building' },
  uploading: { color: 'blue', icon: <InProgressIcon />, text: 'Uploading' },
  success: { color: 'green', icon: <CheckCircleIcon />, text: 'Ready' },
  failure: { color: 'red', icon: <ExclamationCircleIcon />, text: 'Failed' },
  cancelled: { color: 'orange', icon: <BanIcon />, text: 'Cancelled' },
};

export function StateLabel({ state }: { state: ComposeState | undefined }) {
  const look = LOOK[state ?? 'pending'];
  return (
    <Label color={look.color} icon={look.icon} data-state={state}>
      {look.text}
    </Label>
  );
}

/** Percent done: pipelines done out of total, plus the current pipeline's stage share. */
export function percentOf(status: ComposeStatus): number {
  if (status.state === 'success') return 100;
  const p = status.image_status.progress;
  if (!p || !p.total) return 0;
  const sub = p.subprogress && p.subprogress.total ? p.subprogress.done / p.subprogress.total : 0;
  return Math.min(100, Math.round(((p.done + sub) / p.total) * 100));
}

/** "pipeline os, stage org.osbuild.rpm" as far as the runner reported it. */
export function stageOf(status: ComposeStatus): string | undefined {
  const p = status.image_status.progress;
  if (!p?.pipeline) return undefined;
  return p.stage ? `${p.pipeline}: ${p.stage}` : p.pipeline;
}

export function ComposeProgress({ status, id }: { status: ComposeStatus; id: string }) {
  if (!isUnfinished(status.state)) return null;
  const stage = stageOf(status);
  return (
    <Progress
      id={`progress-${id}`}
      value={percentOf(status)}
      title={stage ?? (status.state === 'building' ? 'Starting' : 'Waiting for a runner')}
      size={ProgressSize.sm}
      measureLocation={ProgressMeasureLocation.outside}
      aria-label={`Build progress${stage ? `, ${stage}` : ''}`}
    />
  );
}

export const formatTime = (iso: string | undefined) => (iso ? new Date(iso).toLocaleString() : '—');

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

/** What the list shows as the image's name: its name, else a short id. */
export const composeName = (id: string, name: string | undefined) => name || id.slice(0, 8);

/** AMI ids and the download URL of a finished compose, when it has them. */
export function resultsOf(status: ComposeStatus): { url?: string; ami?: string; region?: string } {
  const upload = status.image_status.upload_status;
  if (!upload || upload.status !== 'success') return {};
  const options = upload.options as { url?: string; ami?: string; region?: string };
  return { url: options.url, ami: options.ami, region: options.region };
}

/** The live state of one compose where a list does not carry it (a blueprint's images): polled while unfinished. */
export function ComposeStateCell({ id, listed }: { id: string; listed: ComposeState | undefined }) {
  const api = useApi();
  const [status, setStatus] = useState<ComposeStatus>();
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const read = async () => {
      const s = await api.get<ComposeStatus>(`/composes/${id}`).catch(() => undefined);
      if (stopped) return;
      if (s) setStatus(s);
      if (!s || isUnfinished(s.state)) timer = setTimeout(() => void read(), 2000);
    };
    void read();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, id]);
  return (
    <>
      <StateLabel state={status?.state ?? listed} />
      {status ? <ComposeProgress status={status} id={id} /> : null}
    </>
  );
}
