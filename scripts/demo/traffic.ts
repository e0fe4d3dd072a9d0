import { Rng, WeightedTable, type Weighted } from "./rng";
import { failurePayload, statusPayload, type FailureFacts, type JsonObject, type SessionKey } from "./shapes";
import { historyTimes, incidentShare, planIncidents, statusSchedule, type Incident, type ScheduledStatus } from "./timeline";
import {
  ContactPool,
  activeCampaigns,
  pickWeighted,
  planCampaigns,
  type Campaign,
  type Contact,
  type Defect,
  type Line,
} from "./world";

/**
 * Seedable generator of realistic Treble webhook traffic, shared by `npm run simulate` (live, over
 * HTTP) and `npm run seed:demo` (90 days of history). Pure: no clock, no I/O, no Math.random; the
 * same options always give the same events.
 */

export type { FailureFacts, JsonObject } from "./shapes";
export type { Incident, ScheduledStatus } from "./timeline";
export { LINES, TEMPLATES } from "./world";

export interface TrafficOptions {
  seed: number;
  /** Window the scenario plays over (epoch ms). Under 2 days, incidents are squeezed into it. */
  start: number;
  end: number;
  /** Event ids are drawn from this namespace: same namespace → same ids (default `faultline-demo:<seed>`). */
  idNamespace?: string;
  /** Size of the contact pool (default 40,000); small pools make contacts fail more often. */
  contacts?: number;
}

export interface TrafficItem {
  kind: "failure" | "status";
  event: JsonObject;
  /** When it happened (the payload's time, before encoding). */
  occurredAt: number;
  /** When Treble would deliver it (a little later). */
  deliveredAt: number;
  /** For failures: what the payload says, so tests can check normalisation against it. */
  facts?: FailureFacts;
}

/** Unrecognised reasons a newer Treble could send; Faultline must keep them, flagged. */
export const UNRECOGNISED_REASONS = ["FAILURE_BY_NEW_META_RULE", "FAILURE_BY_MARKETING_MESSAGE_LIMIT"] as const;

/**
 * Everyday failures, per mille. Rate and tier limits dominate, then bad numbers; template and
 * spam problems come mostly from incidents (see timeline.ts).
 */
const BASELINE_REASONS: readonly Weighted<string>[] = [
  ["FAILURE_BY_RATE_LIMIT", 270],
  ["FAILURE_BY_TIER_CAPACITY", 170],
  ["INVALID_PHONE", 160],
  ["FAILURE_BY_UNABLE_TO_CONTACT", 150],
  ["FAILURE", 55],
  ["FAILURE_BY_HUMAN_HANDOVER", 40],
  ["COMPANY_RATE_LIMIT", 30],
  ["FAILURE_BY_OPTOUT_CONTACT", 30],
  ["MISSING_PARAMETER", 22],
  ["FAILURE_BY_BLOCKED_CONTACT", 15],
  ["PARAMETER_MISMATCH", 14],
  ["REVOKED", 12],
  ["INVALID_POLL", 6],
  ["CHARACTER_LIMIT_BODY", 5],
  ["CHARACTER_LIMIT_HEADER", 3],
  ["FAILURE_BY_EXPERIMENT_NUMBER", 1.5],
  ["FAILURE_BY_SPAM_RATE_LIMIT", 1],
  [UNRECOGNISED_REASONS[0], 1.6],
  [UNRECOGNISED_REASONS[1], 0.4],
];

const CONTACT_DEFECTS = new Set<string>([
  "INVALID_PHONE",
  "FAILURE_BY_UNABLE_TO_CONTACT",
  "FAILURE_BY_OPTOUT_CONTACT",
  "FAILURE_BY_BLOCKED_CONTACT",
  "FAILURE_BY_EXPERIMENT_NUMBER",
]);

/** Content bugs live in particular templates: a missing variable is always the same template's. */
const TEMPLATE_BUGS: Record<string, readonly string[]> = {
  MISSING_PARAMETER: ["carrito_abandonado_descuento", "oferta_credito_preaprobado"],
  PARAMETER_MISMATCH: ["actualizacion_datos_habeas", "recordatorio_pago_v3"],
  CHARACTER_LIMIT_BODY: ["promo_black_friday_2x1"],
  CHARACTER_LIMIT_HEADER: ["encuesta_nps_trimestral"],
};

const SEGMENTS = ["mora_30", "nuevo", "recurrente", "vip", "inactivo_90d", "preaprobado"];
const CACHE_BUCKET_MS = 10 * 60_000;

export class TrafficModel {
  readonly campaigns: readonly Campaign[];
  readonly incidents: readonly Incident[];
  readonly statuses: readonly ScheduledStatus[];
  private readonly contacts: ContactPool;
  private readonly baseline = new WeightedTable(BASELINE_REASONS);
  /** Separate streams: ids depend only on the event's index, whatever else the scenario draws. */
  private readonly rng: Rng;
  private readonly idRng: Rng;
  private readonly statusIdRng: Rng;
  private activeCache: { bucket: number; list: Campaign[] } = { bucket: Number.NaN, list: [] };

  constructor(readonly options: TrafficOptions) {
    if (!(options.end > options.start)) throw new Error("traffic window must end after it starts");
    const plan = new Rng(`plan:${options.seed}`);
    const namespace = options.idNamespace ?? `faultline-demo:${options.seed}`;
    this.campaigns = planCampaigns(plan, options.start, options.end);
    this.incidents = planIncidents(plan, this.campaigns, options.start, options.end);
    this.statuses = statusSchedule(this.incidents, options.end);
    this.contacts = new ContactPool(new Rng(`contacts:${options.seed}`), options.contacts ?? 40_000);
    this.rng = new Rng(`events:${options.seed}`);
    this.idRng = new Rng(`${namespace}:failure-ids`);
    this.statusIdRng = new Rng(`${namespace}:status-ids`);
  }

  /** The next failure, happening at `ms`. */
  failureAt(ms: number): TrafficItem {
    const eventId = this.nextId(this.idRng);
    const facts = this.incidentFailure(ms, eventId) ?? this.baselineFailure(ms, eventId);
    return this.item("failure", failurePayload(this.rng, facts), ms, facts);
  }

  /** The hsm.status event of a scheduled template status change. */
  statusEvent(status: ScheduledStatus, ms = status.at): TrafficItem {
    const facts = { eventId: this.nextId(this.statusIdRng), occurredAt: ms, template: status.template, status: status.status };
    return this.item("status", statusPayload(this.rng, facts), ms);
  }

  private item(kind: TrafficItem["kind"], event: JsonObject, ms: number, facts?: FailureFacts): TrafficItem {
    // Treble delivers within a few seconds, occasionally later (its retries).
    const delay = this.rng.chance(0.97) ? this.rng.between(150, 3_000) : this.rng.between(3_000, 120_000);
    return { kind, event, occurredAt: ms, deliveredAt: Math.round(ms + delay), facts };
  }

  /** Always draws an id, so event N has the same id whether or not it is sent with one. */
  private nextId(stream: Rng): string | null {
    const id = stream.uuid();
    return stream.chance(0.97) ? id : null;
  }

  /** A failure caused by an incident in progress, or undefined (drawn by the incidents' share). */
  private incidentFailure(ms: number, eventId: string | null): FailureFacts | undefined {
    let roll = this.rng.next();
    for (const incident of this.incidents) {
      roll -= incidentShare(incident, ms);
      if (roll >= 0) continue;
      switch (incident.kind) {
        case "template_disabled": {
          const campaign = this.campaignWithTemplate(ms, incident.template);
          return this.facts(ms, eventId, "FAILURE_BY_DISABLED_HSM", campaign, this.lineOf(campaign));
        }
        case "tier_capacity":
          return this.facts(ms, eventId, "FAILURE_BY_TIER_CAPACITY", this.campaignAt(ms), incident.line);
        case "spam_restricted":
          return this.facts(ms, eventId, "FAILURE_BY_SPAM_RATE_LIMIT", this.campaignAt(ms), incident.line);
      }
    }
    return undefined;
  }

  private baselineFailure(ms: number, eventId: string | null): FailureFacts {
    let reason = this.baseline.pick(this.rng);
    const campaign = this.campaignFor(ms, reason);
    // While Meta has the template disabled, every send of it fails for that reason first.
    if (!CONTACT_DEFECTS.has(reason) && this.isDisabled(campaign.template.name, ms)) reason = "FAILURE_BY_DISABLED_HSM";
    return this.facts(ms, eventId, reason, campaign, this.lineOf(campaign));
  }

  private facts(ms: number, eventId: string | null, reason: string, campaign: Campaign, line: Line): FailureFacts {
    const rng = this.rng;
    const defect = CONTACT_DEFECTS.has(reason) ? (reason as Defect) : null;
    const contact = this.contacts.pick(rng, campaign.country, defect);
    const day = Math.max(0, Math.floor((ms - campaign.start) / 86_400_000));
    const deploymentId = campaign.deploymentBase + day;
    return {
      eventId,
      occurredAt: ms,
      reason,
      // A few integrations leave out the line, template or contact; Faultline shows "unknown".
      line: rng.chance(0.01) ? null : line,
      template: rng.chance(0.007) ? null : campaign.template,
      contact: rng.chance(0.005) ? null : contact,
      pollId: campaign.pollId,
      deploymentId,
      batchId: `${deploymentId}-${String(Math.floor(new Date(ms).getUTCHours() / 2)).padStart(2, "0")}`,
      sessionId: rng.chance(0.65) ? `ses_${rng.uuid().replace(/-/g, "").slice(0, 16)}` : null,
      sessionKeys: this.sessionKeys(contact),
    };
  }

  private sessionKeys(contact: Contact): SessionKey[] {
    return [
      { key: "customer_id", value: `CUS-${contact.national.slice(-6)}` },
      { key: "segment", value: this.rng.pick(SEGMENTS) },
    ];
  }

  private lineOf(campaign: Campaign): Line {
    return pickWeighted(this.rng, campaign.lines);
  }

  /** Campaigns running at `ms` (cached per 10 minutes: the generator asks millions of times). */
  private active(ms: number): Campaign[] {
    const bucket = Math.floor(ms / CACHE_BUCKET_MS);
    if (this.activeCache.bucket !== bucket) {
      const list = activeCampaigns(this.campaigns, ms);
      // Past the planned window (a simulator running late), the always-on campaigns keep going.
      this.activeCache = { bucket, list: list.length ? list : this.campaigns.filter((c) => c.template.evergreen) };
    }
    return this.activeCache.list;
  }

  private campaignAt(ms: number): Campaign {
    return pickWeighted(this.rng, this.active(ms));
  }

  /** The campaign a failure of `reason` most plausibly belongs to. */
  private campaignFor(ms: number, reason: string): Campaign {
    const buggy = TEMPLATE_BUGS[reason];
    if (buggy) {
      const matching = this.active(ms).filter((c) => buggy.includes(c.template.name));
      if (matching.length) return pickWeighted(this.rng, matching);
    }
    if (reason === "INVALID_POLL") {
      // Deployments still pointing at the poll of a campaign that has ended (and was deactivated).
      const ended = this.campaigns.filter((c) => c.end <= ms && ms - c.end < 14 * 86_400_000);
      if (ended.length) return this.rng.pick(ended);
    }
    return this.campaignAt(ms);
  }

  private campaignWithTemplate(ms: number, template: string): Campaign {
    const running = this.active(ms).filter((c) => c.template.name === template);
    const any = running.length ? running : this.campaigns.filter((c) => c.template.name === template);
    return any.length ? pickWeighted(this.rng, any) : this.campaignAt(ms);
  }

  private isDisabled(template: string, ms: number): boolean {
    return this.incidents.some((i) => i.kind === "template_disabled" && i.template === template && i.start <= ms && ms < i.end);
  }
}

export interface HistoryOptions extends TrafficOptions {
  /** Number of deployment failures (hsm.status events come on top). */
  failures: number;
}

/**
 * The whole history of the window in time order: `failures` failures following the daily and
 * weekly rhythm and the incidents, with each incident's hsm.status events at their moments.
 */
export function* historyEvents(options: HistoryOptions, model = new TrafficModel(options)): Generator<TrafficItem> {
  const statuses = model.statuses;
  let next = 0;
  const timing = new Rng(`times:${options.seed}`);
  for (const ms of historyTimes(timing, options.start, options.end, options.failures, model.incidents)) {
    while (next < statuses.length && statuses[next]!.at <= ms) yield model.statusEvent(statuses[next++]!);
    yield model.failureAt(ms);
  }
  while (next < statuses.length) yield model.statusEvent(statuses[next++]!);
}
