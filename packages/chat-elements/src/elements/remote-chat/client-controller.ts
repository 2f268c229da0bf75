import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { CLOSE_CODES } from '@remote-chat/protocol';
import type { TokenSource } from '../../client/bearer-token.js';
import { RcConnectionChangeEvent, type ConnectionStatus } from '../../client/connection-status.js';
import { RemoteChatClient } from '../../client/remote-chat-client.js';
import { RcTokenExpiredEvent } from '../../events/token-expired-event.js';

/** What the host says about the client it wants. */
export interface ClientSettings {
  /** A client to use as it is. */
  client: RemoteChatClient | undefined;
  /** Otherwise the BFF to make one for; the page's origin when undefined. */
  bffUrl: string | undefined;
  /** And the token it signs in with; the session cookie when undefined. */
  token: TokenSource | undefined;
}

export interface ClientCallbacks {
  /** The client changed: another one, or none (none yet, or the host left the page). */
  onClient(client: RemoteChatClient | undefined): void;
  /** The client's token lapsed. */
  onTokenExpired(event: RcTokenExpiredEvent): void;
  /** The BFF closed the stream as unauthorized: the session ended. */
  onSessionEnded(): void;
  /** The host page gave the client a new token: its answer to a lapse, or to being signed out. */
  onTokenReplaced(): void;
}

/**
 * The client `<remote-chat>` talks through: the one it was given, or one of its own made from
 * `bff-url` and the token (closed when it is replaced or the host leaves the page), or none while
 * a page of another origin has not given it a token yet. Follows the client's connection status
 * and token lapses.
 */
export class ClientController implements ReactiveController {
  client: RemoteChatClient | undefined;
  /** The client's connection status. */
  connection: ConnectionStatus = 'closed';
  /** Why the token lapsed (`rc-token-expired`); empty while it works. */
  tokenLapse = '';
  private own: RemoteChatClient | undefined;
  /** The client whose events are listened to. */
  private watched: RemoteChatClient | undefined;
  private connected = false;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly settings: () => ClientSettings,
    private readonly callbacks: ClientCallbacks,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.connected = true;
    this.update();
  }

  hostDisconnected(): void {
    this.connected = false;
    this.watch(undefined);
    this.own?.close();
    this.own = undefined;
    this.client = undefined;
    this.callbacks.onClient(undefined);
  }

  /** Whether the host waits for the page to sign it in: the BFF is on another origin, and there is no client. */
  get waitingForToken(): boolean {
    return !this.client && this.connected && isCrossOrigin(this.settings().bffUrl);
  }

  /** Settles on the client the settings ask for; call it when they change. */
  update(): void {
    if (!this.connected) return;
    const { client: given, bffUrl, token } = this.settings();
    let client = given;
    if (!client) {
      if (!token && isCrossOrigin(bffUrl)) {
        // The BFF shares no cookies with other origins: wait for the host page's token.
        this.own?.close();
        this.own = undefined;
      } else if (!this.own || (bffUrl && this.own.bffUrl !== bffUrl.replace(/\/+$/, ''))) {
        this.own?.close();
        this.own = new RemoteChatClient({ ...(bffUrl && { bffUrl }), ...(token && { token }) });
      } else if (token !== this.own.token) {
        this.own.setToken(token);
        this.callbacks.onTokenReplaced();
      }
      client = this.own;
    } else if (this.own) {
      this.own.close();
      this.own = undefined;
    }
    if (client === this.client) return;
    this.client = client;
    this.watch(client);
    this.callbacks.onClient(client);
  }

  /** After a lapse: forgets it and reconnects the stream. */
  retry(): void {
    this.tokenLapse = '';
    this.client?.reconnect();
    this.host.requestUpdate();
  }

  private watch(client: RemoteChatClient | undefined): void {
    this.watched?.removeEventListener(RcConnectionChangeEvent.eventName, this.onConnectionChange);
    this.watched?.removeEventListener(RcTokenExpiredEvent.eventName, this.onTokenExpired);
    this.watched = client;
    client?.addEventListener(RcConnectionChangeEvent.eventName, this.onConnectionChange);
    client?.addEventListener(RcTokenExpiredEvent.eventName, this.onTokenExpired);
    this.connection = client?.connectionStatus ?? 'closed';
    this.tokenLapse = '';
    this.host.requestUpdate();
  }

  private readonly onTokenExpired = (event: Event): void => {
    if (!(event instanceof RcTokenExpiredEvent)) return;
    this.tokenLapse = event.detail.message;
    this.host.requestUpdate();
    this.callbacks.onTokenExpired(event);
  };

  private readonly onConnectionChange = (event: Event): void => {
    if (!(event instanceof RcConnectionChangeEvent)) return;
    this.connection = event.detail.status;
    this.host.requestUpdate();
    if (event.detail.closeCode === CLOSE_CODES.unauthorized) this.callbacks.onSessionEnded();
  };
}

/** Whether the BFF is on another origin than the page, where only a token can sign in. */
function isCrossOrigin(bffUrl: string | undefined): boolean {
  if (!bffUrl || !globalThis.location) return false;
  try {
    return new URL(bffUrl, location.href).origin !== location.origin;
  } catch {
    return false;
  }
}
