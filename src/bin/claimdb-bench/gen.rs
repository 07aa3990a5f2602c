//! The deterministic data generator: articles with their claims, exactly as
//! a real import would send them (`IngestArticleRequest`s, entities named,
//! not referenced by id).
//!
//! Shape, chosen to look like a news archive rather than uniform noise:
//! - speakers, outlets, subjects and words all follow Zipf-like frequencies
//!   (exponent 1): a few hot speakers carry a large share of the claims, so
//!   "this speaker's history" is sometimes 50 rows out of 100,000 and
//!   sometimes out of 5;
//! - quotes are 15–45 words from a vocabulary of real common English words
//!   mixed with generated pronounceable content words;
//! - said times spread over 15 years, most claims with a said day a day or so
//!   before the article's publication;
//! - about 15% of claims re-report a recent remark (same speaker, same words
//!   with case/punctuation changes or trimmed) in another outlet, so
//!   statement grouping has real work to do;
//! - three search terms are planted at exact counts (rare, medium, common),
//!   in original remarks that are never re-reported, so the number of claims
//!   matching each is known.
//!
//! Everything is drawn from [`Rng`] streams derived from one seed: the same
//! parameters give byte-identical requests on every run.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc};
use claimdb::pb::v1 as pb;
use serde::Serialize;

use crate::rng::{Rng, Zipf};

/// Bump whenever a change here changes the generated data: a stored dataset
/// made by another version is reloaded.
pub(crate) const GENERATOR_VERSION: u32 = 2;

/// Share of claims that re-report an earlier remark.
const REREPORT_RATE: f64 = 0.15;
/// How many recent remarks a re-report may pick from (news repeats recent
/// remarks, not decade-old ones).
pub(crate) const RECENT_REMARKS: usize = 5000;
/// First publication day of the archive.
const START: (i32, u32, u32) = (2010, 1, 1);
/// Years the archive spans.
const YEARS: u32 = 15;
/// Zipf exponent of every frequency (speakers, outlets, subjects, words).
const ZIPF_S: f64 = 1.0;
/// Generated content words in the vocabulary (besides the real ones).
const GENERATED_WORDS: usize = 20_000;

/// The search terms planted at exact counts. Real words, not stop words,
/// absent from the vocabulary; `dataset::check_terms` verifies in PostgreSQL
/// that each is one lexeme and that no vocabulary word shares it.
pub(crate) const TERMS: [&str; 3] = ["zeppelin", "marzipan", "hydrofoil"];

/// One planted term and how many claims carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Term {
    /// The word.
    pub(crate) word: String,
    /// Exactly this many claims of the dataset contain it.
    pub(crate) claims: u64,
}

/// Everything that determines the dataset; stored in `bench_meta` so a kept
/// database is reused only when it was made from the same parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct GenParams {
    /// [`GENERATOR_VERSION`].
    pub(crate) generator_version: u32,
    /// The seed of every random stream.
    pub(crate) seed: u64,
    /// Claims in the dataset.
    pub(crate) claims: u64,
    /// Distinct speakers (persons).
    pub(crate) speakers: usize,
    /// Distinct subject entities (persons, organizations, places, groups).
    pub(crate) subjects: usize,
    /// Distinct outlets (organizations).
    pub(crate) publishers: usize,
    /// Mean claims per article (articles ≈ claims / this).
    pub(crate) claims_per_article: u32,
    /// Words in the vocabulary (real and generated).
    pub(crate) vocabulary: usize,
    /// Zipf exponent of all frequencies.
    pub(crate) zipf_s: f64,
    /// Share of claims that re-report an earlier remark.
    pub(crate) rereport_rate: f64,
    /// First publication day.
    pub(crate) start: String,
    /// Years covered.
    pub(crate) years: u32,
    /// Planted search terms: rare, medium, common.
    pub(crate) terms: Vec<Term>,
}

impl GenParams {
    /// The parameters for a dataset of `claims` claims. Entity counts scale
    /// with the dataset up to the sizes of the issue (10k speakers, 50k
    /// subjects, 200 outlets at 1M claims) so small runs still have several
    /// claims per speaker.
    pub(crate) fn for_claims(claims: u64, seed: u64) -> Self {
        let clamp = |v: u64, lo: u64, hi: u64| v.clamp(lo, hi) as usize;
        let rare = (claims / 2000).clamp(1, 10);
        let medium = ((claims as f64 * 0.001).round() as u64).max(1);
        let common = ((claims as f64 * 0.01).round() as u64).max(1);
        Self {
            generator_version: GENERATOR_VERSION,
            seed,
            claims,
            speakers: clamp(claims / 100, 50, 10_000),
            subjects: clamp(claims / 20, 100, 50_000),
            publishers: clamp(claims / 5000, 20, 200),
            claims_per_article: 5,
            vocabulary: REAL_WORDS.len() + GENERATED_WORDS,
            zipf_s: ZIPF_S,
            rereport_rate: REREPORT_RATE,
            start: format!("{:04}-{:02}-{:02}", START.0, START.1, START.2),
            years: YEARS,
            terms: TERMS
                .iter()
                .zip([rare, medium, common])
                .map(|(w, n)| Term {
                    word: (*w).to_string(),
                    claims: n,
                })
                .collect(),
        }
    }
}

/// A person who speaks, with the role articles give them.
#[derive(Debug, Clone)]
pub(crate) struct Speaker {
    /// Full name (unique among all entities).
    pub(crate) name: String,
    /// "finance minister", "spokeswoman for ...".
    pub(crate) role: String,
}

/// A named entity of a given kind (subjects, outlets).
#[derive(Debug, Clone)]
pub(crate) struct Named {
    /// Name (unique among all entities).
    pub(crate) name: String,
    /// `pb::EntityKind` as sent on the wire.
    pub(crate) kind: pb::EntityKind,
}

/// The fixed world the articles are drawn from: names, vocabulary and the
/// frequency tables. Immutable once built; shared by every generator.
#[derive(Debug)]
pub(crate) struct World {
    /// The parameters it was built from.
    pub(crate) params: GenParams,
    /// Speakers by Zipf rank (rank 0 is the most quoted).
    pub(crate) speakers: Vec<Speaker>,
    /// Subject entities by Zipf rank.
    pub(crate) subjects: Vec<Named>,
    /// Outlets by Zipf rank.
    pub(crate) publishers: Vec<Named>,
    /// Words by Zipf rank.
    pub(crate) vocabulary: Vec<String>,
    /// Speaker frequencies.
    pub(crate) speaker_zipf: Zipf,
    /// Subject frequencies.
    pub(crate) subject_zipf: Zipf,
    publisher_zipf: Zipf,
    word_zipf: Zipf,
    domains: Vec<String>,
    start: DateTime<Utc>,
    span_secs: i64,
}

/// One generated article: the request plus what the generator knows about
/// each claim (which remark it reports), which the COPY baseline needs to
/// group claims into statements the way the service does.
#[derive(Debug, Clone)]
pub(crate) struct GenArticle {
    /// The request, as `IngestArticle` or `ImportArticles` takes it.
    pub(crate) request: pb::IngestArticleRequest,
    /// Per claim: the remark (statement) it reports. Claims of one remark
    /// share an id.
    pub(crate) remarks: Vec<u64>,
    /// The article's publication time.
    pub(crate) published: DateTime<Utc>,
}

impl GenArticle {
    /// How many claims it carries.
    pub(crate) fn claim_count(&self) -> usize {
        self.request.claims.len()
    }
}

/// A remark as said once, which later claims may re-report.
#[derive(Debug, Clone)]
struct Remark {
    id: u64,
    speakers: Vec<usize>,
    kind: pb::ClaimKind,
    text: String,
    said: Said,
    publisher: usize,
    subjects: Vec<(usize, String)>,
}

/// When a remark was said, as a claim input carries it.
#[derive(Debug, Clone)]
struct Said {
    time: Option<DateTime<Utc>>,
    precision: pb::SaidPrecision,
    text: String,
}

/// Which entities a fresh (write-workload) article may name: the ones that
/// exist in the loaded database, so writes never create entities.
pub(crate) trait Available {
    /// Whether speaker `rank` exists.
    fn speaker(&self, rank: usize) -> bool;
    /// Whether subject `rank` exists.
    fn subject(&self, rank: usize) -> bool;
    /// Whether outlet `rank` exists.
    fn publisher(&self, rank: usize) -> bool;
}

/// Everything exists (fresh databases, where the service creates entities).
pub(crate) struct AllAvailable;

impl Available for AllAvailable {
    fn speaker(&self, _: usize) -> bool {
        true
    }
    fn subject(&self, _: usize) -> bool {
        true
    }
    fn publisher(&self, _: usize) -> bool {
        true
    }
}

impl World {
    /// Builds the world for `params` (names, vocabulary, tables). Takes well
    /// under a second even at the largest sizes.
    pub(crate) fn new(params: GenParams) -> Self {
        let mut rng = Rng::derive(params.seed, 1);
        let mut taken: HashSet<String> = HashSet::new();
        let mut words = WordMaker::new(Rng::derive(params.seed, 2));
        let speakers = (0..params.speakers)
            .map(|i| Speaker {
                name: unique(&mut taken, || person_name(&mut rng, &mut words)),
                role: role(&mut rng, &mut words, i),
            })
            .collect();
        let subjects = (0..params.subjects)
            .map(|i| {
                let kind = subject_kind(i);
                Named {
                    name: unique(&mut taken, || entity_name(&mut rng, &mut words, kind)),
                    kind,
                }
            })
            .collect();
        let publishers: Vec<Named> = (0..params.publishers)
            .map(|_| Named {
                name: unique(&mut taken, || outlet_name(&mut rng, &mut words)),
                kind: pb::EntityKind::Organization,
            })
            .collect();
        let domains = publishers
            .iter()
            .map(|p| {
                let d: String = p
                    .name
                    .to_lowercase()
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect();
                format!("www.{d}.example")
            })
            .collect();
        let vocabulary = vocabulary(&mut WordMaker::new(Rng::derive(params.seed, 3)));
        let start = Utc
            .with_ymd_and_hms(START.0, START.1, START.2, 0, 0, 0)
            .single()
            .unwrap_or_default();
        Self {
            speaker_zipf: Zipf::new(params.speakers, params.zipf_s),
            subject_zipf: Zipf::new(params.subjects, params.zipf_s),
            publisher_zipf: Zipf::new(params.publishers, params.zipf_s),
            word_zipf: Zipf::new(vocabulary.len(), params.zipf_s),
            span_secs: i64::from(params.years) * 36_525 * 864,
            params,
            speakers,
            subjects,
            publishers,
            vocabulary,
            domains,
            start,
        }
    }

    /// The first publication time after the archive: write workloads publish
    /// from here on.
    pub(crate) fn archive_end(&self) -> DateTime<Utc> {
        self.start + Duration::seconds(self.span_secs)
    }

    /// The dataset, article by article, in publication order.
    pub(crate) fn dataset(&self) -> DatasetStream<'_> {
        DatasetStream::new(self)
    }

    /// A fresh article for a write workload: new remarks only (no
    /// re-reports, no planted terms), naming only entities `avail` allows,
    /// published at `published`, under `url`. `remark_base` must be unique
    /// per article (its claims get `remark_base + i`).
    pub(crate) fn fresh_article(
        &self,
        rng: &mut Rng,
        url: String,
        published: DateTime<Utc>,
        remark_base: u64,
        avail: &dyn Available,
    ) -> GenArticle {
        let publisher = self.draw(rng, &self.publisher_zipf, |r| avail.publisher(r));
        let n = rng.range(1, 9) as usize;
        let mut remarks = Vec::with_capacity(n);
        for i in 0..n {
            remarks.push(self.new_remark(
                rng,
                remark_base + i as u64,
                publisher,
                published,
                None,
                avail,
            ));
        }
        let plan: Vec<&Remark> = remarks.iter().collect();
        self.article(rng, url, publisher, published, &plan, &[])
    }

    /// A rank from `zipf` that `ok` accepts (the hottest acceptable one after
    /// 64 misses, so a sparse availability cannot loop forever).
    fn draw(&self, rng: &mut Rng, zipf: &Zipf, ok: impl Fn(usize) -> bool) -> usize {
        for _ in 0..64 {
            let r = zipf.sample(rng);
            if ok(r) {
                return r;
            }
        }
        (0..zipf.len()).find(|&r| ok(r)).unwrap_or(0)
    }

    /// A new remark by a Zipf-drawn speaker (1% joint remarks by two).
    fn new_remark(
        &self,
        rng: &mut Rng,
        id: u64,
        publisher: usize,
        published: DateTime<Utc>,
        plant: Option<&str>,
        avail: &dyn Available,
    ) -> Remark {
        let first = self.draw(rng, &self.speaker_zipf, |r| avail.speaker(r));
        let mut speakers = vec![first];
        if rng.chance(0.01) {
            let second = self.draw(rng, &self.speaker_zipf, |r| avail.speaker(r));
            if second != first {
                speakers.push(second);
            }
        }
        let kind = match rng.below(100) {
            0..=79 => pb::ClaimKind::Direct,
            80..=93 => pb::ClaimKind::Indirect,
            // A planted term must not touch the quote marks of a mixed
            // claim: in a C-locale cluster (pg_local's) the full-text parser
            // glues “ and ” to the word, and the term's count would be off.
            _ if plant.is_some() => pb::ClaimKind::Indirect,
            _ => pb::ClaimKind::Mixed,
        };
        let text = self.claim_text(rng, kind, plant);
        let n_subjects = match rng.below(10) {
            0..=2 => 1,
            3..=6 => 2,
            _ => 3,
        };
        let mut subjects: Vec<(usize, String)> = Vec::with_capacity(n_subjects);
        for _ in 0..n_subjects {
            let s = self.draw(rng, &self.subject_zipf, |r| avail.subject(r));
            if subjects.iter().all(|(x, _)| *x != s) {
                let role = ["topic", "topic", "target", ""][rng.index(4)];
                subjects.push((s, role.to_string()));
            }
        }
        Remark {
            id,
            speakers,
            kind,
            text,
            said: said_time(rng, published),
            publisher,
            subjects,
        }
    }

    /// The claim text of a new remark: a direct quote (one or two
    /// sentences), a reported clause, or a clause with a quoted fragment.
    fn claim_text(&self, rng: &mut Rng, kind: pb::ClaimKind, plant: Option<&str>) -> String {
        let len = rng.range(15, 45) as usize;
        let mut words: Vec<String> = (0..len)
            .map(|_| self.vocabulary[self.word_zipf.sample(rng)].clone())
            .collect();
        if let Some(term) = plant {
            let at = 1 + rng.index(len - 1);
            words[at] = term.to_string();
        }
        let split = (len > 26).then(|| len / 2 + rng.index(5));
        let mut out = String::with_capacity(len * 7);
        let direct = kind == pb::ClaimKind::Direct;
        let quoted = (kind == pb::ClaimKind::Mixed).then(|| {
            let from = 2 + rng.index(len / 2);
            (from, (from + 2 + rng.index(4)).min(len - 1))
        });
        for (i, w) in words.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            if quoted.is_some_and(|(from, _)| from == i) {
                out.push('“');
            }
            if direct && (i == 0 || split == Some(i)) {
                out.push_str(&capitalize(w));
            } else {
                out.push_str(w);
            }
            if quoted.is_some_and(|(_, to)| to == i) {
                out.push('”');
            }
            if i + 1 < len {
                if direct && split.is_some_and(|s| s == i + 1) {
                    out.push('.');
                } else if rng.chance(0.07) && quoted.is_none() {
                    out.push(',');
                }
            }
        }
        if direct {
            out.push(['.', '.', '.', '!'][rng.index(4)]);
        }
        out
    }

    /// Renders an article: body with the claims' sentences and filler, the
    /// spans of each claim text in it (code points), and the request.
    fn article(
        &self,
        rng: &mut Rng,
        url: String,
        publisher: usize,
        published: DateTime<Utc>,
        plan: &[&Remark],
        texts: &[Option<String>],
    ) -> GenArticle {
        let mut body = Body::default();
        body.push(&self.filler(rng));
        body.push(" ");
        let mut claims = Vec::with_capacity(plan.len());
        for (i, remark) in plan.iter().enumerate() {
            let text = texts
                .get(i)
                .cloned()
                .flatten()
                .unwrap_or_else(|| remark.text.clone());
            let names: Vec<&str> = remark
                .speakers
                .iter()
                .map(|s| self.speakers[*s].name.as_str())
                .collect();
            let role = &self.speakers[remark.speakers[0]].role;
            let (cue, venue, phrase) = cue(rng, remark.speakers.len() > 1);
            let who = if names.len() > 1 {
                names.join(" and ")
            } else if rng.chance(0.5) {
                format!("{}, {},", names[0], role)
            } else {
                names[0].to_string()
            };
            body.push("\n\n");
            body.push(&who);
            body.push(" ");
            body.push(phrase);
            let start = match remark.kind {
                pb::ClaimKind::Direct => {
                    body.push(": “");
                    let s = body.chars;
                    body.push(&text);
                    body.push("”");
                    s
                }
                _ => {
                    body.push(" that ");
                    let s = body.chars;
                    body.push(&text);
                    body.push(".");
                    s
                }
            };
            let end = start + text.chars().count();
            if rng.chance(0.5) {
                body.push(" ");
                body.push(&self.filler(rng));
            }
            claims.push(pb::ClaimInput {
                speakers: names
                    .iter()
                    .map(|n| entity_ref(n, pb::EntityKind::Person))
                    .collect(),
                speaker_role: if names.len() > 1 {
                    String::new()
                } else {
                    role.clone()
                },
                kind: remark.kind as i32,
                text,
                spans: vec![pb::Span {
                    start: start as i32,
                    end: end as i32,
                }],
                cue: cue.to_string(),
                venue: venue.to_string(),
                said_time: remark.said.time.map(timestamp),
                said_precision: remark.said.precision as i32,
                said_time_text: remark.said.text.clone(),
                subjects: remark
                    .subjects
                    .iter()
                    .map(|(s, role)| pb::SubjectInput {
                        entity: Some(entity_ref(&self.subjects[*s].name, self.subjects[*s].kind)),
                        role: role.clone(),
                    })
                    .collect(),
                ..Default::default()
            });
        }
        body.push("\n\n");
        body.push(&self.filler(rng));
        let title = self.title(rng);
        let request = pb::IngestArticleRequest {
            article: Some(pb::ArticleInput {
                url,
                title,
                publisher: Some(entity_ref(
                    &self.publishers[publisher].name,
                    pb::EntityKind::Organization,
                )),
                published_time: Some(timestamp(published)),
                language: "en".into(),
                body: body.text,
            }),
            claims,
            extract: false,
        };
        GenArticle {
            request,
            remarks: plan.iter().map(|r| r.id).collect(),
            published,
        }
    }

    /// One filler sentence (8–16 words), for realistic body sizes.
    fn filler(&self, rng: &mut Rng) -> String {
        let n = rng.range(8, 16) as usize;
        let mut s = String::new();
        for i in 0..n {
            let w = &self.vocabulary[self.word_zipf.sample(rng)];
            if i == 0 {
                s.push_str(&capitalize(w));
            } else {
                s.push(' ');
                s.push_str(w);
            }
        }
        s.push('.');
        s
    }

    /// A headline of 5–9 capitalized words.
    fn title(&self, rng: &mut Rng) -> String {
        let n = rng.range(5, 9) as usize;
        (0..n)
            .map(|_| capitalize(&self.vocabulary[self.word_zipf.sample(rng)]))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The URL of dataset article `i`.
    fn url(&self, publisher: usize, published: DateTime<Utc>, title: &str, i: usize) -> String {
        let slug: String = title
            .to_lowercase()
            .split_whitespace()
            .take(5)
            .collect::<Vec<_>>()
            .join("-");
        format!(
            "https://{}/{:04}/{:02}/{:02}/{slug}-{i}",
            self.domains[publisher],
            published.year(),
            published.month(),
            published.day()
        )
    }
}

/// The dataset as a sequence of articles (see the module docs); also
/// usable for just its first articles (the bulk-import set).
#[derive(Debug)]
pub(crate) struct DatasetStream<'w> {
    world: &'w World,
    rng: Rng,
    article: usize,
    claims_done: u64,
    recent: VecDeque<Remark>,
    next_remark: u64,
    plants: HashMap<u64, usize>,
    articles_estimate: f64,
}

impl<'w> DatasetStream<'w> {
    fn new(world: &'w World) -> Self {
        let n = world.params.claims;
        let mut plants = HashMap::new();
        for (t, term) in world.params.terms.iter().enumerate() {
            let k = term.claims.min(n);
            for j in 0..k {
                // Evenly spread, shifted per term; a taken slot moves on.
                let mut at = ((j as f64 + 0.5) * n as f64 / k as f64) as u64 + t as u64;
                while plants.contains_key(&(at % n)) {
                    at += 1;
                }
                plants.insert(at % n, t);
            }
        }
        Self {
            world,
            rng: Rng::derive(world.params.seed, 10),
            article: 0,
            claims_done: 0,
            recent: VecDeque::with_capacity(RECENT_REMARKS),
            next_remark: 0,
            plants,
            articles_estimate: (n as f64 / f64::from(world.params.claims_per_article)).max(1.0),
        }
    }
}

impl Iterator for DatasetStream<'_> {
    type Item = GenArticle;

    fn next(&mut self) -> Option<GenArticle> {
        let w = self.world;
        let total = w.params.claims;
        if self.claims_done >= total {
            return None;
        }
        let rng = &mut self.rng;
        let i = self.article;
        let span = w.span_secs as f64;
        let offset = ((i as f64 + rng.unit()) * span / self.articles_estimate).min(span - 1.0);
        let published = w.start + Duration::seconds(offset as i64);
        let publisher = w.publisher_zipf.sample(rng);
        let n = (rng.range(1, 9)).min(total - self.claims_done) as usize;
        let mut plan: Vec<Remark> = Vec::with_capacity(n);
        let mut texts: Vec<Option<String>> = Vec::with_capacity(n);
        for c in 0..n as u64 {
            let index = self.claims_done + c;
            let plant = self.plants.get(&index).map(|t| TERMS[*t]);
            let rereport = if plant.is_none() && rng.chance(REREPORT_RATE) {
                pick_rereport(rng, &self.recent, publisher, &plan)
            } else {
                None
            };
            match rereport {
                Some(remark) => {
                    texts.push(Some(vary(rng, &remark.text)));
                    plan.push(remark);
                }
                None => {
                    let id = self.next_remark;
                    self.next_remark += 1;
                    let remark = w.new_remark(rng, id, publisher, published, plant, &AllAvailable);
                    if plant.is_none() {
                        if self.recent.len() == RECENT_REMARKS {
                            self.recent.pop_front();
                        }
                        self.recent.push_back(remark.clone());
                    }
                    texts.push(None);
                    plan.push(remark);
                }
            }
        }
        let refs: Vec<&Remark> = plan.iter().collect();
        let mut art = w.article(rng, String::new(), publisher, published, &refs, &texts);
        if let Some(a) = art.request.article.as_mut() {
            a.url = w.url(publisher, published, &a.title, i);
        }
        self.article += 1;
        self.claims_done += n as u64;
        Some(art)
    }
}

/// A recent remark from another outlet, not already in this article (up to
/// three tries; `None` makes the claim an original).
fn pick_rereport(
    rng: &mut Rng,
    recent: &VecDeque<Remark>,
    publisher: usize,
    plan: &[Remark],
) -> Option<Remark> {
    for _ in 0..3 {
        let r = recent.get(rng.index(recent.len()))?;
        if r.publisher != publisher && plan.iter().all(|p| p.id != r.id) {
            return Some(r.clone());
        }
    }
    None
}

/// The words of a remark as another outlet prints them: identical, with
/// case and punctuation changed (the same normalized text), or trimmed to a
/// contiguous run of at least eight words (a contained quote).
fn vary(rng: &mut Rng, text: &str) -> String {
    match rng.below(10) {
        0..=1 => text.to_string(),
        2..=5 => {
            let mut t: String = text
                .chars()
                .filter(|c| *c != ',')
                .map(|c| if c == '!' { '.' } else { c })
                .collect();
            if rng.chance(0.5) {
                t = t.replacen(' ', ", ", 1);
            }
            if rng.chance(0.5) {
                t = flip_first_case(&t);
            }
            t
        }
        _ => {
            let words: Vec<&str> = text.split(' ').collect();
            let n = words.len();
            let keep = (n * 2 / 3).max(8).min(n);
            let from = rng.index(n - keep + 1);
            words[from..from + keep]
                .join(" ")
                .trim_matches(|c: char| c == ',' || c == '“' || c == '”')
                .to_string()
        }
    }
}

/// When a new remark was said: most on a stated day shortly before
/// publication, some to the minute, some unknown.
fn said_time(rng: &mut Rng, published: DateTime<Utc>) -> Said {
    match rng.below(100) {
        0..=69 => {
            let back = match rng.below(100) {
                0..=29 => 0,
                30..=79 => 1,
                80..=94 => 2,
                _ => rng.range(3, 6) as i64,
            };
            let day = (published - Duration::days(back))
                .date_naive()
                .and_hms_opt(0, 0, 0)
                .map(|d| d.and_utc())
                .unwrap_or(published);
            Said {
                time: Some(day),
                precision: pb::SaidPrecision::Day,
                text: format!("on {}", day.format("%A")),
            }
        }
        70..=84 => {
            let t = published - Duration::minutes(rng.range(60, 36 * 60) as i64);
            let t = t
                .with_second(0)
                .unwrap_or(t)
                .with_nanosecond(0)
                .unwrap_or(t);
            Said {
                time: Some(t),
                precision: pb::SaidPrecision::Exact,
                text: String::new(),
            }
        }
        _ => Said {
            time: None,
            precision: pb::SaidPrecision::Unspecified,
            text: String::new(),
        },
    }
}

/// The attribution cue, the venue, and the phrase the body uses.
fn cue(rng: &mut Rng, joint: bool) -> (&'static str, &'static str, &'static str) {
    if joint {
        return ("said", "statement", "said in a joint statement");
    }
    match rng.below(10) {
        0..=4 => ("said", "", "said"),
        5 => ("said", "statement", "said in a statement"),
        6 => ("told", "", "told reporters"),
        7 => ("said", "interview", "said in an interview"),
        8 => ("wrote", "", "wrote"),
        _ => ("added", "", "added"),
    }
}

/// An entity reference by name and kind, as a real import sends it.
fn entity_ref(name: &str, kind: pb::EntityKind) -> pb::EntityRef {
    pb::EntityRef {
        name: name.to_string(),
        kind: kind as i32,
        ..Default::default()
    }
}

/// A chrono time as a protobuf timestamp.
pub(crate) fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

/// An article body being written, counting code points as spans do.
#[derive(Default)]
struct Body {
    text: String,
    chars: usize,
}

impl Body {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.chars += s.chars().count();
    }
}

/// `s` with the case of its first letter flipped.
fn flip_first_case(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if f.is_uppercase() => f.to_lowercase().chain(c).collect(),
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `s` with its first letter upper-cased.
fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Draws names until one is new (compared case-insensitively), so every
/// entity name resolves to exactly one entity.
fn unique(taken: &mut HashSet<String>, mut make: impl FnMut() -> String) -> String {
    loop {
        let name = make();
        if taken.insert(name.to_lowercase()) {
            return name;
        }
    }
}

/// Subject kinds by rank: 30% persons, 20% organizations, 40% places, 10%
/// groups.
fn subject_kind(rank: usize) -> pb::EntityKind {
    match rank % 10 {
        0..=2 => pb::EntityKind::Person,
        3..=4 => pb::EntityKind::Organization,
        5..=8 => pb::EntityKind::Place,
        _ => pb::EntityKind::Group,
    }
}

/// Makes pronounceable words ("velmora", "trastik").
#[derive(Debug)]
struct WordMaker {
    rng: Rng,
}

impl WordMaker {
    fn new(rng: Rng) -> Self {
        Self { rng }
    }

    /// A word of two or three syllables.
    fn word(&mut self) -> String {
        const ONSETS: [&str; 26] = [
            "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br",
            "cr", "dr", "gr", "pr", "tr", "st", "sh", "ch", "th",
        ];
        const VOWELS: [&str; 9] = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "io"];
        const CODAS: [&str; 10] = ["", "", "", "n", "r", "s", "l", "m", "t", "x"];
        let r = &mut self.rng;
        let syllables = 2 + r.index(2);
        let mut w = String::new();
        for _ in 0..syllables {
            w.push_str(ONSETS[r.index(ONSETS.len())]);
            w.push_str(VOWELS[r.index(VOWELS.len())]);
            w.push_str(CODAS[r.index(CODAS.len())]);
        }
        w
    }
}

/// A person's name: a real first name and a generated surname.
fn person_name(rng: &mut Rng, words: &mut WordMaker) -> String {
    let first = FIRST_NAMES[rng.index(FIRST_NAMES.len())];
    format!("{first} {}", capitalize(&words.word()))
}

/// The role articles give speaker `i`.
fn role(rng: &mut Rng, words: &mut WordMaker, i: usize) -> String {
    const ROLES: [&str; 12] = [
        "finance minister",
        "foreign minister",
        "opposition leader",
        "spokeswoman for the ministry",
        "spokesman for the government",
        "chief executive",
        "central bank governor",
        "union leader",
        "mayor",
        "senior analyst",
        "party chair",
        "professor of economics",
    ];
    let base = ROLES[(i + rng.index(ROLES.len())) % ROLES.len()];
    if rng.chance(0.3) {
        format!("{base} of {}", capitalize(&words.word()))
    } else {
        base.to_string()
    }
}

/// A subject entity's name for its kind.
fn entity_name(rng: &mut Rng, words: &mut WordMaker, kind: pb::EntityKind) -> String {
    let w = capitalize(&words.word());
    match kind {
        pb::EntityKind::Person => person_name(rng, words),
        pb::EntityKind::Organization => {
            const FORMS: [&str; 6] = [
                "Ministry of {}",
                "{} Institute",
                "{} Holdings",
                "{} Party",
                "Bank of {}",
                "{} Council",
            ];
            FORMS[rng.index(FORMS.len())].replace("{}", &w)
        }
        pb::EntityKind::Group => {
            const FORMS: [&str; 4] = [
                "{} farmers",
                "{} protesters",
                "{} dock workers",
                "{} officials",
            ];
            FORMS[rng.index(FORMS.len())].replace("{}", &w)
        }
        _ => {
            if rng.chance(0.2) {
                format!("Port {w}")
            } else {
                w
            }
        }
    }
}

/// An outlet's name ("The Velmora Herald").
fn outlet_name(rng: &mut Rng, words: &mut WordMaker) -> String {
    const PAPERS: [&str; 12] = [
        "Herald",
        "Post",
        "Times",
        "Gazette",
        "Courier",
        "Tribune",
        "Observer",
        "Ledger",
        "Chronicle",
        "Dispatch",
        "Monitor",
        "Wire",
    ];
    format!(
        "The {} {}",
        capitalize(&words.word()),
        PAPERS[rng.index(PAPERS.len())]
    )
}

/// The vocabulary by Zipf rank: the real words first (function words lead,
/// as in English text), then real content words interleaved with generated
/// ones. No negations (they would stop re-reports from matching their
/// remark, by design of the matcher) and no digits.
fn vocabulary(words: &mut WordMaker) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(REAL_WORDS.len() + GENERATED_WORDS);
    let mut seen: HashSet<String> = HashSet::new();
    let (function, content) = REAL_WORDS.split_at(FUNCTION_WORDS);
    for w in function {
        if seen.insert((*w).to_string()) {
            out.push((*w).to_string());
        }
    }
    let mut real = content.iter();
    let mut generated = 0;
    while generated < GENERATED_WORDS {
        if let Some(w) = real.next() {
            if seen.insert((*w).to_string()) {
                out.push((*w).to_string());
            }
        }
        for _ in 0..3 {
            if generated == GENERATED_WORDS {
                break;
            }
            let w = words.word();
            if !TERMS.iter().any(|t| w.starts_with(&t[..4])) && seen.insert(w.clone()) {
                out.push(w);
                generated += 1;
            }
        }
    }
    out.extend(
        real.filter(|w| seen.insert((**w).to_string()))
            .map(|w| (*w).to_string()),
    );
    out
}

/// How many of [`REAL_WORDS`] are function words (they take the top ranks).
const FUNCTION_WORDS: usize = 60;

/// Common English words: 60 function words, then content words.
#[rustfmt::skip]
const REAL_WORDS: &[&str] = &[
    "the", "to", "and", "of", "a", "in", "we", "is", "that", "for", "it", "will", "be", "this",
    "have", "are", "on", "with", "as", "our", "they", "i", "at", "by", "from", "was", "has", "but",
    "an", "or", "all", "more", "their", "there", "which", "would", "about", "can", "what", "been",
    "so", "if", "who", "its", "them", "were", "than", "into", "over", "also", "some", "any",
    "very", "must", "should", "could", "other", "those", "these", "now", "government", "people",
    "country", "year", "years", "economy", "plan", "budget", "time", "work", "state", "public",
    "market", "prices", "growth", "policy", "security", "border", "trade", "energy", "gas", "oil",
    "port", "jobs", "workers", "families", "children", "health", "schools", "region", "city",
    "council", "ministry", "agreement", "talks", "deal", "vote", "election", "parliament", "law",
    "court", "rights", "support", "crisis", "war", "peace", "forces", "water", "farmers", "taxes",
    "tax", "money", "funding", "investment", "banks", "interest", "rates", "inflation", "costs",
    "future", "week", "month", "today", "decision", "reform", "pressure", "problem", "question",
    "answer", "report", "figures", "numbers", "evidence", "risk", "safety", "transport", "rail",
    "roads", "housing", "rent", "wages", "pensions", "hospital", "doctors", "patients", "climate",
    "emissions", "coal", "power", "grid", "supply", "demand", "exports", "imports", "tariffs",
    "sanctions", "neighbours", "partners", "allies", "leaders", "minister", "president",
    "opposition", "party", "coalition", "majority", "members", "community", "citizens", "voters",
    "media", "press", "statement", "interview", "meeting", "summit", "process", "system", "sector",
    "industry", "companies", "business", "investors", "debt", "deficit", "surplus", "spending",
    "cuts", "services", "police", "crime", "justice", "migration", "refugees", "aid", "food",
    "harvest", "drought", "floods", "storm", "damage", "recovery", "responsibility", "trust",
    "confidence", "change", "progress", "results", "steps", "measures", "proposal", "approach",
    "strategy", "goal", "target", "mistake", "failure", "success", "chance", "moment", "history",
    "situation", "position", "view", "clear", "serious", "important", "difficult", "strong",
    "weak", "fair", "new", "old", "national", "local", "foreign", "economic", "political",
    "social", "global", "long", "short", "high", "low", "better", "worse", "right", "wrong",
    "ready", "open", "closed", "free", "full", "real", "simple", "make", "take", "give", "keep",
    "bring", "build", "protect", "reduce", "raise", "increase", "cut", "stop", "start", "continue",
    "expect", "believe", "know", "think", "want", "need", "hope", "fear", "agree", "reject",
    "accept", "promise", "deliver", "fight", "win", "lose", "pay", "spend", "invest", "decide",
    "act", "move", "show", "tell", "ask", "meet", "understand", "remain", "become", "return",
    "invite",
];

/// Real first names for people.
#[rustfmt::skip]
const FIRST_NAMES: &[&str] = &[
    "Ana", "Tomas", "Paulo", "Maria", "Jonas", "Elena", "Marco", "Sofia", "Lukas", "Ines", "David",
    "Sara", "Pavel", "Nadia", "Karim", "Leila", "Omar", "Yusuf", "Amira", "Hana", "Kenji", "Mei",
    "Arjun", "Priya", "Ravi", "Olga", "Ivan", "Petra", "Jan", "Eva", "Erik", "Ingrid", "Lars",
    "Astrid", "Mateo", "Lucia", "Diego", "Carmen", "Rafael", "Beatriz", "Samuel", "Grace",
    "Daniel", "Ruth", "Michael", "Helen", "Peter", "Anne", "Thomas", "Clara", "Felix", "Lena",
    "Hugo", "Alice", "Victor", "Irene", "Adam", "Julia", "Simon", "Nora", "Bruno", "Marta", "Emil",
    "Vera", "Oskar", "Agnes", "Nikolai", "Tatiana", "Dmitri", "Zofia", "Kwame", "Ama", "Chidi",
    "Ngozi", "Tendai", "Zanele", "Ali", "Fatima", "Hassan", "Layla", "Mehmet", "Elif", "Can",
    "Aylin", "Jorge", "Isabel", "Andres", "Valeria", "Luis", "Camila", "George", "Rosa", "Henry",
    "Martha", "Oliver", "Emma", "Liam", "Chloe", "Noah", "Maya",
];

#[cfg(test)]
mod tests {
    use super::*;
    use claimdb::domain::statement::{match_score, normalize_text};

    fn small() -> World {
        World::new(GenParams::for_claims(3000, 42))
    }

    #[test]
    fn the_same_parameters_give_the_same_articles() {
        let (a, b) = (small(), small());
        let xs: Vec<_> = a.dataset().take(20).map(|x| x.request).collect();
        let ys: Vec<_> = b.dataset().take(20).map(|x| x.request).collect();
        assert_eq!(xs, ys);
    }

    #[test]
    fn dataset_has_exactly_the_claims_asked_and_planted_counts() {
        let w = small();
        let mut claims = 0;
        let mut counts = [0u64; 3];
        for a in w.dataset() {
            claims += a.claim_count();
            for c in &a.request.claims {
                for (t, term) in TERMS.iter().enumerate() {
                    if c.text
                        .split(|ch: char| !ch.is_alphanumeric())
                        .any(|x| x == *term)
                    {
                        counts[t] += 1;
                    }
                }
            }
        }
        assert_eq!(claims, 3000);
        let want: Vec<u64> = w.params.terms.iter().map(|t| t.claims).collect();
        assert_eq!(counts.to_vec(), want);
    }

    #[test]
    fn spans_slice_to_the_claim_text_and_urls_are_unique() {
        let w = small();
        let mut urls = HashSet::new();
        for a in w.dataset() {
            let art = a.request.article.clone().unwrap_or_default();
            assert!(urls.insert(art.url.clone()));
            let body: Vec<char> = art.body.chars().collect();
            for c in &a.request.claims {
                let s = &c.spans[0];
                let got: String = body[s.start as usize..s.end as usize].iter().collect();
                assert_eq!(got, c.text);
            }
        }
    }

    #[test]
    fn rereports_match_their_remark_as_the_service_would() {
        let w = small();
        let mut first: HashMap<u64, String> = HashMap::new();
        let mut rereports = 0;
        for a in w.dataset() {
            for (c, r) in a.request.claims.iter().zip(&a.remarks) {
                let norm = normalize_text(&c.text);
                match first.get(r) {
                    Some(orig) => {
                        rereports += 1;
                        let (score, _) = match_score(&norm, orig);
                        assert!(score >= 0.99, "{norm:?} vs {orig:?}: {score}");
                    }
                    None => {
                        first.insert(*r, norm);
                    }
                }
            }
        }
        assert!(rereports > 300, "{rereports}");
    }
}
