/** `ibs compose ...`: start, list, inspect, follow, cancel and download composes (one module per concern). */
import { composeDownload } from './compose-download.ts';
import { composeCancel, composeList, composeLogs, composeManifest, composeMetadata, composeStatus } from './compose-inspect.ts';
import { composeStart } from './compose-start.ts';
import { composeWait } from './compose-wait.ts';

export { defaultArchitecture } from './compose-shared.ts';
export { waitForCompose } from './compose-wait.ts';

export const COMPOSE_COMMANDS = [composeStart, composeList, composeStatus, composeWait, composeLogs, composeManifest, composeMetadata, composeCancel, composeDownload];
