'use client';

// Last-resort boundary for unexpected render errors: a readable message instead of a crash page.
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <section className="card" aria-labelledby="error-heading">
      <div className="alert alert-error" role="alert">
        <h1 id="error-heading" className="alert-title">
          Something went wrong
        </h1>
        <p>The page could not be shown. The order service or the job queue may be unavailable.</p>
        {error.digest ? <p className="muted">Reference: {error.digest}</p> : null}
      </div>
      <p>
        <button type="button" onClick={() => reset()}>
          Try again
        </button>
      </p>
    </section>
  );
}
