// The exchanges the Node middleware started in the current turn of the event loop, looked at together right
// after it (setImmediate). Most CORS traffic is answered within the turn it arrived in, so by then its
// headers are out and final and it is judged with no listener at all; the middleware decides, per exchange,
// whether to judge it or to wait for its response to close. (The Fastify plugin takes each response at the
// moment its head is written instead: head-watch.ts.)
//
// Bounded: at most MAX_STARTED exchanges wait for their turn to end (a burst settles the turn early), which
// bounds the middleware's scans of `started` and how many requests and responses a turn keeps alive.

export const MAX_STARTED = 64;

export class TurnBatch<E> {
  /** This turn's exchanges, oldest first: the middleware scans it from the end (the newest is the likeliest). */
  readonly started: E[] = [];
  readonly #settleOne: (exchange: E, now: number) => void;
  #scheduled = false;

  /** `settleOne` judges an exchange or makes it wait for its response; it must not throw. */
  constructor(settleOne: (exchange: E, now: number) => void) {
    this.#settleOne = settleOne;
  }

  add(exchange: E): void {
    // Settled before this one joins: the earlier exchanges of a burst are done by now, this one is not.
    if (this.started.length >= MAX_STARTED) this.settle();
    this.started.push(exchange);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#settleTurn);
    }
  }

  readonly #settleTurn = (): void => {
    this.#scheduled = false;
    this.settle();
  };

  /** Settles every exchange of the turn now; also run before a flush or shutdown, so they count in it. */
  settle(): void {
    const started = this.started;
    const now = Date.now();
    for (let i = 0; i < started.length; i++) this.#settleOne(started[i] as E, now);
    started.length = 0;
  }
}
