'use client';

// Replaces the root layout when the layout itself fails.
export default function GlobalError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: 'system-ui, sans-serif', margin: '2rem' }}>
        <div role="alert">
          <h1>Something went wrong</h1>
          <p>The page could not be shown. Please try again in a moment.</p>
          {error.digest ? <p>Reference: {error.digest}</p> : null}
        </div>
        <button type="button" onClick={() => reset()}>
          Try again
        </button>
      </body>
    </html>
  );
}
