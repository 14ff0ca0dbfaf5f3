// The browser side of mgt-todo.test.ts (bundled by the test with vite, never run by Node): the Graph
// Toolkit's <mgt-todo>, unchanged, pointed at Taskdrop by a provider subclass — the way
// docs/https-and-sdks.md ("Graph Toolkit") shows.
import { Providers, ProviderState, SimpleProvider, type GraphEndpoint } from "@microsoft/mgt-element";
import { registerMgtTodoComponent } from "@microsoft/mgt-components/dist/es6/components/mgt-todo/mgt-todo.js";

declare global {
  interface Window {
    /** Set by the test before the page loads: where Taskdrop is, and the token to send. */
    taskdrop: { baseURL: string; token: string };
  }
}

const { baseURL, token } = window.taskdrop;

/**
 * IProvider's `baseURL` setter accepts only Microsoft's clouds (validateBaseURL), and the Graph client
 * attaches the token only to Graph hosts or `customHosts`. Both are read through these getters when
 * SimpleProvider's constructor builds its client — before a subclass's own fields exist — so they
 * return values known beforehand, not instance fields.
 */
class TaskdropProvider extends SimpleProvider {
  override get baseURL(): GraphEndpoint {
    return baseURL as GraphEndpoint;
  }
  override get customHosts(): string[] {
    return [new URL(baseURL).hostname];
  }
}

const provider = new TaskdropProvider(
  async () => token,
  async () => undefined,
  async () => undefined,
);
Providers.globalProvider = provider;
provider.setState(ProviderState.SignedIn);
registerMgtTodoComponent();
document.body.append(document.createElement("mgt-todo"));
