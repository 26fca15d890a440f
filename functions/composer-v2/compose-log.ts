/** A compose's whole build log (the cloud API v2 answers it at once, and Koji imports it). */
import type { Compose } from '../../layers/src/compose/compose.ts';
import { readComposeLogs } from '../../layers/src/service/compose-service.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';

export async function readWholeLog(deps: ServiceDeps, compose: Compose): Promise<{ text: string; complete: boolean }> {
  let text = '';
  let offset = 0;
  for (;;) {
    const slice = await readComposeLogs(deps, compose.orgId, compose.id, offset);
    text += slice.text;
    if (slice.nextOffset === offset) return { text, complete: slice.complete };
    offset = slice.nextOffset;
  }
}
