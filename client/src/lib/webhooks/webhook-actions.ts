import type { Api } from '../graphql/api.ts';
import { DeleteWebhookDocument, PauseWebhookDocument, ResumeWebhookDocument, type WebhookFieldsFragment } from '../graphql/generated.ts';
import { mutationError } from '../forms/mutation-result.ts';

export type WebhookAction = 'pause' | 'resume' | 'delete';

/** Pause, resume or delete one webhook; the reason goes into its history. */
export async function runWebhookAction(api: Api, action: WebhookAction, id: string, reason?: string): Promise<{ webhook: WebhookFieldsFragment } | { error: string }> {
  const input = { id, reason: reason || null };
  try {
    const result =
      action === 'pause'
        ? (await api.mutate(PauseWebhookDocument, { input })).pauseWebhook
        : action === 'resume'
          ? (await api.mutate(ResumeWebhookDocument, { input })).resumeWebhook
          : (await api.mutate(DeleteWebhookDocument, { input })).deleteWebhook;
    const error = mutationError(result);
    if (error) return { error: error.message };
    if (result.__typename !== 'WebhookPayload') return { error: `unexpected answer ${result.__typename}` };
    return { webhook: result.webhook };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
