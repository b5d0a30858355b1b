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

/** The question asked before each action, with an optional reason for the webhook's history. */
export const ACTION_TEXT: Record<WebhookAction, { title: (name: string) => string; message: string; label: string; done: string }> = {
  pause: {
    title: (name) => `Pause webhook ${name}?`,
    message: 'Its deliveries are held, not lost, and go out when it is resumed.',
    label: 'Pause webhook',
    done: 'paused',
  },
  resume: {
    title: (name) => `Resume webhook ${name}?`,
    message: 'Deliveries held while it was paused or disabled go out now.',
    label: 'Resume webhook',
    done: 'resumed',
  },
  delete: {
    title: (name) => `Delete webhook ${name}?`,
    message: 'It stops for good: its open deliveries are cancelled and it cannot be restored. Its history and delivery log stay.',
    label: 'Delete webhook',
    done: 'deleted',
  },
};
