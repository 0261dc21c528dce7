// Identity verification, the site owner's half: your backend signs the id of the user who is signed
// in, with the site's identity secret (shown once by POST /api/v1/sites or
// POST /api/v1/sites/:id/identity-secret; keep it on the server, never in the page), and the page
// passes the signature to the widget:
//
//   <script src="https://PARLEY/widget.js" data-site="SITE_KEY"
//           data-user-id="42" data-user-hash="<userHash(secret, '42')>"
//           data-user-name="Ada Lovelace" data-user-email="ada@example.com" async></script>
//
// or, for a page that signs in without reloading, before or after the script loads:
//
//   window.Parley = window.Parley || function () { (Parley.q = Parley.q || []).push(arguments); };
//   Parley('identify', { userId: '42', userHash: '…', name: 'Ada Lovelace', email: 'ada@example.com' });
//
// Parley then keeps one visitor per user id, on every device, with that name and e-mail. A wrong
// hash is refused (401 AUTH_INVALID); a site with `requireIdentity` shows no widget to anyone else.
import { createHmac } from 'node:crypto';

/** hex(HMAC-SHA256(identitySecret, userId)): what data-user-hash carries. */
export function userHash(identitySecret: string, userId: string): string {
  return createHmac('sha256', identitySecret).update(userId).digest('hex');
}
