// Who is calling, as established from a verified token.
import { errors } from "../domain/errors.js";

export type Principal =
  | { kind: "user"; oid: string; upn: string; scopes: ReadonlySet<string> }
  | { kind: "app"; appId: string; roles: ReadonlySet<string> };

export type Access = "read" | "write";

/** Throws 403 unless the token's scopes (delegated) or roles (app-only) allow the access. */
export function requireAccess(p: Principal, access: Access): void {
  const ok =
    p.kind === "user"
      ? p.scopes.has("Tasks.ReadWrite") || (access === "read" && p.scopes.has("Tasks.Read"))
      : p.roles.has("Tasks.ReadWrite.All") || (access === "read" && p.roles.has("Tasks.Read.All"));
  if (!ok) {
    const needed = p.kind === "user" ? (access === "read" ? "Tasks.Read or Tasks.ReadWrite" : "Tasks.ReadWrite") : access === "read" ? "Tasks.Read.All or Tasks.ReadWrite.All" : "Tasks.ReadWrite.All";
    throw errors.accessDenied(`The token lacks the permission this request needs (${needed}).`);
  }
}
