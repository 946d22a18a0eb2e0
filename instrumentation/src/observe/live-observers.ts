// The observers of this process that have not shut down, so that stopping the SDK startCorsight set up
// first emits what they counted since their last flush: the Fastify plugin flushes on the app's onClose and
// the middleware on its shutdown(), and an app that only stops the SDK (the usual SIGTERM handler) would
// otherwise lose up to a flush interval of counts.

/** What an observer offers here: ending its interval now and waiting until its spans are handed over. */
export interface Flushable {
  flush(): void;
  drained(): Promise<void>;
}

const live = new Set<Flushable>();

export function liveObserver(observer: Flushable): void {
  live.add(observer);
}

export function deadObserver(observer: Flushable): void {
  live.delete(observer);
}

/** Flushes every live observer and resolves once their spans are with the tracer. Never rejects. */
export async function flushLiveObservers(): Promise<void> {
  for (const observer of live) observer.flush();
  await Promise.allSettled([...live].map((observer) => observer.drained()));
}
