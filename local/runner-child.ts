/**
 * One runner agent as a child of the local stack. It is spawned with an IPC channel only so that it notices when the
 * stack process is gone (even after kill -9): the channel closes, and the runner stops as on SIGTERM, handing its
 * build back, instead of living on as an orphan.
 */
const stopWithParent = () => process.kill(process.pid, 'SIGTERM');
// The channel may have closed while this module was still loading: then no 'disconnect' event comes.
if (!process.connected) process.exit(0);
process.once('disconnect', stopWithParent);
await import('../runner-ami/src/main.ts');
