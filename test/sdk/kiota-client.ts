// In an SDK child process: Microsoft's full Kiota-generated SDK (@microsoft/msgraph-sdk with the
// fluent users API of @microsoft/msgraph-sdk-users), unchanged, set up as the README says: localhost
// as an allowed host, and baseUrl set before the client is made.
import type { TokenCredential } from "@azure/core-auth";
import { AzureIdentityAuthenticationProvider } from "@microsoft/kiota-authentication-azure";
import { createGraphServiceClient, GraphRequestAdapter, type GraphServiceClient } from "@microsoft/msgraph-sdk";
import "@microsoft/msgraph-sdk-users";

type HttpClient = ConstructorParameters<typeof GraphRequestAdapter>[3];

/** A request adapter for BASE with TOKEN, localhost allowed, baseUrl set; `httpClient` when the caller needs its own fetch. */
export function kiotaAdapter(httpClient?: HttpClient): GraphRequestAdapter {
  const { BASE, TOKEN } = process.env as Record<string, string>;
  const credential: TokenCredential = { getToken: async () => ({ token: TOKEN!, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const authProvider = new AzureIdentityAuthenticationProvider(credential, ["Tasks.ReadWrite"], undefined, new Set(["localhost"]));
  const requestAdapter = new GraphRequestAdapter(authProvider, undefined, undefined, httpClient);
  requestAdapter.baseUrl = `${BASE}/v1.0`;
  return requestAdapter;
}

/** The full Kiota SDK's client for BASE with TOKEN, localhost allowed, baseUrl set before use. */
export function kiotaClient(): GraphServiceClient {
  return createGraphServiceClient(kiotaAdapter());
}
