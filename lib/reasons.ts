/**
 * The 18 reasons Treble gives for a failed deployment, with what a campaign manager should do,
 * when a retry can work, and the Meta error code most likely behind each. Meanings follow
 * Treble's documentation; actions, retry hints and Meta rules (messaging limits, template pauses,
 * spam restrictions) are ours, from Meta's public documentation. Treble does not publish how its
 * reasons map to Meta's codes, so those are marked as likely everywhere they are shown.
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
  /** When retrying the affected contacts can work. */
  retry: string;
  /** Meta (WhatsApp Cloud API) error codes that likely lead to this reason; empty when none is likely. */
  likelyMetaCodes: readonly number[];
}

const catalogue = [
  {
    code: "FAILURE",
    label: "Failed after retries",
    meaning: "The deployment failed after 3 retries.",
    reasonClass: "retry_later",
    action:
      "Usually transient. Retry the affected contacts later; if one line or template keeps failing, check the line's status in Treble before retrying again.",
    retry: "Later, usually within hours: Treble has already retried 3 times, so retry once, not in a loop.",
    likelyMetaCodes: [],
  },
  {
    code: "FAILURE_BY_HUMAN_HANDOVER",
    label: "Contact is with an agent",
    meaning: "The contact is talking to a human agent, so the template was not sent.",
    reasonClass: "retry_later",
    action: "Wait until the agent conversation is closed, then retry these contacts; do not interrupt live conversations.",
    retry: "After the agent conversation is closed.",
    likelyMetaCodes: [],
  },
  {
    code: "REVOKED",
    label: "Deployment cancelled",
    meaning: "The deployment was cancelled.",
    reasonClass: "no_action",
    action: "Nothing to fix: someone cancelled the deployment. Re-deploy only if the cancellation was a mistake.",
    retry: "Only if the cancellation was a mistake: re-deploy then.",
    likelyMetaCodes: [],
  },
  {
    code: "INVALID_PHONE",
    label: "Invalid phone",
    meaning: "The phone number is not valid or does not have WhatsApp.",
    reasonClass: "do_not_contact",
    action: "Correct the number at its source (CRM, import file) or remove the contact; add it to the suppression list until fixed.",
    retry: "Never with this number; only once it has been corrected.",
    likelyMetaCodes: [131026],
  },
  {
    code: "FAILURE_BY_RATE_LIMIT",
    label: "WhatsApp rate limit",
    meaning: "The message would exceed the sending rate WhatsApp allows.",
    reasonClass: "retry_later",
    action:
      "Slow the campaign down (smaller batches, spread over time) and retry the affected contacts later. The 24 h limit is the business portfolio's, shared by all its numbers, so moving the campaign to another number of the same portfolio does not help.",
    retry: "After the rolling 24 h window frees capacity (or at once, at a slower pace, for throughput limits).",
    likelyMetaCodes: [],
  },
  {
    code: "COMPANY_RATE_LIMIT",
    label: "Company session limit",
    meaning: "The session limit requested by the company was exceeded.",
    reasonClass: "retry_later",
    action: "Retry after the company's session window resets, or ask your Treble admin to raise the company session limit.",
    retry: "After the company's session window resets, or at once if the limit is raised.",
    likelyMetaCodes: [],
  },
  {
    code: "FAILURE_BY_TIER_CAPACITY",
    label: "No line capacity",
    meaning: "No line had capacity left in its messaging limit to make the deployment.",
    reasonClass: "retry_later",
    action:
      "Since 7 October 2025 Meta sets the messaging limit per business portfolio, not per number: 250, then 2,000, 10,000, 100,000 or unlimited unique contacts in a moving 24 h window, shared by every number of the portfolio. Adding a line in the same portfolio therefore adds no capacity. Spread the campaign over more than 24 h, retry when the window frees capacity, or grow the portfolio's limit (it rises with sustained volume and good quality).",
    retry: "After the rolling 24 h window: contacts first messaged more than 24 h ago stop counting against the limit.",
    likelyMetaCodes: [],
  },
  {
    code: "MISSING_PARAMETER",
    label: "Missing template variable",
    meaning: "A variable of the HSM template was not filled.",
    reasonClass: "fix_then_retry",
    action: "Fill the missing variable in the contact data (or give it a default), then retry the affected contacts.",
    retry: "After the missing variable is filled (or given a default).",
    likelyMetaCodes: [131008],
  },
  {
    code: "PARAMETER_MISMATCH",
    label: "Variable count mismatch",
    meaning: "The number of variables sent does not match the number the HSM template expects.",
    reasonClass: "fix_then_retry",
    action: "Align the campaign's variable mapping with the template's placeholders, then retry the affected contacts.",
    retry: "After the campaign's variables match the template's placeholders.",
    likelyMetaCodes: [132000],
  },
  {
    code: "FAILURE_BY_BLOCKED_CONTACT",
    label: "Contact blocked",
    meaning: "The contact has been blocked by the company.",
    reasonClass: "do_not_contact",
    action: "Do not send to this contact; remove it from the campaign audience and keep it on the suppression list.",
    retry: "Never, unless the company unblocks the contact.",
    likelyMetaCodes: [],
  },
  {
    code: "FAILURE_BY_OPTOUT_CONTACT",
    label: "Contact opted out",
    meaning: "The contact opted out of communications from the company.",
    reasonClass: "do_not_contact",
    action: "Respect the opt-out: suppress the contact in every campaign and in your CRM.",
    retry: "Never, unless the contact opts in again.",
    likelyMetaCodes: [],
  },
  {
    code: "INVALID_POLL",
    label: "Conversation deleted or inactive",
    meaning: "The deployment tried to send a conversation (poll) that was deleted or deactivated.",
    reasonClass: "fix_then_retry",
    action: "Re-activate the conversation or point the campaign at an active one, then retry the affected contacts.",
    retry: "After the conversation is re-activated or the campaign points at an active one.",
    likelyMetaCodes: [],
  },
  {
    code: "CHARACTER_LIMIT_HEADER",
    label: "Header too long",
    meaning: "The HSM template header exceeds WhatsApp's character limit.",
    reasonClass: "fix_then_retry",
    action: "Shorten the header (check the values substituted into it), resubmit the template if needed, then retry.",
    retry: "After the header (or the values substituted into it) is shortened.",
    likelyMetaCodes: [132005],
  },
  {
    code: "CHARACTER_LIMIT_BODY",
    label: "Body too long",
    meaning: "The HSM template body exceeds WhatsApp's character limit.",
    reasonClass: "fix_then_retry",
    action: "Shorten the body or the variable values that fill it, then retry the affected contacts.",
    retry: "After the body (or the values that fill it) is shortened.",
    likelyMetaCodes: [132005],
  },
  {
    code: "FAILURE_BY_DISABLED_HSM",
    label: "Template disabled by Meta",
    meaning: "Meta has disabled (or paused) the HSM template that was sent.",
    reasonClass: "fix_then_retry",
    action:
      "When a template's quality rating turns red, Meta pauses it for 3 hours, the second time for 6 hours, and the third time disables it. Check the template's status (the template page shows hsm.status changes). A paused template comes back by itself; a disabled one must be edited and resubmitted for approval, or the campaign switched to an approved template. Then retry the affected contacts.",
    retry: "Paused template: after the pause ends (3 h the first time, 6 h the second). Disabled template: only after it is edited and approved again, or with another template.",
    likelyMetaCodes: [132015, 132016],
  },
  {
    code: "FAILURE_BY_SPAM_RATE_LIMIT",
    label: "Line restricted for spam",
    meaning: "WhatsApp restricted the line for spamming; it cannot deploy for now.",
    reasonClass: "retry_later",
    action:
      "Pause sends from this line, check its quality rating in WhatsApp Manager, and move the campaign to another line. Meta does not publish when a spam restriction ends; improve what triggered it (audience consent, message relevance) before sending from this line again.",
    retry: "Not on a schedule: Meta publishes no end to the restriction. Try a small batch from this line once its quality rating recovers; meanwhile use another line.",
    likelyMetaCodes: [131048],
  },
  {
    code: "FAILURE_BY_EXPERIMENT_NUMBER",
    label: "WhatsApp experiment number",
    meaning: "WhatsApp is using this number for internal experiments, so the deployment could not be made.",
    reasonClass: "do_not_contact",
    action: "Nothing can be delivered to this number through templates for now; suppress it rather than retrying.",
    retry: "Not while Meta keeps the number in its experiment, which has no published end; retrying soon will fail again.",
    likelyMetaCodes: [130472],
  },
  {
    code: "FAILURE_BY_UNABLE_TO_CONTACT",
    label: "Unable to receive",
    meaning: "The contact cannot receive the message (no WhatsApp, outdated app, etc.).",
    reasonClass: "do_not_contact",
    action: "Suppress the contact for WhatsApp and reach it through another channel (SMS, e-mail).",
    retry: "Not on WhatsApp until the contact can receive messages (has WhatsApp, updates the app); use another channel meanwhile.",
    likelyMetaCodes: [131026],
  },
] as const satisfies readonly ReasonInfo[];

export type KnownReason = (typeof catalogue)[number]["code"];

export const REASONS: readonly ReasonInfo[] = catalogue;

const byCode = new Map<string, ReasonInfo>(catalogue.map((r) => [r.code, r]));

/** Catalogue entry for a reason code (exact, canonical upper case), or undefined if unrecognised. */
export function reasonInfo(code: string): ReasonInfo | undefined {
  return byCode.get(code);
}

/** The reason codes of some classes. */
export const codesOf = (...classes: ReasonClass[]) => REASONS.filter((r) => classes.includes(r.reasonClass)).map((r) => r.code);
/** A contact whose latest failure has one of these is on the retry list (unless it has a "do not contact" one). */
export const RETRY_REASONS = codesOf("retry_later", "fix_then_retry");
export const DO_NOT_CONTACT_REASONS = codesOf("do_not_contact");

/**
 * Canonical form of a reason as received: known reasons match case-insensitively and are stored
 * upper case; anything else is kept verbatim (trimmed) and flagged unrecognised.
 */
export function canonicalReason(raw: string): { code: string; known: boolean } {
  const trimmed = raw.trim();
  const upper = trimmed.toUpperCase();
  return byCode.has(upper) ? { code: upper, known: true } : { code: trimmed, known: false };
}
