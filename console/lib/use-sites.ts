// The account's sites for the settings screen. A change is sent as a PATCH and the server's answer
// replaces the site held; a refusal rejects, so the form that sent it shows the reason beside it.
import type { SiteView } from '../../protocol/index.ts';
import type { Api, SiteChange } from './api.ts';
import { useResource, type Resource } from './use-resource.ts';

export interface Sites extends Resource<SiteView[]> {
  update(siteId: string, change: SiteChange): Promise<SiteView>;
  /** The new identity secret; it is held nowhere but in the answer, so the caller shows it now or never. */
  rotateIdentitySecret(siteId: string): Promise<string>;
}

export function useSites(api: Api): Sites {
  const sites = useResource(api.sites);
  const replace = (site: SiteView) => sites.change((list) => list.map((s) => (s.id === site.id ? site : s)));
  return {
    ...sites,
    update: async (siteId, change) => {
      const site = await api.updateSite(siteId, change);
      replace(site);
      return site;
    },
    rotateIdentitySecret: async (siteId) => {
      const { site, identitySecret } = await api.rotateIdentitySecret(siteId);
      replace(site);
      return identitySecret;
    },
  };
}
