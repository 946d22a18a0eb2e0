// The row the spool crash test writes for id n: long enough that a write can tear inside it, and
// different for every id so that a torn, mixed or duplicated row cannot pass for an intact one.
export function crashRow(id: number): string {
  return `[${id},"${String(id).padStart(12, '0').repeat(8)}"]\n`;
}
