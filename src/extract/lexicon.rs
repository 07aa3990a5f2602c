//! Word lists the rules consult: reporting verbs, titles, organisation words, pronouns and time words.
//!
//! Every list holds lowercase words and is matched against a token's lowercase form, so lookups are
//! hash-set look-ups built once, on first use, from
//! whitespace-separated word lists. Keeping the vocabulary here, apart from the rules, makes
//! it easy to extend the extractor to new newsroom styles without touching the logic.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// FNV-1a: a fast hash for short keys (the default SipHash costs more than the look-up itself).
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A word list: written as one whitespace-separated string, looked up through a hash set.
pub(crate) struct Lex {
    words: &'static str,
    set: OnceLock<HashSet<&'static str, BuildHasherDefault<Fnv>>>,
}

impl Lex {
    /// A list of the whitespace-separated `words`.
    pub(crate) const fn new(words: &'static str) -> Lex {
        Lex {
            words,
            set: OnceLock::new(),
        }
    }

    /// True when `word` is in the list.
    pub(crate) fn has(&self, word: &str) -> bool {
        self.set
            .get_or_init(|| self.words.split_whitespace().collect())
            .contains(word)
    }
}

/// Reporting verbs (all inflections spelled out) that introduce speech: "said", "told", "warned".
///
/// Belief and evidence verbs ("believe", "show") are left out on purpose: they are not speech.
pub(crate) static CUE_VERBS: Lex = Lex::new(
    "said says say saying told tells tell telling wrote writes write writing added adds adding \
    warned warns warning argued argues arguing claimed claims claiming noted notes noting \
    stated explained explains explaining insisted insists insisting asserted asserts \
    acknowledged acknowledges admitted admits announced announces announcing declared declares \
    estimated ruled alleged allege alleges alleging reported reports posted tweeted tweets \
    suggested suggests suggesting predicted predicts pledged pledges promised promising vowed \
    vows vowing stressed stresses emphasized emphasised emphasizes recalled recalls conceded \
    concedes cautioned cautions contended contends countered counters replied responded \
    responds maintained maintains confirmed confirms denied denies disclosed revealed reveals \
    testified complained complains observed remarked mentioned mentions indicated indicates \
    asked asks urged urges urging accused accuses charged called calling described describes \
    quipped joked boasted repeated reiterated agreed agrees speculated worried lamented \
    recounted signaled signalled hinted assured informed demanded predicting declaring insist \
    argue warn add suggest criticized criticizes criticizing questioned questions questioning \
    blasted blasts slammed slams condemned condemns praised praises denounced denounces \
    chanted tweeting commented describing accusing asking",
);

/// Verbs whose object is the listener ("told reporters that …"), so the content follows the object.
pub(crate) static TELL_VERBS: Lex =
    Lex::new("told tells tell telling assured informed warned urged reminded asked promised");

/// Verbs whose content is their object and its complement ("called the plan “a disaster”",
/// "questioned whether …", "accused Smith of lying").
pub(crate) static OBJECT_CUES: Lex = Lex::new(
    "called calling described describes describing criticized criticizes criticizing questioned \
    questions questioning asked asks asking accused accuses accusing blasted blasts slammed slams \
    condemned condemns praised praises denounced denounces urged urges urging demanded",
);

/// Verbs that need a following that-clause or infinitive to count as a claim: "called Trump a liar"
/// is kept only through the "called on/for" forms, since plain "called" mostly names things.
pub(crate) static WEAK_CUES: Lex = Lex::new(
    "called calls calling charged described describes asked asks accused accuses reported \
    reports posted posts ruled rules repeated agreed agrees worried allegedly denied denies \
    confirmed confirms",
);

/// Auxiliaries and adverbs that may sit between a speaker and the verb ("has also said").
pub(crate) static AUX_ADVERBS: Lex = Lex::new(
    "has have had also later then again previously repeatedly once earlier will would could may \
    might did does do is was were are long often only just already further separately publicly \
    privately recently frequently still even herself himself itself themselves not never \
    simply flatly quickly firmly bluntly strongly openly reportedly allegedly famously \
    initially subsequently first",
);

/// Words that end a speaker noun phrase when walking back from a verb.
pub(crate) static NP_STOPS: Lex = Lex::new(
    "that which when while because after before if as but said says told where since though \
    although whether what how why than so until unless once whom",
);

/// Titles and roles that precede a name ("Foreign Minister Ana Veloso", "Analyst Ravi Menon").
pub(crate) static TITLE_WORDS: Lex = Lex::new(
    "minister president vice prime chancellor secretary senator sen representative rep governor \
    gov mayor judge justice chief executive officer director chairman chairwoman chair \
    chairperson spokesman spokeswoman spokesperson spokespeople analyst economist captain \
    coach leader prosecutor attorney general commissioner ambassador envoy lawyer manager \
    founder co-founder ceo cfo cto professor prof dr mr mrs ms sir dame lord king queen prince \
    princess pope deputy head speaker candidate nominee adviser advisor aide strategist \
    pollster official diplomat researcher scientist editor reporter correspondent columnist \
    author sheriff detective inspector sergeant lieutenant colonel major admiral commander \
    councillor councilman councilwoman congressman congresswoman lawmaker legislator mp mep \
    treasurer auditor ombudsman rabbi reverend rev bishop cardinal father sister defender \
    striker midfielder goalkeeper forward player owner partner presenter host anchor activist \
    organizer organiser maker operator chairs counsel solicitor barrister magistrate principal \
    dean provost superintendent regulator watchdog campaigner trustee president-elect premier \
    emir sheikh",
);

/// Heads of descriptive noun phrases for people ("the minister", "a senior diplomat").
pub(crate) static PERSON_NOUNS: Lex = Lex::new(
    "person official source diplomat member aide adviser advisor spokesperson spokesman \
    spokeswoman executive analyst lawyer attorney minister judge president chair chairman \
    chairwoman prosecutor officer manager director founder captain leader economist expert \
    insider witness resident employee worker driver campaigner activist voter candidate \
    nominee senator governor mayor secretary ambassador strategist researcher professor \
    scientist doctor investigator detective negotiator envoy commissioner lawmaker legislator \
    congressman congresswoman representative woman man mother father owner claimant plaintiff \
    defendant player coach chief head regulator banker trader pollster surgeon nurse teacher \
    student farmer veteran victim",
);

/// Plural descriptive heads that denote unnamed groups ("analysts", "officials", "prosecutors").
pub(crate) static GROUP_NOUNS: Lex = Lex::new(
    "officials sources analysts experts prosecutors investigators lawyers diplomats economists \
    residents critics supporters opponents aides advisers advisors democrats republicans \
    lawmakers legislators people witnesses doctors scientists researchers activists protesters \
    workers employees drivers voters campaigners observers insiders executives authorities \
    police organizers organisers members leaders polls reports documents records data figures \
    statistics estimates",
);

/// Words that mark a capitalised name as an organisation rather than a person.
pub(crate) static ORG_WORDS: Lex = Lex::new(
    "ministry office court union association commission research engineering agency company \
    corp corporation inc ltd llc plc group party council committee federation university bank \
    news post times institute department police government center centre foundation fund \
    reserve board authority administration service services bureau network press journal \
    television radio tv media holdings partners capital securities airlines motors energy \
    industries systems technologies labs laboratories church club league organization \
    organisation alliance coalition campaign embassy parliament congress senate house cabinet \
    army navy force forces guard school college hospital clinic weekly daily herald tribune \
    gazette wire reuters associated cnn cnbc bbc fbi cia nasa pentagon trust society \
    institution exchange observatory poll survey review magazine channel broadcasting studio \
    studios inc. co ag sa gmbh",
);

/// Descriptors that name a company-like speaker before its name ("ride-hailing company Swiftcab").
pub(crate) static ORG_DESCRIPTORS: Lex = Lex::new(
    "company maker firm group operator retailer manufacturer carrier producer giant startup \
    start-up lender insurer bank airline agency regulator watchdog broadcaster publisher \
    outlet newspaper network chain provider developer supplier organization organisation \
    charity union publication daily weekly tabloid website site",
);

/// Nouns naming the occasion or medium of a statement ("in a statement", "told a news conference").
pub(crate) static VENUE_NOUNS: Lex = Lex::new(
    "statement interview post note speech judgment judgement ruling filing memoir letter email \
    e-mail report op-ed analysis column tweet video podcast release conference briefing \
    hearing message broadcast book essay article blog testimony debate rally address session \
    call notice media parliament congress meeting summit",
);

/// Subject and object pronouns that may refer back to a speaker.
pub(crate) static PERSON_PRONOUNS: Lex = Lex::new("he she him her");

/// Pronouns for organisations and groups.
pub(crate) static GROUP_PRONOUNS: Lex = Lex::new("it they we them");

/// Words that may start a capitalised sequence without being part of a name.
pub(crate) static NON_NAME_CAPS: Lex = Lex::new(
    "the a an in on at for but and or if when while after before as his her its their our my \
    this that these those it he she they we i you asked according some many most there here \
    then since until under over by from with without one two three four five six seven eight \
    nine ten dozens hundreds thousands about roughly nearly almost more less all no not nobody \
    everyone every each what who why how where earlier later last next yesterday today \
    tomorrow still also meanwhile however though although because so yet instead photo file \
    handout caption reporting editing mr mrs ms dr to of into such both either neither another \
    other few several any once even only just now despite unlike like among",
);

/// Month names and their abbreviations, mapped to month numbers.
pub(crate) const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("february", 2),
    ("feb", 2),
    ("march", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("may", 5),
    ("june", 6),
    ("jun", 6),
    ("july", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("october", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
];

/// Weekday names mapped to days from Monday (0) to Sunday (6).
pub(crate) const WEEKDAYS: &[(&str, u32)] = &[
    ("monday", 0),
    ("tuesday", 1),
    ("wednesday", 2),
    ("thursday", 3),
    ("friday", 4),
    ("saturday", 5),
    ("sunday", 6),
];

/// Abbreviations whose trailing period does not end a sentence.
pub(crate) static ABBREVIATIONS: Lex = Lex::new(
    "mr mrs ms dr st sen rep gov gen lt col sgt capt prof jan feb mar apr jun jul aug sep sept \
    oct nov dec inc corp co ltd jr sr vs no u.s u.k u.n e.g i.e etc rev ft mt ave blvd approx \
    dept est fig pres d r j",
);

/// Titles whose trailing period never ends a sentence ("Mr. Smith").
pub(crate) static TITLE_ABBREVIATIONS: Lex = Lex::new("mr mrs ms dr sen rep gov gen st prof");

/// True when `word` (lowercase) is in `list`.
pub(crate) fn is_in(list: &Lex, word: &str) -> bool {
    list.has(word)
}

/// Month number of a month word, if it is one.
pub(crate) fn month_of(word: &str) -> Option<u32> {
    MONTHS.iter().find(|(m, _)| *m == word).map(|(_, n)| *n)
}

/// Weekday index (Monday = 0) of a weekday word, possibly possessive ("wednesday").
pub(crate) fn weekday_of(word: &str) -> Option<u32> {
    WEEKDAYS.iter().find(|(d, _)| *d == word).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn said_and_according_lists_cover_the_common_cues() {
        assert!(is_in(&CUE_VERBS, "said"));
        assert!(is_in(&CUE_VERBS, "warned"));
        assert!(!is_in(&CUE_VERBS, "believes"));
    }

    #[test]
    fn months_and_weekdays_map_to_numbers() {
        assert_eq!(month_of("oct"), Some(10));
        assert_eq!(weekday_of("wednesday"), Some(2));
        assert_eq!(month_of("monday"), None);
    }
}
