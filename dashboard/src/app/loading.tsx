// Shown while a page's server components wait for the query API.
export default function Loading() {
  return (
    <main id="content" className="loading" aria-busy="true">
      <p role="status">Loading…</p>
    </main>
  );
}
