import Link from 'next/link';

export default function NotFound() {
  return (
    <section className="card" aria-labelledby="nf-heading">
      <h1 id="nf-heading">Not found</h1>
      <p>There is no such page or order.</p>
      <p>
        <Link href="/">Back to the orders</Link>
      </p>
    </section>
  );
}
