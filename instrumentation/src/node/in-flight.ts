// The exchanges every middleware instance started in the current turn of the event loop, looked at together
// right after it, and those whose headers were not out by then, until their response closes.
//
// Why not a 'close' listener per response, as the simplest watch would have: most CORS traffic is answered
// within the turn it arrived in (preflights answered by `cors` or Express's automatic OPTIONS, synchronous
// handlers), so by the end of the turn its headers are out and final (Node writes them once; nothing can
// change them after). Those are judged then, in one batch (CorsObserver.observe says why a batch), with no
// listener, no property on the response and no closure. Only responses still waiting for I/O (an async
// handler) get the one shared 'close' listener and a symbol slot that tells it their exchange.
//
// Shared by every instance, so that a request two of them see is watched once: the first one observes.
import type { ServerResponse } from 'node:http';
import { TurnBatch } from '../observe/turn-batch.js';
import type { NodeExchange } from './exchange-watch.js';

// A symbol key: Object.keys, for...in and JSON.stringify skip it, so nothing that walks or serialises the
// response sees it. Null once the response has closed.
const EXCHANGE = Symbol('corsight.exchange');

type WatchedResponse = ServerResponse & { [EXCHANGE]?: NodeExchange | null };

const turn = new TurnBatch<NodeExchange>(settleOne);

/** Whether some instance already watches this response. */
export function isWatched(res: ServerResponse): boolean {
  const started = turn.started;
  for (let i = started.length - 1; i >= 0; i--) {
    if ((started[i] as NodeExchange).res === res) return true;
  }
  return (res as WatchedResponse)[EXCHANGE] !== undefined;
}

/** Starts watching an exchange; it is judged once its response's headers are out. */
export function startWatching(exchange: NodeExchange): void {
  turn.add(exchange);
}

/**
 * Judges the exchanges of the turn whose headers are out (together: CorsObserver.observe says why a batch);
 * the others wait for their response to close. Also run before a flush or shutdown, so they count in it.
 */
export function settle(): void {
  turn.settle();
}

function settleOne(exchange: NodeExchange, now: number): void {
  try {
    const res = exchange.res as WatchedResponse;
    if (res.headersSent) {
      exchange.endTime = now;
      exchange.watch.judge(exchange);
    } else if (!res.destroyed) {
      // Waiting for I/O. 'close' ends every response, finished or cut off (Node emits it after 'finish').
      res[EXCHANGE] = exchange;
      res.on('close', closed);
    }
    // Destroyed with no header written: no response reached a browser, nothing to judge.
  } catch (error) {
    exchange.watch.failed('watching a response failed', error);
  }
}

function closed(this: WatchedResponse): void {
  const exchange = this[EXCHANGE];
  if (exchange === undefined || exchange === null) return;
  try {
    // Left in place rather than deleted, so a second instance that sees the response later still finds it
    // watched (and the object keeps its shape).
    this[EXCHANGE] = null;
    // The client left before any header was written: nothing to judge.
    if (!this.headersSent) return;
    exchange.endTime = Date.now();
    exchange.watch.judgeSoon(exchange);
  } catch (error) {
    exchange.watch.failed('observing a response failed', error);
  }
}
