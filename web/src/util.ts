// Small pure helpers: DOM building, code-point spans, time formatting, chart
// buckets.
import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import { ClaimKind, SaidPrecision } from "./gen/claimdb/v1/common_pb.js";

type Child = Node | string | null | undefined | false;

/** Creates an element with attributes (`on*` functions become listeners). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, unknown> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** Replaces an element's children (nulls skipped). */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

/** Creates an SVG element. */
export function s(tag: string, attrs: Record<string, unknown> = {}, ...children: (Child | Child[])[]): SVGElement {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el: Element, attrs: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") {
      el.addEventListener(k.slice(2), v as EventListener);
    } else {
      el.setAttribute(k, v === true ? "" : String(v));
    }
  }
}

function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c);
  }
}

/** A piece of an article body, highlighted or not. */
export interface Segment {
  text: string;
  mark: boolean;
}

/**
 * Splits `body` around spans given in Unicode code points (what claimdb
 * stores), not UTF-16 units: "🇪🇸" counts 2, "é" (precomposed) counts 1.
 * Out-of-range or overlapping spans are clamped and skipped.
 */
export function splitByCodePointSpans(body: string, spans: { start: number; end: number }[]): Segment[] {
  const cps = Array.from(body);
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const out: Segment[] = [];
  let pos = 0;
  for (const sp of sorted) {
    const start = Math.max(pos, Math.min(sp.start, cps.length));
    const end = Math.max(start, Math.min(sp.end, cps.length));
    if (start > pos) out.push({ text: cps.slice(pos, start).join(""), mark: false });
    if (end > start) out.push({ text: cps.slice(start, end).join(""), mark: true });
    pos = end;
  }
  if (pos < cps.length) out.push({ text: cps.slice(pos).join(""), mark: false });
  return out;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A said time as precisely as it is known (UTC: claimdb stores period starts). */
export function formatSaid(t: Timestamp | undefined, p: SaidPrecision): string {
  if (!t || p === SaidPrecision.UNKNOWN) return "unknown";
  const d = timestampDate(t);
  const day = `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  switch (p) {
    case SaidPrecision.EXACT:
      return `${day}, ${d.toISOString().slice(11, 16)} UTC`;
    case SaidPrecision.WEEK:
      return `week of ${day}`;
    case SaidPrecision.MONTH:
      return `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
    case SaidPrecision.YEAR:
      return `${d.getUTCFullYear()}`;
    default:
      return day;
  }
}

export const PRECISION_NAMES: Record<number, string> = {
  [SaidPrecision.EXACT]: "exact",
  [SaidPrecision.DAY]: "day",
  [SaidPrecision.WEEK]: "week",
  [SaidPrecision.MONTH]: "month",
  [SaidPrecision.YEAR]: "year",
  [SaidPrecision.UNKNOWN]: "unknown",
};

/** A record or publication time, to the minute, in UTC. */
export function formatTime(t: Timestamp | undefined): string {
  if (!t) return "—";
  return timestampDate(t).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

export const KIND_NAMES: Record<number, string> = {
  [ClaimKind.DIRECT]: "direct",
  [ClaimKind.INDIRECT]: "indirect",
  [ClaimKind.MIXED]: "mixed",
};

/** A time bucket of the chart. */
export interface Bucket {
  start: number;
  label: string;
  counts: Map<number, number>;
}

/**
 * Groups said times (ms, UTC) into weeks (Monday starts) when they span less
 * than about two months, else into calendar months; empty buckets included.
 */
export function bucketize(items: { ms: number; kind: number }[]): { unit: "week" | "month"; buckets: Bucket[] } {
  if (items.length === 0) return { unit: "month", buckets: [] };
  const min = Math.min(...items.map((i) => i.ms));
  const max = Math.max(...items.map((i) => i.ms));
  const unit = max - min < 62 * 86400_000 ? "week" : "month";
  const startOf = (ms: number): number => {
    const d = new Date(ms);
    if (unit === "month") return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    return day - ((d.getUTCDay() + 6) % 7) * 86400_000;
  };
  const next = (ms: number): number => {
    const d = new Date(ms);
    return unit === "month" ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) : ms + 7 * 86400_000;
  };
  const buckets: Bucket[] = [];
  const index = new Map<number, Bucket>();
  for (let t = startOf(min); t <= max; t = next(t)) {
    const d = new Date(t);
    const label =
      unit === "month"
        ? `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`
        : `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
    const b = { start: t, label, counts: new Map<number, number>() };
    buckets.push(b);
    index.set(t, b);
  }
  for (const i of items) {
    const b = index.get(startOf(i.ms));
    if (b) b.counts.set(i.kind, (b.counts.get(i.kind) ?? 0) + 1);
  }
  return { unit, buckets };
}

/** `datetime-local` value (local time) → Date, or undefined when empty/bad. */
export function parseLocal(value: string): Date | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Date → `datetime-local` value in local time, to the second. */
export function toLocalInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}
