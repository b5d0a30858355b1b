import { Api, ApiError, type LiveStatus } from '../graphql/api.ts';
import { ViewerDocument, type ViewerResult } from '../graphql/generated.ts';

const STORAGE_KEY = 'hookyard.apiKey';
/** How often a quiet page asks who it is: a key revoked elsewhere is noticed even without clicks. */
const HEARTBEAT_MS = 60_000;

export type Viewer = ViewerResult['viewer'];
type Status = 'starting' | 'signed-out' | 'checking' | 'signed-in';

/**
 * Who is signed in: the API key (kept in localStorage), the viewer it stands for and
 * the Api bound to it. A key the server refuses later (revoked) ends the session with
 * a notice for the sign-in form.
 */
export class Session {
  status = $state<Status>('starting');
  viewer = $state<Viewer | null>(null);
  /** Shown on the sign-in form: why the user is there (revoked key, signed out). */
  notice = $state<string | null>(null);
  error = $state<string | null>(null);
  /** Whether the live data on screen is current ('none' on a page without any). */
  live = $state<LiveStatus>('none');
  #api = $state.raw<Api | null>(null);
  #heartbeat: ReturnType<typeof setInterval> | null = null;

  get api(): Api {
    if (!this.#api) throw new Error('not signed in');
    return this.#api;
  }

  /** ADMIN keys change things; VIEWER keys only read and watch. */
  get canEdit(): boolean {
    return this.viewer?.role === 'ADMIN';
  }

  /** Restores the key saved by an earlier visit; follows sign-out in other tabs. */
  async start(): Promise<void> {
    window.addEventListener('storage', (event) => {
      if (event.key === STORAGE_KEY && !event.newValue && this.status === 'signed-in') this.signOut('You signed out in another tab.');
    });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') void this.refresh();
    });
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved) await this.signIn(saved);
    else this.status = 'signed-out';
  }

  async signIn(rawToken: string): Promise<boolean> {
    const token = rawToken.trim().replace(/^bearer\s+/i, '');
    if (!token) {
      this.error = 'Paste an API key.';
      return false;
    }
    this.status = 'checking';
    this.error = null;
    const api: Api = new Api({
      token,
      onUnauthorized: () => this.#refused(api),
      onLiveStatus: (status) => {
        if (this.#api === api) this.live = status;
      },
    });
    try {
      const { viewer } = await api.query(ViewerDocument, {});
      this.#api?.dispose();
      this.#api = api;
      this.viewer = viewer;
      this.notice = null;
      this.status = 'signed-in';
      localStorage.setItem(STORAGE_KEY, token);
      if (this.#heartbeat) clearInterval(this.#heartbeat);
      this.#heartbeat = setInterval(() => void this.refresh(), HEARTBEAT_MS);
      return true;
    } catch (error) {
      api.dispose();
      const unauthorized = error instanceof ApiError && error.unauthorized;
      if (unauthorized) localStorage.removeItem(STORAGE_KEY);
      this.error = unauthorized ? 'Hookyard does not know this API key, or it was revoked.' : (error as Error).message;
      this.status = 'signed-out';
      return false;
    }
  }

  /** Asks the server again who this key is; a refused key ends the session (see #refused). */
  async refresh(): Promise<void> {
    const api = this.#api;
    if (!api) return;
    try {
      const { viewer } = await api.query(ViewerDocument, {});
      if (this.#api === api) this.viewer = viewer;
    } catch {
      // A network blip keeps the session; a 401 has already signed out.
    }
  }

  /** Forgets the key in this browser. */
  signOut(notice: string | null = null): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    localStorage.removeItem(STORAGE_KEY);
    this.#api?.dispose();
    this.#api = null;
    this.live = 'none';
    this.viewer = null;
    this.error = null;
    this.notice = notice;
    this.status = 'signed-out';
  }

  /** Applies a new tenant state (after the global switch changed) to the header and banner. */
  setTenant(tenant: Viewer['tenant']): void {
    if (this.viewer) this.viewer = { ...this.viewer, tenant };
  }

  /** Only the key in use ends the session; a refusal during sign-in is reported by signIn itself. */
  #refused(api: Api): void {
    if (this.#api === api) this.signOut('Your API key has expired or was revoked. Sign in with a valid key.');
  }
}

export const session = new Session();
