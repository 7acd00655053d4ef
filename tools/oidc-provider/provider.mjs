// A local OpenID provider for the pages' sign-in (oidc-provider, OpenID Certified): authorization code with PKCE only,
// one public client (the app), and a sign-in form that takes any name (its development interactions): the demo's
// people (lea, camille, karim, claire, sophie, malik, ...) get their names and addresses, anyone else a made-up one.
// Never for production: on Azure the pages sign in with Entra External ID.
//   OIDC_REDIRECT_URIS=http://localhost:7071/signin-oidc node tools/oidc-provider/provider.mjs [port]   (default 5100)
import Provider from 'oidc-provider';

const port = Number(process.argv[2] ?? 5100);
const issuer = process.env.OIDC_ISSUER ?? `http://localhost:${port}`;
const redirectUris = (process.env.OIDC_REDIRECT_URIS ?? 'http://localhost:7071/signin-oidc').split(',');
const people = {
  lea: { name: 'Léa Martin', email: 'lea@konexio.example' },
  camille: { name: 'Camille Durand', email: 'camille@konexio.example' },
  karim: { name: 'Karim Haddad', email: 'karim@example.org' },
  claire: { name: 'Claire Petit', email: 'claire@example.org' },
  sophie: { name: 'Sophie Bernard', email: 'sophie@example.org' },
  malik: { name: 'Malik Diallo', email: 'malik@example.org' },
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'matching-local',
    token_endpoint_auth_method: 'none',
    redirect_uris: redirectUris,
    post_logout_redirect_uris: redirectUris.map(u => new URL('/', u).toString()),
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false, // the name and email in the ID token, as Entra External ID puts them
  async findAccount(ctx, id) {
    const person = people[id] ?? { name: id, email: `${id}@example.org` };
    return { accountId: id, async claims() { return { sub: id, name: person.name, email: person.email, email_verified: true }; } };
  },
  // The app is the provider's own client: no consent screen.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  cookies: { keys: ['matching-local-provider-only'] },
  ttl: { Session: 8 * 3600, Interaction: 3600, Grant: 8 * 3600, AuthorizationCode: 60, IdToken: 3600, AccessToken: 3600 },
});
provider.on('server_error', (ctx, err) => console.error('server error', err));
provider.listen(port, () => console.log(`OpenID provider ${issuer} (sign in with any name: lea, camille, karim, ...)`));
