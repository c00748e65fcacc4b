import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';

import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Orders', template: '%s · Orders' },
  description: 'Reference frontend: places orders through the gRPC order service and queues fulfilment jobs.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="site-header">
          <Link href="/" className="brand">
            Orders
          </Link>
          <span className="muted">reference app</span>
        </header>
        <main id="main">{children}</main>
      </body>
    </html>
  );
}
