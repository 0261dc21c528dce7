// The account's sites for the settings screen. A change is sent as a PATCH and the server's answer
// replaces the site held; a refusal rejects, so the form that sent it shows the reason beside it.
import { useEffect, useState } from 'preact/hooks';
import type { SiteView } from '../../protocol/index.ts';
import { messageOf, type Api, type SiteChange } from './api.ts';

export interface Sites {
  sites: SiteView[] | null;
  error: string | null;
  reload(): void;
  update(siteId: string, change: SiteChange): Promise<SiteView>;
}

export function useSites(api: Api): Sites {
  const [sites, setSites] = useState<SiteView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    setError(null);
    api.sites().then(
      (list) => current && setSites(list),
      (err: unknown) => current && setError(messageOf(err)),
    );
    return () => {
      current = false;
    };
  }, [attempt]);

  return {
    sites,
    error,
    reload: () => setAttempt((n) => n + 1),
    update: async (siteId, change) => {
      const site = await api.updateSite(siteId, change);
      setSites((list) => list?.map((s) => (s.id === site.id ? site : s)) ?? [site]);
      return site;
    },
  };
}
