// A real OpenID Connect provider for the sign-in test: panva's oidc-provider (npm), which
// `scripts/test` installs into the folder named by RAPPORT_OIDC_PROVIDER. One client, Rapport,
// with a secret and PKCE; its development sign-in form takes any login name, and whoever signs in
// as NAME has the verified email NAME.
//
//   node provider.mjs PORT REDIRECT_URI CLIENT_SECRET
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [port, redirectUri, clientSecret] = process.argv.slice(2);
const folder = process.env.RAPPORT_OIDC_PROVIDER;
if (!folder || !port || !redirectUri || !clientSecret) {
  console.error('usage: RAPPORT_OIDC_PROVIDER=FOLDER node provider.mjs PORT REDIRECT_URI CLIENT_SECRET');
  process.exit(2);
}
const { default: Provider } = await import(
  pathToFileURL(join(folder, 'node_modules', 'oidc-provider', 'lib', 'index.js')).href
);

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: 'rapport',
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id, email: id, email_verified: true }; } };
  },
  cookies: { keys: ['rapport-test-only'] },
});
provider.listen(Number(port), '127.0.0.1', () => console.log(`ready ${issuer}`));
