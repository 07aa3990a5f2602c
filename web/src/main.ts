// claimdb's web UI: speaker search, a speaker's claim history (chart + paged
// list, filters, live updates), one claim in its article with its revisions
// and other appearances, all optionally "as of" a past moment.
//
// Routes live in the URL hash: `#/`, `#/speaker/<entity id>?…`, `#/claim/<id>?…`;
// the query part carries the filters and `asof` (ISO 8601), so every view is
// linkable and the back button works.
import { ConnectError, Code } from "@connectrpc/connect";
import { type Timestamp, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { connectApi } from "./api.js";
import { type Claim, ClaimState, RevisionChange, type ClaimRevision } from "./gen/claimdb/v1/claim_pb.js";
import { EntityKind, type EntitySummary, SaidPrecision } from "./gen/claimdb/v1/common_pb.js";
import type { Entity } from "./gen/claimdb/v1/entity_pb.js";
import {
  KIND_NAMES,
  PRECISION_NAMES,
  bucketize,
  formatSaid,
  fill,
  formatTime,
  h,
  parseLocal,
  s,
  splitByCodePointSpans,
  toLocalInput,
} from "./util.js";

// The API key lives for the browser tab only (sessionStorage).
const KEY = "claimdb-api-key";
const api = connectApi(window.location.origin, () => sessionStorage.getItem(KEY) ?? "");
const main = document.getElementById("main") as HTMLElement;
const asOfInput = document.getElementById("asof") as HTMLInputElement;
const asOfForm = document.getElementById("asof-form") as HTMLFormElement;
const asOfClear = document.getElementById("asof-clear") as HTMLButtonElement;
const statusEl = document.getElementById("status") as HTMLElement;

/** Aborts the current view's calls and streams when the route changes. */
let viewAbort = new AbortController();

interface Route {
  path: string[];
  params: URLSearchParams;
}

function currentRoute(): Route {
  const raw = window.location.hash.replace(/^#/, "") || "/";
  const [p, q] = raw.split("?", 2);
  return { path: p.split("/").filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(q ?? "") };
}

function href(path: string[], params: URLSearchParams): string {
  const q = params.toString();
  return "#/" + path.map(encodeURIComponent).join("/") + (q ? `?${q}` : "");
}

/** Keeps `asof` (the global time travel) when linking elsewhere. */
function withAsOf(extra: Record<string, string> = {}): URLSearchParams {
  const p = new URLSearchParams();
  const asof = currentRoute().params.get("asof");
  if (asof) p.set("asof", asof);
  for (const [k, v] of Object.entries(extra)) if (v) p.set(k, v);
  return p;
}

function asOfTimestamp(params: URLSearchParams): Timestamp | undefined {
  const v = params.get("asof");
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : timestampFromDate(d);
}

function setStatus(text: string): void {
  statusEl.textContent = text;
}

function errorText(e: unknown): string {
  if (e instanceof ConnectError && (e.code === Code.Unauthenticated || e.code === Code.PermissionDenied)) {
    (document.getElementById("key") as HTMLDetailsElement).open = true;
    return `${Code[e.code]}: ${e.rawMessage} — enter an API key (top right).`;
  }
  if (e instanceof ConnectError) return `${Code[e.code]}: ${e.rawMessage}`;
  return String(e);
}

function isAbort(e: unknown): boolean {
  return (e instanceof ConnectError && e.code === Code.Canceled) || (e instanceof Error && e.name === "AbortError");
}

function entityName(e: EntitySummary | undefined): string {
  return e?.name ?? "";
}

/** Moves focus to the view's heading, for keyboard and screen-reader users. */
function focusHeading(): void {
  const h2 = main.querySelector("h2");
  if (h2) {
    h2.setAttribute("tabindex", "-1");
    h2.focus({ preventScroll: false });
  }
}

// ---------------------------------------------------------------- search

function searchForm(initial: string): HTMLElement {
  const input = h("input", {
    id: "speaker-q",
    name: "q",
    type: "search",
    value: initial,
    autocomplete: "off",
    placeholder: "e.g. Ekwall, Ministry of Ports",
    required: true,
  });
  return h(
    "form",
    {
      class: "search",
      role: "search",
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        window.location.hash = href([], withAsOf({ q: input.value.trim() }));
      },
    },
    h("label", { for: "speaker-q" }, "Speaker (person or organization)"),
    h("div", { class: "row" }, input, h("button", { type: "submit" }, "Search")),
  );
}

async function renderHome(route: Route, signal: AbortSignal): Promise<void> {
  const q = route.params.get("q") ?? "";
  const results = h("div", { id: "entity-results", "aria-live": "polite" });
  fill(main, h("h2", {}, "Find a speaker"), searchForm(q), results);
  if (!q) {
    (document.getElementById("speaker-q") as HTMLInputElement).focus();
    return;
  }
  setStatus(`Searching for “${q}”…`);
  const res = await api.entities.listEntities({ query: q, pageSize: 20 }, { signal });
  const speakers = res.entities.filter((e) => e.kind !== EntityKind.PLACE);
  const list = speakers.length ? speakers : res.entities;
  results.replaceChildren(
    list.length
      ? h("ul", { class: "entities" }, list.map((e) => h("li", {}, entityLink(e))))
      : h("p", {}, `Nobody matches “${q}”.`),
  );
  setStatus(`${list.length} match${list.length === 1 ? "" : "es"} for “${q}”.`);
  (results.querySelector("a") as HTMLAnchorElement | null)?.focus();
}

function entityLink(e: Entity): HTMLElement {
  const kind = EntityKind[e.kind]?.toLowerCase() ?? "";
  return h(
    "a",
    { href: href(["speaker", e.id], withAsOf()), class: "entity" },
    h("strong", {}, e.name),
    h("span", { class: "muted" }, ` ${kind}`),
    e.aliases.length ? h("span", { class: "aliases" }, ` also ${e.aliases.join(", ")}`) : null,
    e.description ? h("span", { class: "desc" }, e.description) : null,
  );
}

// ---------------------------------------------------------------- speaker

const KIND_ORDER = [1, 2, 3];

interface SpeakerFilter {
  speakerId: string;
  subject: string;
  after: string;
  before: string;
  q: string;
}

function listRequest(f: SpeakerFilter, asOf: Timestamp | undefined) {
  return {
    speaker: { id: f.speakerId },
    subject: f.subject ? { id: f.subject } : undefined,
    saidAfter: f.after ? timestampFromDate(new Date(`${f.after}T00:00:00Z`)) : undefined,
    // "to" is inclusive: claims said before the next day.
    saidBefore: f.before ? timestampFromDate(new Date(Date.parse(`${f.before}T00:00:00Z`) + 86400_000)) : undefined,
    query: f.q,
    asOf,
  };
}

async function renderSpeaker(route: Route, signal: AbortSignal): Promise<void> {
  const id = route.path[1];
  const p = route.params;
  const f: SpeakerFilter = {
    speakerId: id,
    subject: p.get("subject") ?? "",
    after: p.get("after") ?? "",
    before: p.get("before") ?? "",
    q: p.get("q") ?? "",
  };
  const pageSize = Math.min(Math.max(Number(p.get("ps")) || 20, 1), 1000);
  const asOf = asOfTimestamp(p);
  setStatus("Loading…");
  const entity = (await api.entities.getEntity({ id }, { signal })).entity;
  const name = entity?.name ?? id;

  // Every matching claim (for the chart and the subject choices), then the
  // list pages through the same filter with page tokens.
  const all: Claim[] = [];
  let token = "";
  do {
    const res = await api.claims.listClaims({ ...listRequest(f, asOf), pageSize: 1000, pageToken: token }, { signal });
    all.push(...res.claims);
    token = res.nextPageToken;
  } while (token);
  // Subjects offered: those of the unfiltered-by-subject history.
  let subjectSource = all;
  if (f.subject) {
    subjectSource = [];
    let t = "";
    do {
      const res = await api.claims.listClaims(
        { ...listRequest({ ...f, subject: "" }, asOf), pageSize: 1000, pageToken: t },
        { signal },
      );
      subjectSource.push(...res.claims);
      t = res.nextPageToken;
    } while (t);
  }
  const subjects = new Map<string, string>();
  for (const c of subjectSource) for (const sj of c.subjects) if (sj.entity) subjects.set(sj.entity.id, sj.entity.name);

  const filterForm = renderFilters(f, subjects, p);
  const chart = h("figure", { class: "chart", id: "chart" });
  const list = h("ol", { class: "claims", id: "claim-list" });
  const more = h("button", { type: "button", id: "more", hidden: true }, "Show more claims");
  const counter = h("p", { class: "muted", id: "list-count", "aria-live": "polite" });
  const live = h("p", { class: "live", id: "live-state" });
  fill(main, 
    h(
      "div",
      { class: "crumbs" },
      h("a", { href: href([], withAsOf({ q: name })) }, "← Search"),
    ),
    h("h2", {}, name, h("span", { class: "muted" }, entity ? ` ${EntityKind[entity.kind]?.toLowerCase()}` : "")),
    entity?.aliases.length ? h("p", { class: "aliases" }, `Also known as ${entity.aliases.join(", ")}`) : null,
    filterForm,
    live,
    chart,
    h("h3", {}, "Claims"),
    counter,
    list,
    more,
  );
  drawChart(chart, all);

  let shown = 0;
  let total = all.length;
  const updateCount = () => {
    counter.textContent = `Showing ${shown} of ${total} claim${total === 1 ? "" : "s"}${asOf ? ` as of ${formatTime(asOf)}` : ""}.`;
  };
  let pageToken = "";
  const loadPage = async () => {
    more.disabled = true;
    const res = await api.claims.listClaims({ ...listRequest(f, asOf), pageSize, pageToken }, { signal });
    const first = list.children.length;
    for (const c of res.claims) list.append(claimItem(c));
    shown += res.claims.length;
    pageToken = res.nextPageToken;
    more.hidden = !pageToken;
    more.disabled = false;
    updateCount();
    return first;
  };
  more.addEventListener("click", async () => {
    try {
      const first = await loadPage();
      (list.children[first]?.querySelector("a") as HTMLAnchorElement | null)?.focus();
    } catch (e) {
      if (!isAbort(e)) setStatus(errorText(e));
    }
  });
  await loadPage();
  setStatus(`${name}: ${total} claim${total === 1 ? "" : "s"}.`);
  focusHeading();

  if (asOf) {
    live.textContent = "Live updates are off while viewing the past.";
  } else {
    void watch(f, all, chart, list, live, signal, () => {
      shown += 1;
      total += 1;
      updateCount();
    });
  }
}

function renderFilters(f: SpeakerFilter, subjects: Map<string, string>, p: URLSearchParams): HTMLElement {
  const subject = h(
    "select",
    { id: "f-subject", name: "subject" },
    h("option", { value: "" }, "Any subject"),
    [...subjects.entries()]
      .sort((a, b) => a[1].localeCompare(b[1]))
      .map(([id, name]) => h("option", { value: id, selected: id === f.subject }, name)),
  );
  const after = h("input", { id: "f-after", name: "after", type: "date", value: f.after });
  const before = h("input", { id: "f-before", name: "before", type: "date", value: f.before });
  const q = h("input", { id: "f-q", name: "q", type: "search", value: f.q, placeholder: "words in the claim" });
  return h(
    "form",
    {
      class: "filters",
      id: "filters",
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const params = withAsOf({
          subject: subject.value,
          after: after.value,
          before: before.value,
          q: q.value.trim(),
          ps: p.get("ps") ?? "",
        });
        window.location.hash = href(["speaker", f.speakerId], params);
      },
    },
    h("div", { class: "field" }, h("label", { for: "f-subject" }, "Subject"), subject),
    h("div", { class: "field" }, h("label", { for: "f-after" }, "Said from"), after),
    h("div", { class: "field" }, h("label", { for: "f-before" }, "Said to"), before),
    h("div", { class: "field grow" }, h("label", { for: "f-q" }, "Text"), q),
    h("div", { class: "field" }, h("button", { type: "submit" }, "Apply")),
  );
}

function claimItem(c: Claim, fresh = false): HTMLElement {
  const speakers = c.speakers.map(entityName).join(", ");
  return h(
    "li",
    { class: `claim${fresh ? " fresh" : ""}${c.state === ClaimState.RETRACTED ? " retracted" : ""}`, "data-id": c.id },
    h(
      "div",
      { class: "meta" },
      h("time", {}, formatSaid(c.saidTime, c.saidPrecision)),
      h("span", { class: `kind k${c.kind}` }, KIND_NAMES[c.kind] ?? "?"),
      c.state === ClaimState.RETRACTED ? h("span", { class: "badge" }, "retracted") : null,
      fresh ? h("span", { class: "badge new" }, "new") : null,
    ),
    h("a", { href: href(["claim", c.id], withAsOf()), class: "claim-text" }, `“${c.text}”`),
    h(
      "div",
      { class: "muted" },
      `${speakers}${c.speakerRole ? `, ${c.speakerRole}` : ""}`,
      c.publishedTime ? ` · reported ${formatSaid(c.publishedTime, SaidPrecision.DAY)}` : "",
      c.subjects.length ? ` · about ${c.subjects.map((x) => entityName(x.entity)).join(", ")}` : "",
    ),
  );
}

const KIND_COLORS: Record<number, string> = { 1: "var(--direct)", 2: "var(--indirect)", 3: "var(--mixed)" };

function drawChart(fig: HTMLElement, claims: Claim[]): void {
  const dated = claims
    .filter((c) => c.saidTime)
    .map((c) => ({ ms: timestampDate(c.saidTime as Timestamp).getTime(), kind: c.kind }));
  const undated = claims.length - dated.length;
  const { unit, buckets } = bucketize(dated);
  fig.replaceChildren();
  if (buckets.length === 0) {
    fig.append(h("figcaption", {}, claims.length ? `${undated} claims, none dated.` : "No claims match."));
    return;
  }
  const max = Math.max(1, ...buckets.map((b) => [...b.counts.values()].reduce((x, y) => x + y, 0)));
  // Drawn at the figure's width so labels keep their size on a phone.
  const W = Math.max(280, Math.round(fig.clientWidth - 16) || 640);
  const H = 180;
  const pad = { l: 28, r: 8, t: 10, b: 34 };
  const bw = (W - pad.l - pad.r) / buckets.length;
  const y = (n: number) => ((H - pad.t - pad.b) * n) / max;
  const svg = s("svg", {
    viewBox: `0 0 ${W} ${H}`,
    role: "img",
    "aria-labelledby": "chart-title",
  });
  svg.append(s("title", { id: "chart-title" }, `Claims per ${unit} by kind`));
  for (const n of [0, max]) {
    const yy = H - pad.b - y(n);
    svg.append(s("line", { x1: pad.l, x2: W - pad.r, y1: yy, y2: yy, class: "grid" }));
    svg.append(s("text", { x: pad.l - 4, y: yy + 4, class: "axis", "text-anchor": "end" }, String(n)));
  }
  const labelEvery = Math.ceil(buckets.length / Math.max(2, Math.floor(W / 80)));
  buckets.forEach((b, i) => {
    let base = H - pad.b;
    const x = pad.l + i * bw + bw * 0.1;
    const total = [...b.counts.values()].reduce((a, c) => a + c, 0);
    const g = s("g", { class: "bar", "data-count": total, "data-label": b.label });
    g.append(s("title", {}, `${b.label}: ${total} claim${total === 1 ? "" : "s"}`));
    for (const k of KIND_ORDER) {
      const n = b.counts.get(k) ?? 0;
      if (!n) continue;
      const hgt = y(n);
      base -= hgt;
      const r = s("rect", { x, y: base, width: Math.max(1, bw * 0.8), height: hgt, "data-kind": KIND_NAMES[k] });
      (r as SVGElement).style.fill = KIND_COLORS[k];
      g.append(r);
    }
    svg.append(g);
    if (i % labelEvery === 0) {
      svg.append(s("text", { x: pad.l + i * bw + bw / 2, y: H - pad.b + 14, class: "axis", "text-anchor": "middle" }, b.label));
    }
  });
  const legend = h(
    "ul",
    { class: "legend" },
    KIND_ORDER.map((k) => {
      const sw = h("span", { class: "swatch" });
      sw.style.background = KIND_COLORS[k];
      return h("li", {}, sw, KIND_NAMES[k]);
    }),
  );
  fig.append(
    svg,
    h(
      "figcaption",
      {},
      `${dated.length} dated claim${dated.length === 1 ? "" : "s"} per ${unit}, by kind`,
      undated ? ` (${undated} undated not shown)` : "",
      legend,
    ),
  );
}

async function watch(
  f: SpeakerFilter,
  all: Claim[],
  chart: HTMLElement,
  list: HTMLElement,
  live: HTMLElement,
  signal: AbortSignal,
  onNew: () => void,
): Promise<void> {
  let cursor = "";
  for (let attempt = 0; !signal.aborted; attempt++) {
    try {
      live.textContent = "● Live: new claims appear here as they are recorded.";
      live.classList.add("on");
      const stream = api.claims.watchClaims(
        {
          speaker: { id: f.speakerId },
          subject: f.subject ? { id: f.subject } : undefined,
          query: f.q,
          cursor,
        },
        { signal },
      );
      for await (const ev of stream) {
        cursor = ev.cursor;
        attempt = 0;
        const c = ev.claim;
        if (!c) continue;
        const existing = list.querySelector(`li[data-id="${CSS.escape(c.id)}"]`);
        if (ev.change === RevisionChange.CREATED && !existing && inRange(c, f)) {
          all.push(c);
          drawChart(chart, all);
          list.prepend(claimItem(c, true));
          onNew();
          setStatus(`New claim: “${c.text}”`);
        } else if (existing) {
          existing.replaceWith(claimItem(c, true));
          const i = all.findIndex((x) => x.id === c.id);
          if (i >= 0) all[i] = c;
          setStatus(`Claim updated: “${c.text}”`);
        }
      }
    } catch (e) {
      if (isAbort(e) || signal.aborted) return;
      live.textContent = `Live updates interrupted (${errorText(e)}); reconnecting…`;
      live.classList.remove("on");
    }
    await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * 2 ** attempt)));
  }
}

function inRange(c: Claim, f: SpeakerFilter): boolean {
  if (!f.after && !f.before) return true;
  if (!c.saidTime) return false;
  const ms = timestampDate(c.saidTime).getTime();
  if (f.after && ms < Date.parse(`${f.after}T00:00:00Z`)) return false;
  if (f.before && ms >= Date.parse(`${f.before}T00:00:00Z`) + 86400_000) return false;
  return true;
}

// ---------------------------------------------------------------- claim

async function renderClaim(route: Route, signal: AbortSignal): Promise<void> {
  const id = route.path[1];
  const asOf = asOfTimestamp(route.params);
  setStatus("Loading claim…");
  let claim: Claim | undefined;
  try {
    claim = (await api.claims.getClaim({ id, asOf }, { signal })).claim;
  } catch (e) {
    if (e instanceof ConnectError && e.code === Code.NotFound && asOf) {
      fill(main, 
        h("h2", {}, "Not recorded yet"),
        h("p", {}, `This claim did not exist as of ${formatTime(asOf)}.`),
      );
      focusHeading();
      setStatus("Claim not recorded at that time.");
      return;
    }
    throw e;
  }
  if (!claim) throw new Error("empty response");
  const c = claim;
  const [article, revisions, appearances] = await Promise.all([
    api.articles.getArticle({ id: c.articleId }, { signal }).then((r) => r.article),
    allRevisions(c.id, signal),
    otherAppearances(c, signal),
  ]);
  const speakerLinks = c.speakers.map((sp, i) =>
    h("span", {}, i ? ", " : "", h("a", { href: href(["speaker", sp.id], withAsOf()) }, sp.name)),
  );
  const dl = (rows: [string, Node | string | null][]) =>
    h(
      "dl",
      { class: "facts" },
      rows.filter(([, v]) => v !== null && v !== "").flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
    );
  const said = `${formatSaid(c.saidTime, c.saidPrecision)} (precision: ${PRECISION_NAMES[c.saidPrecision] ?? "?"})${
    c.saidTimeText ? `, written “${c.saidTimeText}”` : ""
  }${c.saidTimeInferred ? ", inferred from the publication date" : ""}`;

  fill(main, 
    h("div", { class: "crumbs" }, c.speakers[0] ? h("a", { href: href(["speaker", c.speakers[0].id], withAsOf()) }, `← ${c.speakers[0].name}`) : null),
    h("h2", {}, "Claim"),
    asOf ? h("p", { class: "asof-note" }, `As the database stood at ${formatTime(asOf)} (revision ${c.revision}).`) : null,
    h("blockquote", { class: `quote${c.state === ClaimState.RETRACTED ? " retracted" : ""}`, id: "claim-text" }, c.text),
    c.state === ClaimState.RETRACTED ? h("p", { class: "badge" }, "Retracted") : null,
    h(
      "div",
      { class: "cols" },
      h(
        "section",
        { "aria-labelledby": "attr-h" },
        h("h3", { id: "attr-h" }, "Attribution"),
        dl([
          ["Speaker", h("span", {}, speakerLinks)],
          ["Role", c.speakerRole],
          ["Kind", KIND_NAMES[c.kind] ?? ""],
          ["Cue", c.cue],
          ["Venue", c.venue],
          ["Recipient", c.recipient ? c.recipient.name : null],
          ["Via", c.via ? `${c.via.name}${c.viaText ? ` (“${c.viaText}”)` : ""}` : c.viaText],
          ["Subjects", c.subjects.map((x) => `${entityName(x.entity)}${x.role ? ` (${x.role})` : ""}`).join(", ")],
          ["Confidence", c.confidence !== undefined ? c.confidence.toFixed(2) : null],
        ]),
      ),
      h(
        "section",
        { "aria-labelledby": "times-h" },
        h("h3", { id: "times-h" }, "Times"),
        dl([
          ["Said", said],
          ["Published", formatTime(c.publishedTime)],
          ["Recorded", formatTime(c.createTime)],
          ["This version", `${formatTime(c.updateTime)} (revision ${c.revision})`],
        ]),
      ),
    ),
    h(
      "section",
      { "aria-labelledby": "article-h" },
      h("h3", { id: "article-h" }, "In the article"),
      article
        ? h(
            "div",
            {},
            h(
              "p",
              { class: "source" },
              h("a", { href: article.url, rel: "noreferrer noopener", target: "_blank" }, article.title || article.url),
              article.publisher ? ` · ${article.publisher.name}` : "",
              ` · ${formatTime(article.publishedTime)}`,
            ),
            article.body
              ? h(
                  "div",
                  { class: "article-body", id: "article-body" },
                  splitByCodePointSpans(article.body, c.spans).map((seg) => (seg.mark ? h("mark", {}, seg.text) : seg.text)),
                )
              : h("p", { class: "muted" }, "The article's text is not stored."),
          )
        : h("p", {}, "Article not found."),
    ),
    appearances,
    h(
      "section",
      { "aria-labelledby": "rev-h" },
      h("h3", { id: "rev-h" }, "Revisions"),
      revisionsTable(revisions, c.revision, asOf),
    ),
  );
  setStatus(`Claim by ${c.speakers.map(entityName).join(", ")}.`);
  focusHeading();
}

async function allRevisions(id: string, signal: AbortSignal): Promise<ClaimRevision[]> {
  const out: ClaimRevision[] = [];
  let t = "";
  do {
    const r = await api.claims.listClaimRevisions({ id, pageSize: 1000, pageToken: t }, { signal });
    out.push(...r.revisions);
    t = r.nextPageToken;
  } while (t);
  return out;
}

const COMPARED: [string, (c: Claim) => string][] = [
  ["text", (c) => c.text],
  ["speakers", (c) => c.speakers.map(entityName).join(", ")],
  ["speaker role", (c) => c.speakerRole],
  ["kind", (c) => KIND_NAMES[c.kind] ?? ""],
  ["spans", (c) => c.spans.map((x) => `${x.start}–${x.end}`).join(", ")],
  ["cue", (c) => c.cue],
  ["venue", (c) => c.venue],
  ["recipient", (c) => entityName(c.recipient)],
  ["via", (c) => `${entityName(c.via)} ${c.viaText}`.trim()],
  ["said", (c) => formatSaid(c.saidTime, c.saidPrecision) + c.saidTimeText],
  ["subjects", (c) => c.subjects.map((x) => entityName(x.entity)).join(", ")],
  ["state", (c) => ClaimState[c.state] ?? ""],
];

function revisionsTable(revs: ClaimRevision[], current: bigint, asOf: Timestamp | undefined): HTMLElement {
  const asOfMs = asOf ? timestampDate(asOf).getTime() : Infinity;
  const rows = revs.map((r, i) => {
    const prev = i > 0 ? revs[i - 1].claim : undefined;
    const changed: Node[] = [];
    if (prev && r.claim) {
      for (const [name, get] of COMPARED) {
        const a = get(prev);
        const b = get(r.claim);
        if (a !== b)
          changed.push(h("div", {}, h("strong", {}, `${name}: `), h("del", {}, a || "—"), " → ", h("ins", {}, b || "—")));
      }
    }
    const later = r.recordTime !== undefined && timestampDate(r.recordTime).getTime() > asOfMs;
    return h(
      "tr",
      { class: r.revision === current ? "current" : later ? "later" : "" },
      h("td", {}, String(r.revision), later ? h("span", { class: "muted" }, " (later)") : null),
      h("td", {}, (RevisionChange[r.change] ?? "").toLowerCase()),
      h("td", {}, r.actor || "—"),
      h("td", {}, formatTime(r.recordTime)),
      h("td", {}, r.reason || "—", changed),
    );
  });
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "revisions" },
      h("thead", {}, h("tr", {}, ["#", "Change", "By", "Recorded", "Why / what"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows),
    ),
  );
}

/** Every claim reporting the same remark (StatementService), first marked. */
async function otherAppearances(c: Claim, signal: AbortSignal): Promise<HTMLElement | null> {
  if (!c.statementId) return null;
  try {
    const [st, claims] = await Promise.all([
      api.statements.getStatement({ id: c.statementId }, { signal }).then((r) => r.statement),
      (async () => {
        const out: Claim[] = [];
        let t = "";
        do {
          const r = await api.statements.listAppearances({ id: c.statementId, pageSize: 1000, pageToken: t }, { signal });
          out.push(...r.claims);
          t = r.nextPageToken;
        } while (t);
        return out;
      })(),
    ]);
    const firstId = st?.firstAppearance?.claimId;
    const articles = new Map<string, { url: string; title: string; publisher: string }>();
    await Promise.all(
      [...new Set(claims.map((x) => x.articleId))].map(async (aid) => {
        try {
          const a = (await api.articles.getArticle({ id: aid }, { signal })).article;
          if (a) articles.set(aid, { url: a.url, title: a.title, publisher: a.publisher?.name ?? "" });
        } catch {
          /* shown without a title */
        }
      }),
    );
    return h(
      "section",
      { "aria-labelledby": "app-h", id: "appearances" },
      h("h3", { id: "app-h" }, `Carried by ${st?.outletCount ?? "?"} outlet${st?.outletCount === 1n ? "" : "s"} (${claims.length} appearance${claims.length === 1 ? "" : "s"})`),
      h(
        "ol",
        { class: "appearances" },
        claims.map((x) => {
          const a = articles.get(x.articleId);
          return h(
            "li",
            { class: x.id === c.id ? "this" : "" },
            x.id === firstId ? h("span", { class: "badge first" }, "first appearance") : null,
            x.id === c.id ? h("span", { class: "badge" }, "this claim") : null,
            h("strong", {}, ` ${a?.publisher || "unknown outlet"}`),
            ` · ${formatTime(x.publishedTime)} · `,
            h("a", { href: href(["claim", x.id], withAsOf()) }, a?.title || "claim"),
          );
        }),
      ),
    );
  } catch (e) {
    if (isAbort(e)) throw e;
    // Older servers have no StatementService: leave the section out.
    return null;
  }
}

// ---------------------------------------------------------------- shell

async function render(): Promise<void> {
  viewAbort.abort();
  viewAbort = new AbortController();
  const signal = viewAbort.signal;
  const route = currentRoute();
  const asof = route.params.get("asof");
  asOfInput.value = asof ? toLocalInput(new Date(asof)) : "";
  asOfClear.hidden = !asof;
  document.body.classList.toggle("past", Boolean(asof));
  document.body.dataset.state = "loading";
  try {
    if (route.path[0] === "speaker" && route.path[1]) await renderSpeaker(route, signal);
    else if (route.path[0] === "claim" && route.path[1]) await renderClaim(route, signal);
    else await renderHome(route, signal);
  } catch (e) {
    if (isAbort(e)) return;
    fill(main, h("h2", {}, "Something went wrong"), h("p", { class: "error", role: "alert" }, errorText(e)));
    setStatus(errorText(e));
  }
  // Tests wait for this: the view for the current URL is on screen.
  if (!signal.aborted) {
    document.body.dataset.state = "ready";
    document.body.dataset.renders = String(Number(document.body.dataset.renders ?? 0) + 1);
  }
}

function setAsOf(value: string | undefined): void {
  const route = currentRoute();
  const params = new URLSearchParams(route.params);
  if (value) params.set("asof", value);
  else params.delete("asof");
  window.location.hash = href(route.path, params);
}

asOfForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const d = parseLocal(asOfInput.value);
  setAsOf(d ? d.toISOString() : undefined);
});
asOfClear.addEventListener("click", () => setAsOf(undefined));
const keyInput = document.getElementById("key-input") as HTMLInputElement;
keyInput.value = sessionStorage.getItem(KEY) ?? "";
(document.getElementById("key-form") as HTMLFormElement).addEventListener("submit", (ev) => {
  ev.preventDefault();
  const key = keyInput.value.trim();
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
  void render();
});
window.addEventListener("hashchange", () => void render());
void render();
