import { Rng, WeightedTable } from "./rng";

/**
 * The fictional company behind the demo traffic: its WhatsApp lines, its HSM templates, its
 * campaigns and a pool of contacts. Lines and templates are fixed so the dashboard always tells
 * the same story; contacts and campaigns come from the seed.
 */

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

export interface Line {
  /** International number without "+", as Treble sends it in most places. */
  digits: string;
  country: CountryCode;
  /** Share of the company's sends that go out through this line. */
  weight: number;
}

export const LINES: readonly Line[] = [
  { digits: "573104567890", country: "57", weight: 0.32 },
  { digits: "573176543210", country: "57", weight: 0.22 },
  { digits: "525512345678", country: "52", weight: 0.2 },
  { digits: "5511987654321", country: "55", weight: 0.16 },
  { digits: "56987654321", country: "56", weight: 0.1 },
];

export type CountryCode = "57" | "52" | "55" | "56" | "51";

/** Audience mix of the company (Colombia first, then Mexico, Brazil, Chile, Peru). */
const COUNTRY_WEIGHTS: ReadonlyArray<readonly [CountryCode, number]> = [
  ["57", 0.45],
  ["52", 0.25],
  ["55", 0.15],
  ["56", 0.08],
  ["51", 0.07],
];

export interface Template {
  name: string;
  language: string;
  /** Always-on transactional template (true) or a promotional one run in bursts. */
  evergreen: boolean;
  /** Countries it is sent to. */
  countries: readonly CountryCode[];
}

export const TEMPLATES: readonly Template[] = [
  { name: "recordatorio_pago_v3", language: "es", evergreen: true, countries: ["57", "52", "51"] },
  { name: "confirmacion_cita_24h", language: "es", evergreen: true, countries: ["57", "56"] },
  { name: "bienvenida_cliente_nuevo", language: "es", evergreen: true, countries: ["57", "52"] },
  { name: "seguimiento_pedido", language: "es_MX", evergreen: true, countries: ["52", "57"] },
  { name: "lembrete_pagamento", language: "pt_BR", evergreen: true, countries: ["55"] },
  { name: "cobranza_mora_30_dias", language: "es", evergreen: true, countries: ["57", "51"] },
  { name: "promo_black_friday_2x1", language: "es", evergreen: false, countries: ["57", "52", "56"] },
  { name: "encuesta_nps_trimestral", language: "es", evergreen: false, countries: ["57", "52", "51"] },
  { name: "carrito_abandonado_descuento", language: "es", evergreen: false, countries: ["57", "52"] },
  { name: "oferta_credito_preaprobado", language: "es", evergreen: false, countries: ["57", "51"] },
  { name: "actualizacion_datos_habeas", language: "es", evergreen: false, countries: ["57"] },
  { name: "reactivacion_clientes_inactivos", language: "pt_BR", evergreen: false, countries: ["55"] },
];

/** Lasting property of a contact that makes every send to it fail the same way. */
export type Defect =
  | "INVALID_PHONE"
  | "FAILURE_BY_UNABLE_TO_CONTACT"
  | "FAILURE_BY_OPTOUT_CONTACT"
  | "FAILURE_BY_BLOCKED_CONTACT"
  | "FAILURE_BY_EXPERIMENT_NUMBER";

const DEFECT_SHARES: ReadonlyArray<readonly [Defect | "healthy", number]> = [
  ["INVALID_PHONE", 0.08],
  ["FAILURE_BY_UNABLE_TO_CONTACT", 0.09],
  ["FAILURE_BY_OPTOUT_CONTACT", 0.02],
  ["FAILURE_BY_BLOCKED_CONTACT", 0.01],
  ["FAILURE_BY_EXPERIMENT_NUMBER", 0.0015],
  ["healthy", 0.7985],
];

export interface Contact {
  countryCode: CountryCode;
  /** National number as the company's CRM holds it (may be malformed for invalid phones). */
  national: string;
  defect: Defect | null;
}

const CO_MOBILE_PREFIXES = ["00", "01", "02", "04", "05", "10", "11", "12", "13", "14", "15", "16", "17", "18", "20", "21", "23", "50"];

/** A national mobile number in the country's usual shape. */
function nationalNumber(rng: Rng, country: CountryCode): string {
  switch (country) {
    case "57":
      return `3${rng.pick(CO_MOBILE_PREFIXES)}${rng.digits(7)}`;
    case "52":
      return `${rng.pick(["55", "33", "81", "22", "44", "66"])}${rng.digits(8)}`;
    case "55":
      return `${rng.pick(["11", "21", "31", "41", "51", "61", "71", "81"])}9${rng.digits(8)}`;
    case "56":
      return `9${rng.digits(8)}`;
    case "51":
      return `9${rng.digits(8)}`;
  }
}

/** Typos a CRM really holds: a digit missing, one too many, or a landline-looking prefix. */
function malformed(rng: Rng, national: string): string {
  const roll = rng.int(3);
  if (roll === 0) return national.slice(0, -1);
  if (roll === 1) return `${national}${rng.int(10)}`;
  return `1${national.slice(1)}`;
}

export class ContactPool {
  private readonly byCountry = new Map<CountryCode, Contact[]>();
  private readonly byCountryDefect = new Map<string, Contact[]>();
  private readonly countryTable = new WeightedTable(COUNTRY_WEIGHTS);

  constructor(rng: Rng, size: number) {
    const defects = new WeightedTable(DEFECT_SHARES);
    for (let i = 0; i < size; i++) {
      const countryCode = this.countryTable.pick(rng);
      const drawn = defects.pick(rng);
      const defect = drawn === "healthy" ? null : drawn;
      let national = nationalNumber(rng, countryCode);
      if (defect === "INVALID_PHONE" && rng.chance(0.5)) national = malformed(rng, national);
      this.add({ countryCode, national, defect });
    }
  }

  private add(contact: Contact): void {
    const list = this.byCountry.get(contact.countryCode) ?? [];
    list.push(contact);
    this.byCountry.set(contact.countryCode, list);
    const key = `${contact.countryCode}:${contact.defect ?? ""}`;
    const sub = this.byCountryDefect.get(key) ?? [];
    sub.push(contact);
    this.byCountryDefect.set(key, sub);
  }

  randomCountry(rng: Rng): CountryCode {
    return this.countryTable.pick(rng);
  }

  /**
   * A contact of `country` (with `defect`, when asked). Skewed so the same contacts fail again and
   * again, as they do in real campaigns (an invalid number is retried by every campaign).
   */
  pick(rng: Rng, country: CountryCode, defect: Defect | null): Contact {
    const list = defect ? this.byCountryDefect.get(`${country}:${defect}`) : this.byCountry.get(country);
    // A small pool may have no contact of a rare defect in this country: take one from any country.
    const fallback = () => {
      for (const c of ["57", "52", "55", "56", "51"] as const) {
        const other = this.byCountryDefect.get(`${c}:${defect ?? ""}`);
        if (other?.length) return other;
      }
      return this.byCountry.get("57") ?? [];
    };
    const from = list?.length ? list : fallback();
    return from[rng.skewedIndex(from.length, 2.2)]!;
  }
}

export interface Campaign {
  template: Template;
  country: CountryCode;
  /** Treble conversation (poll) the campaign deploys. */
  pollId: number;
  lines: readonly Line[];
  start: number;
  end: number;
  /** Relative volume while active. */
  weight: number;
  /** First deployment id; one deployment per campaign day. */
  deploymentBase: number;
}

/** Lines a campaign to `country` goes out through: that country's lines, else the Colombian ones. */
function linesFor(country: CountryCode): Line[] {
  const own = LINES.filter((l) => l.country === country);
  return own.length ? own : LINES.filter((l) => l.country === "57");
}

function makeCampaign(rng: Rng, template: Template, country: CountryCode, start: number, end: number, weight: number): Campaign {
  return {
    template,
    country,
    pollId: 100_000 + rng.int(900_000),
    lines: linesFor(country),
    start,
    end,
    weight,
    deploymentBase: 7_000_000 + rng.int(2_000_000),
  };
}

/**
 * Campaigns over [start, end): every evergreen template runs the whole time in each of its
 * countries; promotional ones run in bursts of a few days (or across a short live window).
 */
export function planCampaigns(rng: Rng, start: number, end: number): Campaign[] {
  const campaigns: Campaign[] = [];
  const span = end - start;
  for (const template of TEMPLATES) {
    if (template.evergreen) {
      for (const country of template.countries) {
        campaigns.push(makeCampaign(rng, template, country, start, end, rng.between(0.6, 1.4)));
      }
      continue;
    }
    if (span < 2 * DAY_MS) {
      // A live run is too short for bursts: about half the promotions are running right now.
      if (rng.chance(0.6)) campaigns.push(makeCampaign(rng, template, rng.pick(template.countries), start, end, rng.between(1, 2.5)));
      continue;
    }
    for (let t = start + rng.between(0, 12) * DAY_MS; t < end; t += rng.between(8, 20) * DAY_MS) {
      const duration = rng.between(2, 7) * DAY_MS;
      campaigns.push(makeCampaign(rng, template, rng.pick(template.countries), t, Math.min(end, t + duration), rng.between(1, 2.5)));
    }
  }
  return campaigns;
}

/** Picks among the campaigns active at `ms`, by weight (kept small: at most a few dozen active). */
export function activeCampaigns(campaigns: readonly Campaign[], ms: number): Campaign[] {
  return campaigns.filter((c) => c.start <= ms && ms < c.end);
}

export function pickWeighted<T extends { weight: number }>(rng: Rng, items: readonly T[]): T {
  let total = 0;
  for (const item of items) total += item.weight;
  let target = rng.next() * total;
  for (const item of items) {
    target -= item.weight;
    if (target < 0) return item;
  }
  return items[items.length - 1]!;
}
