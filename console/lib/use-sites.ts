// The account's sites for the settings screen. A change is sent as a PATCH and the server's answer
// replaces the site held; a refusal rejects, so the form that sent it shows the reason beside it.
import type { SiteView } from '../../protocol/index.ts';
import type { Api, SiteChange } from './api.ts';
import { useResource, type Resource } from './use-resource.ts';

export interface Sites extends Resource<SiteView[]> {
  update(siteId: string, change: SiteChange): Promise<SiteView>;
}

export function useSites(api: Api): Sites {
  const sites = useResource(api.sites);
  return {
    ...sites,
    update: async (siteId, change) => {
      const site = await api.updateSite(siteId, change);
      sites.change((list) => list.map((s) => (s.id === site.id ? site : s)));
      return site;
    },
  };
}
