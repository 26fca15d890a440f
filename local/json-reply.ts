import type { ServerResponse } from 'node:http';

/** An Image Builder error body from the gateway itself (before or beside the API handler). */
export const sendJson = (res: ServerResponse, status: number, title: string, detail: string): void => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ title, detail }] }));
};
