import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MAX_STARTED, TurnBatch } from './turn-batch.js';

function batch(): { turn: TurnBatch<number>; settled: number[][] } {
  const settled: number[][] = [];
  let current: number[] = [];
  const turn = new TurnBatch<number>((exchange) => {
    current.push(exchange);
  });
  const settle = turn.settle.bind(turn);
  turn.settle = () => {
    current = [];
    settle();
    if (current.length > 0) settled.push(current);
  };
  return { turn, settled };
}

describe('TurnBatch', () => {
  it('settles a turn’s exchanges together right after the turn, once', async () => {
    const { turn, settled } = batch();
    turn.add(1);
    turn.add(2);
    expect(settled).toEqual([]);
    await nextTurn();
    expect(settled).toEqual([[1, 2]]);
    expect(turn.started).toEqual([]);
    turn.add(3);
    await nextTurn();
    expect(settled).toEqual([[1, 2], [3]]);
  });

  it('settles a burst before the exchange past its bound joins, and on demand', async () => {
    const { turn, settled } = batch();
    const burst = Array.from({ length: MAX_STARTED + 1 }, (_, i) => i);
    for (const exchange of burst) turn.add(exchange);
    expect(settled).toEqual([burst.slice(0, MAX_STARTED)]);
    expect(turn.started).toEqual([MAX_STARTED]);
    turn.settle();
    expect(settled.at(-1)).toEqual([MAX_STARTED]);
    await nextTurn();
    expect(settled).toHaveLength(2);
  });
});
