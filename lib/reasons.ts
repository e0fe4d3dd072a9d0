/**
 * The 18 reasons Treble gives for a failed deployment, with what a campaign manager should do.
 * Meanings follow Treble's documentation; the corrective actions are ours.
 */
export const REASON_CLASSES = ["retry_later", "fix_then_retry", "do_not_contact", "no_action"] as const;
export type ReasonClass = (typeof REASON_CLASSES)[number];

export const REASON_CLASS_LABELS: Record<ReasonClass, string> = {
  retry_later: "Retry later",
  fix_then_retry: "Fix, then retry",
  do_not_contact: "Do not contact",
  no_action: "No action",
};

export interface ReasonInfo {
  code: string;
  label: string;
  meaning: string;
  reasonClass: ReasonClass;
  action: string;
}

const catalogue = [
  {
    code: "FAILURE",
    label: "Failed after retries",
    meaning: "The deployment failed after 3 retries.",
    reasonClass: "retry_later",
    action:
      "Usually transient. Retry the affected contacts later; if one line or template keeps failing, check the line's status in Treble before retrying again.",
  },
  {
    code: "FAILURE_BY_HUMAN_HANDOVER",
    label: "Contact is with an agent",
    meaning: "The contact is talking to a human agent, so the template was not sent.",
    reasonClass: "retry_later",
    action: "Wait until the agent conversation is closed, then retry these contacts; do not interrupt live conversations.",
  },
  {
    code: "REVOKED",
    label: "Deployment cancelled",
    meaning: "The deployment was cancelled.",
    reasonClass: "no_action",
    action: "Nothing to fix: someone cancelled the deployment. Re-deploy only if the cancellation was a mistake.",
  },
  {
    code: "INVALID_PHONE",
    label: "Invalid phone",
    meaning: "The phone number is not valid or does not have WhatsApp.",
    reasonClass: "do_not_contact",
    action: "Correct the number at its source (CRM, import file) or remove the contact; add it to the suppression list until fixed.",
  },
  {
    code: "FAILURE_BY_RATE_LIMIT",
    label: "WhatsApp rate limit",
    meaning: "The message would exceed the sending rate WhatsApp allows.",
    reasonClass: "retry_later",
    action: "Slow the campaign down (smaller batches, spread over time) and retry the affected contacts later.",
  },
  {
    code: "COMPANY_RATE_LIMIT",
    label: "Company session limit",
    meaning: "The session limit requested by the company was exceeded.",
    reasonClass: "retry_later",
    action: "Retry after the company's session window resets, or ask your Treble admin to raise the company session limit.",
  },
  {
    code: "FAILURE_BY_TIER_CAPACITY",
    label: "No line capacity",
    meaning: "No line had capacity left in its messaging tier to make the deployment.",
    reasonClass: "retry_later",
    action: "Retry when the tier's 24 h window frees capacity, add another line to the campaign, or raise the line's tier with Meta.",
  },
  {
    code: "MISSING_PARAMETER",
    label: "Missing template variable",
    meaning: "A variable of the HSM template was not filled.",
    reasonClass: "fix_then_retry",
    action: "Fill the missing variable in the contact data (or give it a default), then retry the affected contacts.",
  },
  {
    code: "PARAMETER_MISMATCH",
    label: "Variable count mismatch",
    meaning: "The number of variables sent does not match the number the HSM template expects.",
    reasonClass: "fix_then_retry",
    action: "Align the campaign's variable mapping with the template's placeholders, then retry the affected contacts.",
  },
  {
    code: "FAILURE_BY_BLOCKED_CONTACT",
    label: "Contact blocked",
    meaning: "The contact has been blocked by the company.",
    reasonClass: "do_not_contact",
    action: "Do not send to this contact; remove it from the campaign audience and keep it on the suppression list.",
  },
  {
    code: "FAILURE_BY_OPTOUT_CONTACT",
    label: "Contact opted out",
    meaning: "The contact opted out of communications from the company.",
    reasonClass: "do_not_contact",
    action: "Respect the opt-out: suppress the contact in every campaign and in your CRM.",
  },
  {
    code: "INVALID_POLL",
    label: "Conversation deleted or inactive",
    meaning: "The deployment tried to send a conversation (poll) that was deleted or deactivated.",
    reasonClass: "fix_then_retry",
    action: "Re-activate the conversation or point the campaign at an active one, then retry the affected contacts.",
  },
  {
    code: "CHARACTER_LIMIT_HEADER",
    label: "Header too long",
    meaning: "The HSM template header exceeds WhatsApp's character limit.",
    reasonClass: "fix_then_retry",
    action: "Shorten the header (check the values substituted into it), resubmit the template if needed, then retry.",
  },
  {
    code: "CHARACTER_LIMIT_BODY",
    label: "Body too long",
    meaning: "The HSM template body exceeds WhatsApp's character limit.",
    reasonClass: "fix_then_retry",
    action: "Shorten the body or the variable values that fill it, then retry the affected contacts.",
  },
  {
    code: "FAILURE_BY_DISABLED_HSM",
    label: "Template disabled by Meta",
    meaning: "Meta has disabled the HSM template that was sent.",
    reasonClass: "fix_then_retry",
    action: "Edit the template and resubmit it to Meta (or switch to an approved one), then retry the affected contacts.",
  },
  {
    code: "FAILURE_BY_SPAM_RATE_LIMIT",
    label: "Line restricted for spam",
    meaning: "WhatsApp restricted the line for spamming; it cannot deploy for now.",
    reasonClass: "retry_later",
    action: "Pause sends from this line, check its quality rating in WhatsApp Manager, and move the campaign to another line until the restriction lifts.",
  },
  {
    code: "FAILURE_BY_EXPERIMENT_NUMBER",
    label: "WhatsApp experiment number",
    meaning: "WhatsApp is using this number for internal experiments, so the deployment could not be made.",
    reasonClass: "do_not_contact",
    action: "Nothing can be delivered to this number through templates for now; suppress it rather than retrying.",
  },
  {
    code: "FAILURE_BY_UNABLE_TO_CONTACT",
    label: "Unable to receive",
    meaning: "The contact cannot receive the message (no WhatsApp, outdated app, etc.).",
    reasonClass: "do_not_contact",
    action: "Suppress the contact for WhatsApp and reach it through another channel (SMS, e-mail).",
  },
] as const satisfies readonly ReasonInfo[];

export type KnownReason = (typeof catalogue)[number]["code"];

export const REASONS: readonly ReasonInfo[] = catalogue;

const byCode = new Map<string, ReasonInfo>(catalogue.map((r) => [r.code, r]));

/** Catalogue entry for a reason code (exact, canonical upper case), or undefined if unrecognised. */
export function reasonInfo(code: string): ReasonInfo | undefined {
  return byCode.get(code);
}

/**
 * Canonical form of a reason as received: known reasons match case-insensitively and are stored
 * upper case; anything else is kept verbatim (trimmed) and flagged unrecognised.
 */
export function canonicalReason(raw: string): { code: string; known: boolean } {
  const trimmed = raw.trim();
  const upper = trimmed.toUpperCase();
  return byCode.has(upper) ? { code: upper, known: true } : { code: trimmed, known: false };
}
