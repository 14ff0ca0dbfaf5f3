// In an SDK child process: Microsoft's full Kiota-generated SDK (@microsoft/msgraph-sdk with the
// fluent users API of @microsoft/msgraph-sdk-users), unchanged, set up as the README says: localhost
// as an allowed host, and baseUrl set before the client is made.
import type { TokenCredential } from "@azure/core-auth";
import { AzureIdentityAuthenticationProvider } from "@microsoft/kiota-authentication-azure";
import { createGraphServiceClient, GraphRequestAdapter, type GraphServiceClient } from "@microsoft/msgraph-sdk";
import "@microsoft/msgraph-sdk-users";

/** The full Kiota SDK's client for BASE with TOKEN, localhost allowed, baseUrl set before use. */
export function kiotaClient(): GraphServiceClient {
  const { BASE, TOKEN } = process.env as Record<string, string>;
  const credential: TokenCredential = { getToken: async () => ({ token: TOKEN!, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const authProvider = new AzureIdentityAuthenticationProvider(credential, ["Tasks.ReadWrite"], undefined, new Set(["localhost"]));
  const requestAdapter = new GraphRequestAdapter(authProvider);
  requestAdapter.baseUrl = `${BASE}/v1.0`;
  return createGraphServiceClient(requestAdapter);
}
