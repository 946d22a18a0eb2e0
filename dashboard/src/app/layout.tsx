import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import './globals.css';

export const metadata: Metadata = {
  // Each page names itself (`Rejected origins · Corsight`): tabs and history tell the pages apart.
  title: { default: 'Corsight', template: '%s · Corsight' },
  description: 'What browsers decide about your API’s cross-origin requests.',
};

export default function RootLayout({ children }: { readonly children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
