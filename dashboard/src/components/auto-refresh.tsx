'use client';
// Re-renders the server components (fresh data, same URL) every REFRESH_SECONDS while the view asks for
// it; pauses while the tab is hidden.
import { useRouter } from 'next/navigation';
import { useEffect } from 'react';
import { REFRESH_SECONDS } from '../lib/view-params';

export function AutoRefresh({ enabled }: { readonly enabled: boolean }) {
  const router = useRouter();
  useEffect(() => {
    if (!enabled) return undefined;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') router.refresh();
    }, REFRESH_SECONDS * 1000);
    return () => {
      clearInterval(timer);
    };
  }, [enabled, router]);
  return null;
}
