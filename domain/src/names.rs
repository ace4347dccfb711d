//! Indonesian personal-name normalisation and fuzzy matching: does the name a resident claims
//! (`claimed`) plausibly denote the name in the population registry (`registry`)?
//!
//! # Normalisation ([`normalize`], [`PreparedName`])
//! 1. Case folded; Latin accents dropped (`é` → `e`); apostrophes removed (`Ma'ruf` → `maruf`);
//!    every other non-letter (space, comma, hyphen, digit, symbol) separates words; dots are kept
//!    only to recognise titles and initials, then split words (`M.Rizki` → `m rizki`).
//! 2. Titles (gelar) removed: prefixes at the start (`H.`, `Hj.`, `Drs.`, `Ir.`, `Dr.`, `Prof.`,
//!    `KH.`, `R.A.`, ...; `datasets/names/titles_prefix.txt` plus a built-in list) and suffixes at
//!    the end (`S.H.`, `S.Pd.`, `M.M.`, ...; `titles_suffix.txt` plus a built-in list), as long
//!    as a name word remains. Prefixes that are also plausible name words or initials (`R.`, `H.`,
//!    `T.`, `Raden`, `Cut`, `Puti`, `Sutan`, `Teuku`, `I`, `Ni`, ...) are kept as *optional*
//!    words: they may match a word of the other name, but cost nothing when unmatched.
//! 3. Connectors `bin`/`binti` dropped; abbreviations expanded: `MOCH`, `MOH`, `MUH`, `MHD`,
//!    `MUHAMAD`, `MOHAMMAD`, `MUHAMMED`, ... → `muhammad`; `ST` → `siti`; `ABD` → `abdul`.
//!    A single letter is an initial (`M.` matches `Muhammad`, `S.` matches `Sri`).
//! 4. Old spellings modernised: `oe`→`u`, `dj`→`j`, `tj`→`c`, `ch`→`kh`, `sj`→`sy`, `nj`→`ny`.
//! 5. Repeated letters collapsed (`Eddy` → `edy`, `Muhammad` → `muhamad`).
//!
//! # Phonetic key ([`phonetic_key`])
//! A deliberately small Indonesian key on a normalised word, so that spellings that sound alike
//! compare equal:
//! `kh`→`h`; `sy`/`sh` before a vowel→`s`; `ph`→`p`; `dz`, `ts`→`s`; `f`,`v`→`p`; `q`→`k`;
//! `x`→`ks`; `z`→`s`; `y`→`i`; `h` after a consonant dropped (`dh`, `th`, `bh`, ...); `h`
//! ending a word dropped (`Fatimah` ~ `Fatima`); `j` between vowels→`i` (old `j` = `y`:
//! `Hidajat` ~ `Hidayat`); then `ai`/`ae`/`ei`→`e`, `au`/`ao`→`o`, `ie`→`i` (`Zainal` ~
//! `Zaenal`, `Taufik` ~ `Topik`); every `o` after the first letter→`a` (Javanese a/o:
//! `Santoso` ~ `Santosa`, `Nugroho` ~ `Nugraha`); repeated letters collapsed.
//!
//! # Similarity ([`similarity`], [`similarity_prepared`])
//! Word-order independent, exactly symmetric (the two names are put in a canonical order):
//! * **word score** (0..=1): 1 for equal words; for an initial, 0.9 against a word with the same
//!   first letter, else 0; otherwise the better of Jaro-Winkler on the normalised words and
//!   0.98 when the phonetic keys are equal, rescaled so that 0.7 and below is 0. Jaro-Winkler is
//!   multiplied by a *length factor* (`(short + 1) / long` when the lengths differ by two or
//!   more: `Wahyu`/`Wahyuni`/`Wahyuningsih`, `Yulia`/`Yuliana` are different names) and an
//!   *ending factor* 0.9 when exactly one word ends in `i`, or one ends in `ah` and the other in
//!   a consonant (Indonesian names carry gender in the ending: `Haryanto`/`Haryanti`,
//!   `Putra`/`Putri`, `Setiawan`/`Setiawati`, `Hasan`/`Hasanah`).
//! * **pairing**: word pairs are taken greedily, best first, until every word of the shorter
//!   name is paired. A pair weighs 2 when it matches (word score ≥ 0.5) and 3 when it does not,
//!   so one wrong word in a long name still counts.
//! * **extra words** of the longer name: an optional title word of the other name may absorb
//!   one (weight 2, its word score); otherwise a missing middle word weighs 0.5 and a missing
//!   first or last word 1 (`Muhammad Pratama` ~ `Muhammad Rizki Pratama`, but `Budi` is not
//!   `Budi Santoso`).
//! * **joined words**: when the word counts differ, adjacent words whose concatenation matches a
//!   word of the other name are also tried joined (`Nur Hayati` ~ `Nurhayati`).
//! * score = Σ weight·word score / Σ weight, halved when no pair of full words (not initials)
//!   matches and no word is equal, scaled to 0-100.
//!
//! Only the first [`MAX_WORDS`] words of a name, and the first 64 bytes of a word, are compared.
//!
//! [`MATCH_THRESHOLD`] was chosen on the labelled set in `tests/name_pairs.rs`, which prints
//! precision and recall.

use std::cmp::Ordering;
use std::sync::OnceLock;

/// Scores at or above this are a match (see `tests/name_pairs.rs`).
pub const MATCH_THRESHOLD: u8 = 85;

const PREFIX_TITLES_FILE: &str = include_str!("../../datasets/names/titles_prefix.txt");
const SUFFIX_TITLES_FILE: &str = include_str!("../../datasets/names/titles_suffix.txt");

/// Prefix titles removed outright (compared case-insensitively, dots ignored), besides those in
/// `titles_prefix.txt`.
const PREFIX_TITLES: &[&str] = &[
    "hj",
    "haji",
    "hajah",
    "hajjah",
    "drs",
    "dra",
    "dr",
    "drg",
    "ir",
    "prof",
    "kh",
    "kyai",
    "ra",
    "rm",
    "rr",
    "tgk",
    "dt",
    "datuk",
    "ust",
    "ustad",
    "ustadz",
    "ustaz",
    "ustadzah",
    "ns",
    "bpk",
    "bapak",
    "ibu",
    "sdr",
    "sdri",
    "tn",
    "ny",
    "nn",
    "alm",
    "almh",
    "almarhum",
    "almarhumah",
];

/// Prefixes that may also be a name word or an initial: kept as optional words.
const OPTIONAL_PREFIXES: &[&str] = &[
    "h", "r", "t", "raden", "mas", "cut", "puti", "sutan", "teuku", "i", "ni", "gusti",
];

/// Suffix titles, besides those in `titles_suffix.txt`.
const SUFFIX_TITLES: &[&str] = &[
    "sh", "se", "st", "spd", "spdi", "ssos", "skom", "ssi", "skm", "sag", "shi", "sip", "sked",
    "skep", "sfarm", "sgz", "sikom", "spsi", "spt", "sei", "ssn", "stp", "sth", "sp", "mh", "mm",
    "mpd", "mkom", "msi", "mkes", "mak", "mfarm", "mti", "mt", "mag", "msc", "mba", "phd", "bsc",
    "ama", "amd", "amdkeb", "amdkep", "amk", "apt", "ners", "spog", "spa", "sppd",
];

/// Abbreviations and spelling variants mapped to one word before spelling modernisation.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("mhd", "muhammad"),
    ("moh", "muhammad"),
    ("mohd", "muhammad"),
    ("moch", "muhammad"),
    ("mochd", "muhammad"),
    ("much", "muhammad"),
    ("muh", "muhammad"),
    ("muhd", "muhammad"),
    ("mochamad", "muhammad"),
    ("mochammad", "muhammad"),
    ("mochamat", "muhammad"),
    ("muchamad", "muhammad"),
    ("muchammad", "muhammad"),
    ("muhamad", "muhammad"),
    ("muhammed", "muhammad"),
    ("muhamed", "muhammad"),
    ("mohammad", "muhammad"),
    ("mohamad", "muhammad"),
    ("mohammed", "muhammad"),
    ("mohamed", "muhammad"),
    ("mokhamad", "muhammad"),
    ("mokhammad", "muhammad"),
    ("mukhamad", "muhammad"),
    ("mukhammad", "muhammad"),
    ("st", "siti"),
    ("sti", "siti"),
    ("abd", "abdul"),
    ("abdoel", "abdul"),
];

/// Connectors dropped from a name.
const CONNECTORS: &[&str] = &["bin", "binti"];

/// Score of an initial against a word with the same first letter.
const INITIAL_SCORE: f64 = 0.9;
/// Word score when phonetic keys are equal but the spellings differ.
const PHONETIC_EQUAL: f64 = 0.98;
/// Raw word similarity at or below this is no evidence at all.
const FLOOR: f64 = 0.7;
/// Weight of a pair of words that match (score >= 0.5).
const MATCH_WEIGHT: f64 = 2.0;
/// Weight of a pair of words that do not match (score < 0.5).
const MISMATCH_WEIGHT: f64 = 3.0;
/// Weight of an unpaired middle word of the longer name.
const EXTRA_WEIGHT: f64 = 0.5;
/// Weight of an unpaired first or last word of the longer name.
const EDGE_EXTRA_WEIGHT: f64 = 1.0;
/// Jaro-Winkler works on at most this many bytes of a word.
const MAX_WORD: usize = 64;
/// Only the first this many words of a name take part in a comparison.
pub const MAX_WORDS: usize = 12;
/// Chunks (words with their dots) examined for titles.
const MAX_CHUNKS: usize = 24;
/// Titles longer than this (dots removed) do not exist (15 bytes + length fit a `u128`).
const MAX_TITLE: usize = 15;

/// Title lists, lower case without dots, each packed into a `u128` ([`pack_title`]) and
/// sorted for binary search.
struct Titles {
    prefix: Vec<u128>,
    suffix: Vec<u128>,
    optional: Vec<u128>,
}

/// Packs up to [`MAX_TITLE`] bytes, dots skipped and ASCII lower-cased (no trimming), into one integer (one
/// byte per position, the length in the low byte). `None` if longer or empty.
fn pack_title(text: &str) -> Option<u128> {
    let mut packed: u128 = 0;
    let mut len: u128 = 0;
    for b in text.bytes().filter(|b| *b != b'.') {
        if len as usize == MAX_TITLE {
            return None;
        }
        packed = (packed << 8) | u128::from(b.to_ascii_lowercase());
        len += 1;
    }
    (len > 0).then_some((packed << 8) | len)
}

fn title_list(builtin: &[&str], file: &str) -> Vec<u128> {
    let mut list: Vec<u128> = builtin
        .iter()
        .copied()
        .chain(file.lines())
        .filter_map(|t| pack_title(t.trim()))
        .collect();
    list.sort_unstable();
    list.dedup();
    list
}

fn titles() -> &'static Titles {
    static TITLES: OnceLock<Titles> = OnceLock::new();
    TITLES.get_or_init(|| Titles {
        prefix: title_list(PREFIX_TITLES, PREFIX_TITLES_FILE),
        suffix: title_list(SUFFIX_TITLES, SUFFIX_TITLES_FILE),
        optional: title_list(OPTIONAL_PREFIXES, ""),
    })
}

fn in_list(list: &[u128], chunk: &str) -> bool {
    pack_title(chunk).is_some_and(|key| in_packed(list, key))
}

fn in_packed(list: &[u128], key: u128) -> bool {
    list.binary_search(&key).is_ok()
}

/// A word of a prepared name: spans of its text and phonetic key in [`PreparedName`]'s buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Word {
    text: (u32, u32),
    key: (u32, u32),
    optional: bool,
}

/// A name normalised once, for repeated comparisons ([`similarity_prepared`]); e.g. normalise
/// registry names when they are loaded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PreparedName {
    /// Word texts (valid UTF-8) and phonetic keys (bytes), one after the other.
    buf: Vec<u8>,
    words: Vec<Word>,
}

impl PreparedName {
    /// Normalises `name` (see the module docs).
    #[must_use]
    pub fn new(name: &str) -> PreparedName {
        let chunks_text = split_chunks(name);
        let mut prepared = PreparedName {
            buf: Vec::with_capacity(2 * chunks_text.len() + 8),
            words: Vec::new(),
        };
        let has_word = |c: &str| c.bytes().any(|b| b != b'.');
        // Chunk spans on the stack; chunks past MAX_CHUNKS stay in the last span (its words
        // are still split on spaces below, only title detection ignores them).
        let mut spans = [(0usize, 0usize); MAX_CHUNKS];
        let mut count = 0;
        let mut offset = 0;
        for chunk in chunks_text.split(' ') {
            let span = (offset, offset + chunk.len());
            offset += chunk.len() + 1;
            if !has_word(chunk) {
                continue;
            }
            if count < MAX_CHUNKS {
                spans[count] = span;
                count += 1;
            } else {
                spans[MAX_CHUNKS - 1].1 = span.1;
            }
        }
        let chunk = |i: usize| {
            spans
                .get(i)
                .and_then(|(s, e)| chunks_text.get(*s..*e))
                .unwrap_or("")
        };
        let Some(mut last) = count.checked_sub(1) else {
            return prepared;
        };
        let titles = titles();
        // Suffix titles (at least one chunk stays before them).
        while last > 0 && in_list(&titles.suffix, chunk(last)) {
            last -= 1;
        }
        // Prefix titles (at least one chunk stays after them).
        let mut start = 0;
        while start < last {
            let current = chunk(start);
            let Some(key) = pack_title(current) else {
                break;
            };
            if in_packed(&titles.optional, key) {
                for piece in current.split('.').filter(|p| !p.is_empty()) {
                    prepared.push_word(piece, true);
                }
            } else if !in_packed(&titles.prefix, key) {
                break;
            }
            start += 1;
        }
        prepared.words.reserve(last + 1 - start);
        for index in start..=last {
            for piece in chunk(index).split(['.', ' ']).filter(|p| !p.is_empty()) {
                if !CONNECTORS.contains(&piece) {
                    prepared.push_word(piece, false);
                }
            }
        }
        prepared
    }

    fn push_word(&mut self, raw: &str, optional: bool) {
        let expanded =
            if raw.len() <= 9 && matches!(raw.as_bytes().first(), Some(b'm' | b's' | b'a')) {
                ABBREVIATIONS
                    .iter()
                    .find(|(from, _)| *from == raw)
                    .map_or(raw, |(_, to)| *to)
            } else {
                raw
            };
        let text_start = self.buf.len();
        modernise_into(expanded, &mut self.buf);
        let text_end = self.buf.len();
        if text_end == text_start {
            return;
        }
        phonetic_key_at(&mut self.buf, text_start..text_end);
        let key_end = self.buf.len();
        self.words.push(Word {
            text: (span(text_start), span(text_end)),
            key: (span(text_end), span(key_end)),
            optional,
        });
    }

    /// Whether nothing name-like was left after normalisation.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        !self.words.iter().any(|w| !w.optional)
    }

    /// The normalised words (optional title words excluded), space-separated.
    #[must_use]
    pub fn normalized(&self) -> String {
        let mut out = String::with_capacity(self.buf.len());
        for word in self.words() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
        out
    }

    /// The normalised words (optional title words excluded).
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.words
            .iter()
            .filter(|w| !w.optional)
            .map(|w| self.word_text(w))
    }

    fn word_text(&self, word: &Word) -> &str {
        std::str::from_utf8(self.word_bytes(word)).unwrap_or("")
    }

    fn word_bytes(&self, word: &Word) -> &[u8] {
        self.buf
            .get(word.text.0 as usize..word.text.1 as usize)
            .unwrap_or(&[])
    }

    fn word_key(&self, word: &Word) -> &[u8] {
        self.buf
            .get(word.key.0 as usize..word.key.1 as usize)
            .unwrap_or(&[])
    }

    /// The first [`MAX_WORDS`] words as compared.
    fn view(&self) -> View<'_> {
        let mut view = View::default();
        for word in self.words.iter().take(MAX_WORDS) {
            view.push(Tok {
                text: self.word_bytes(word),
                key: self.word_key(word),
                optional: word.optional,
            });
        }
        view
    }
}

fn span(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}

/// Lower-cases, folds accents, removes apostrophes and turns every other non-letter except `.`
/// into a single space.
fn split_chunks(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 1);
    let mut pending_space = false;
    if name.is_ascii() {
        // Same rules as below, byte by byte.
        for &b in name.as_bytes() {
            match b {
                b'\'' | b'`' => {}
                b'a'..=b'z' | b'A'..=b'Z' => {
                    if pending_space && !out.is_empty() {
                        out.push(' ');
                    }
                    pending_space = false;
                    out.push(char::from(b.to_ascii_lowercase()));
                }
                b'.' => {
                    pending_space = false;
                    out.push('.');
                }
                _ => pending_space = true,
            }
        }
        return out;
    }
    for c in name.chars() {
        if matches!(
            c,
            '\'' | '`' | '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{00B4}'
        ) {
            continue;
        }
        let folded = fold_char(c);
        if let Some(letter) = folded {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(letter);
        } else if c == '.' {
            pending_space = false;
            out.push('.');
        } else if c.is_alphabetic() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// ASCII letters lower-cased; common Latin accented letters folded to ASCII.
fn fold_char(c: char) -> Option<char> {
    if c.is_ascii_alphabetic() {
        return Some(c.to_ascii_lowercase());
    }
    let folded = match c {
        'à'..='å' | 'À'..='Å' | 'ā' | 'Ā' => 'a',
        'ç' | 'Ç' => 'c',
        'è'..='ë' | 'È'..='Ë' | 'ē' | 'Ē' => 'e',
        'ì'..='ï' | 'Ì'..='Ï' | 'ī' | 'Ī' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò'..='ö' | 'ø' | 'Ò'..='Ö' | 'Ø' | 'ō' | 'Ō' => 'o',
        'ù'..='ü' | 'Ù'..='Ü' | 'ū' | 'Ū' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        _ => return None,
    };
    Some(folded)
}

/// Old spellings to current ones, then repeated ASCII letters collapsed; appended to `out`.
/// Only ASCII bytes are rewritten, so UTF-8 stays valid.
fn modernise_into(word: &str, out: &mut Vec<u8>) {
    let start = out.len();
    let bytes = word.as_bytes();
    let push = |b: u8, out: &mut Vec<u8>| {
        if !(b.is_ascii() && out.len() > start && out.last() == Some(&b)) {
            out.push(b);
        }
    };
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let replacement: &[u8] = match (b, bytes.get(i + 1)) {
            (b'o', Some(b'e')) => b"u",
            (b'd', Some(b'j')) => b"j",
            (b't', Some(b'j')) => b"c",
            (b'c', Some(b'h')) => b"kh",
            (b's', Some(b'j')) => b"sy",
            (b'n', Some(b'j')) => b"ny",
            _ => {
                push(b, out);
                i += 1;
                continue;
            }
        };
        for &r in replacement {
            push(r, out);
        }
        i += 2;
    }
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// The phonetic key of one normalised word (see the module docs).
///
/// ```
/// use domain::names::phonetic_key;
/// assert_eq!(phonetic_key("wahyuni"), phonetic_key("wahyuny"));
/// assert_eq!(phonetic_key("zainal"), phonetic_key("zaenal"));
/// assert_eq!(phonetic_key("santoso"), phonetic_key("santosa"));
/// assert_ne!(phonetic_key("budi"), phonetic_key("bagus"));
/// ```
#[must_use]
pub fn phonetic_key(word: &str) -> String {
    let mut buf = word.as_bytes().to_vec();
    phonetic_key_at(&mut buf, 0..word.len());
    String::from_utf8_lossy(buf.get(word.len()..).unwrap_or(&[])).into_owned()
}

/// Appends to `buf` the phonetic key of the word at `buf[word]`, rewriting in place (no
/// allocation beyond `buf`).
fn phonetic_key_at(buf: &mut Vec<u8>, word: std::ops::Range<usize>) {
    let start = buf.len();
    let at = |buf: &Vec<u8>, i: usize| {
        if word.start + i < word.end {
            buf.get(word.start + i).copied()
        } else {
            None
        }
    };
    // Pass 1: consonants.
    let mut i = 0;
    while let Some(c) = at(buf, i) {
        let next = at(buf, i + 1);
        let prev = if buf.len() > start {
            buf.last().copied()
        } else {
            None
        };
        let mut used = 1;
        match (c, next) {
            (b'k', Some(b'h')) => {
                buf.push(b'h');
                used = 2;
            }
            (b's', Some(b'y' | b'h')) if at(buf, i + 2).is_none_or(is_vowel) => {
                buf.push(b's');
                used = 2;
            }
            (b'd', Some(b'z')) | (b't', Some(b's')) => {
                buf.push(b's');
                used = 2;
            }
            (b'p', Some(b'h')) => {
                buf.push(b'p');
                used = 2;
            }
            (b'f' | b'v', _) => buf.push(b'p'),
            (b'q', _) => buf.push(b'k'),
            (b'x', _) => buf.extend_from_slice(b"ks"),
            (b'z', _) => buf.push(b's'),
            (b'y', _) => buf.push(b'i'),
            (b'h', _) => {
                let after_consonant = prev.is_some_and(|p| p.is_ascii_alphabetic() && !is_vowel(p));
                let at_end = next.is_none() && prev.is_some();
                if !after_consonant && !at_end {
                    buf.push(b'h');
                }
            }
            (b'j', Some(n)) if is_vowel(n) && prev.is_some_and(is_vowel) => buf.push(b'i'),
            _ => buf.push(c),
        }
        i += used;
    }
    // Pass 2, in place: vowel pairs, Javanese a/o (`Nugroho` ~ `Nugraha`), repeated letters.
    let mut read = start;
    let mut write = start;
    while let Some(&first) = buf.get(read) {
        let (mut c, used) = match (first, buf.get(read + 1)) {
            (b'a', Some(b'i' | b'e')) | (b'e', Some(b'i')) => (b'e', 2),
            (b'a', Some(b'u' | b'o')) => (b'o', 2),
            (b'i', Some(b'e')) => (b'i', 2),
            (c, _) => (c, 1),
        };
        if c == b'o' && write > start {
            c = b'a';
        }
        if write == start || buf.get(write - 1) != Some(&c) {
            if let Some(slot) = buf.get_mut(write) {
                *slot = c;
            }
            write += 1;
        }
        read += used;
    }
    buf.truncate(write);
    if buf.len() == start {
        buf.extend_from_within(word);
    }
}

/// Normalises a name: the words left after the steps in the module docs, space-separated
/// (optional title words such as a leading `R.` are left out).
///
/// ```
/// assert_eq!(domain::names::normalize("Hj. Siti Aminah, S.Pd."), "siti aminah");
/// assert_eq!(domain::names::normalize("MOCH. Soedjono"), "muhamad sujono");
/// ```
#[must_use]
pub fn normalize(name: &str) -> String {
    PreparedName::new(name).normalized()
}

/// Jaro-Winkler similarity of two strings' bytes (`0.0..=1.0`; prefix scale 0.1, up to 4
/// bytes, applied when Jaro exceeds 0.7). Only the first 64 bytes of each are compared.
#[must_use]
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    jaro_winkler_bytes(a.as_bytes(), b.as_bytes())
}

fn jaro_winkler_bytes(a: &[u8], b: &[u8]) -> f64 {
    let a = a.get(..MAX_WORD).unwrap_or(a);
    let b = b.get(..MAX_WORD).unwrap_or(b);
    if a.is_empty() || b.is_empty() {
        return if a.is_empty() && b.is_empty() {
            1.0
        } else {
            0.0
        };
    }
    if a == b {
        return 1.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_flags: u64 = 0;
    let mut b_flags: u64 = 0;
    let mut matches = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if b_flags & (1 << j) == 0 && b.get(j) == Some(&ca) {
                a_flags |= 1 << i;
                b_flags |= 1 << j;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut b_iter = (0..b.len()).filter(|j| b_flags & (1 << j) != 0);
    for (i, ca) in a.iter().enumerate() {
        if a_flags & (1 << i) != 0
            && let Some(j) = b_iter.next()
            && b.get(j) != Some(ca)
        {
            transpositions += 1;
        }
    }
    let m = matches as f64;
    let t = (transpositions / 2) as f64;
    let jaro = (m / a.len() as f64 + m / b.len() as f64 + (m - t) / m) / 3.0;
    if jaro <= 0.7 {
        return jaro;
    }
    let prefix = a
        .iter()
        .zip(b.iter())
        .take(4)
        .take_while(|(x, y)| x == y)
        .count();
    jaro + prefix as f64 * 0.1 * (1.0 - jaro)
}

/// A word as compared: normalised text, phonetic key, optional flag.
#[derive(Debug, Clone, Copy, Default)]
struct Tok<'a> {
    text: &'a [u8],
    key: &'a [u8],
    optional: bool,
}

impl Tok<'_> {
    fn is_initial(&self) -> bool {
        self.text.len() == 1
    }
}

/// Up to [`MAX_WORDS`] words, on the stack.
#[derive(Debug, Clone, Copy, Default)]
struct View<'a> {
    toks: [Tok<'a>; MAX_WORDS],
    len: usize,
}

impl<'a> View<'a> {
    fn push(&mut self, tok: Tok<'a>) {
        if let Some(slot) = self.toks.get_mut(self.len) {
            *slot = tok;
            self.len += 1;
        }
    }

    fn as_slice(&self) -> &[Tok<'a>] {
        self.toks.get(..self.len).unwrap_or(&[])
    }

    fn required(&self) -> usize {
        self.as_slice().iter().filter(|t| !t.optional).count()
    }
}

/// Penalty for words of very different length (`Wahyu` vs `Wahyuningsih`).
fn length_factor(a: usize, b: usize) -> f64 {
    let (short, long) = (a.min(b), a.max(b));
    if long - short >= 2 {
        (short + 1) as f64 / long as f64
    } else {
        1.0
    }
}

/// Penalty for words that end differently where a vowel is involved: Indonesian names carry
/// gender and identity in the ending (`Haryanto`/`Haryanti`, `Putra`/`Putri`,
/// `Setiawan`/`Setiawati`).
fn ending_factor(a: &[u8], b: &[u8]) -> f64 {
    let feminine_ah = |x: &[u8], y: &[u8]| {
        x.ends_with(b"ah") && y.last().is_some_and(|c| !is_vowel(*c) && *c != b'h')
    };
    match (a.last(), b.last()) {
        (Some(x), Some(y)) if x != y && (*x == b'i' || *y == b'i') => 0.9,
        _ if feminine_ah(a, b) || feminine_ah(b, a) => 0.9,
        _ => 1.0,
    }
}

/// Evidence that two words are the same (0.0..=1.0), symmetric.
fn word_score(a: &Tok<'_>, b: &Tok<'_>) -> f64 {
    let (a, b) = if (a.text, a.key) <= (b.text, b.key) {
        (a, b)
    } else {
        (b, a)
    };
    if a.text == b.text {
        return 1.0;
    }
    if a.is_initial() || b.is_initial() {
        let same_letter = a.text.first() == b.text.first() || a.key.first() == b.key.first();
        return if same_letter { INITIAL_SCORE } else { 0.0 };
    }
    let by_text = jaro_winkler_bytes(a.text, b.text)
        * length_factor(a.text.len(), b.text.len())
        * ending_factor(a.text, b.text);
    let by_key = if a.key == b.key { PHONETIC_EQUAL } else { 0.0 };
    let raw = by_text.max(by_key);
    ((raw - FLOOR) / (1.0 - FLOOR)).clamp(0.0, 1.0)
}

/// Joins adjacent words of `many` whose concatenation matches a word of `few` better than
/// either word alone (`nur hayati` vs `nurhayati`). Returns the joined words' text and key
/// buffers, or `None` when nothing was joined.
fn join_split_words(many: &[Tok<'_>], few: &[Tok<'_>]) -> Option<Vec<(Vec<u8>, usize, bool)>> {
    // Each entry: buffer with text then key, the text length, the optional flag.
    let mut out: Vec<(Vec<u8>, usize, bool)> = Vec::with_capacity(many.len());
    let owned = |t: &Tok<'_>| {
        let mut buf = t.text.to_vec();
        buf.extend_from_slice(t.key);
        (buf, t.text.len(), t.optional)
    };
    let mut changed = false;
    let mut i = 0;
    while let Some(x) = many.get(i) {
        if let Some(y) = many.get(i + 1)
            && !x.optional
            && !y.optional
            && !x.is_initial()
            && !y.is_initial()
        {
            let mut concatenated = String::from_utf8_lossy(x.text).into_owned();
            concatenated.push_str(&String::from_utf8_lossy(y.text));
            let mut buf = Vec::with_capacity(2 * concatenated.len());
            modernise_into(&concatenated, &mut buf);
            let text_len = buf.len();
            phonetic_key_at(&mut buf, 0..text_len);
            let (text, key) = buf.split_at(text_len);
            let joined = Tok {
                text,
                key,
                optional: false,
            };
            let better = few.iter().any(|f| {
                let s = word_score(&joined, f);
                s >= 0.8 && s > word_score(x, f) && s > word_score(y, f)
            });
            if better {
                out.push((buf, text_len, false));
                changed = true;
                i += 2;
                continue;
            }
        }
        out.push(owned(x));
        i += 1;
    }
    changed.then_some(out)
}

/// Similarity of two word lists (0.0..=1.0), `a` and `b` in canonical order. No allocation.
fn score_words(a: &[Tok<'_>], b: &[Tok<'_>]) -> f64 {
    // Indexes of required and optional words.
    let split = |words: &[Tok<'_>]| {
        let mut required = [0usize; MAX_WORDS];
        let mut optional = [0usize; MAX_WORDS];
        let (mut nr, mut no) = (0, 0);
        for (i, t) in words.iter().enumerate().take(MAX_WORDS) {
            if t.optional {
                optional[no] = i;
                no += 1;
            } else {
                required[nr] = i;
                nr += 1;
            }
        }
        (required, nr, optional, no)
    };
    let (a_req, na, a_opt, nao) = split(a);
    let (b_req, nb, b_opt, nbo) = split(b);
    if na == 0 || nb == 0 {
        return 0.0;
    }
    // All pairs of required words, best first (ties by position: deterministic).
    let mut pairs = [(0.0f32, 0u8, 0u8); MAX_WORDS * MAX_WORDS];
    let mut count = 0;
    for i in 0..na {
        for j in 0..nb {
            pairs[count] = (
                word_score(&a[a_req[i]], &b[b_req[j]]) as f32,
                i as u8,
                j as u8,
            );
            count += 1;
        }
    }
    let pairs = &mut pairs[..count];
    pairs.sort_unstable_by(|p, q| {
        q.0.partial_cmp(&p.0)
            .unwrap_or(Ordering::Equal)
            .then(p.1.cmp(&q.1))
            .then(p.2.cmp(&q.2))
    });
    let (mut a_used, mut b_used) = (0u32, 0u32);
    let (mut numerator, mut denominator) = (0.0, 0.0);
    let mut solid = false;
    let mut paired = 0;
    for &(score, i, j) in pairs.iter() {
        let score = f64::from(score);
        if paired == na.min(nb) {
            break;
        }
        if a_used & (1 << i) != 0 || b_used & (1 << j) != 0 {
            continue;
        }
        a_used |= 1 << i;
        b_used |= 1 << j;
        paired += 1;
        let weight = if score >= 0.5 {
            MATCH_WEIGHT
        } else {
            MISMATCH_WEIGHT
        };
        numerator += weight * score;
        denominator += weight;
        let (x, y) = (&a[a_req[usize::from(i)]], &b[b_req[usize::from(j)]]);
        if score >= 0.5 && (x.text == y.text || (!x.is_initial() && !y.is_initial())) {
            solid = true;
        }
    }
    // Unpaired words of the longer name: an optional word of the other name may absorb them;
    // otherwise a missing middle word costs EXTRA_WEIGHT, a missing first or last word
    // EDGE_EXTRA_WEIGHT.
    for (words, required, n, used, other, optional, n_opt) in [
        (a, &a_req, na, a_used, b, &b_opt, nbo),
        (b, &b_req, nb, b_used, a, &a_opt, nao),
    ] {
        let mut opt_used = 0u32;
        for position in (0..n).filter(|p| used & (1 << p) == 0) {
            let extra = &words[required[position]];
            let mut best: Option<(f64, usize)> = None;
            for k in (0..n_opt).filter(|k| opt_used & (1 << k) == 0) {
                let score = word_score(extra, &other[optional[k]]);
                if score > 0.0 && best.is_none_or(|(s, _)| score > s) {
                    best = Some((score, k));
                }
            }
            match best {
                Some((score, k)) => {
                    opt_used |= 1 << k;
                    numerator += MATCH_WEIGHT * score;
                    denominator += MATCH_WEIGHT;
                }
                None if position == 0 || position + 1 == n => denominator += EDGE_EXTRA_WEIGHT,
                None => denominator += EXTRA_WEIGHT,
            }
        }
    }
    let score = if denominator > 0.0 {
        numerator / denominator
    } else {
        0.0
    };
    if solid { score } else { score * 0.5 }
}

/// Similarity of two prepared names, 0-100 (100 = same normalised words). Symmetric.
#[must_use]
pub fn similarity_prepared(claimed: &PreparedName, registry: &PreparedName) -> u8 {
    let (a, b) = canonical_order(claimed, registry);
    let a_view = a.view();
    let b_view = b.view();
    let mut best = score_words(a_view.as_slice(), b_view.as_slice());
    // Split/joined words: only when the word counts differ.
    let (a_req, b_req) = (a_view.required(), b_view.required());
    if a_req != b_req && best < 1.0 {
        let (many, few) = if a_req > b_req {
            (&a_view, &b_view)
        } else {
            (&b_view, &a_view)
        };
        if let Some(joined) = join_split_words(many.as_slice(), few.as_slice()) {
            let mut joined_view = View::default();
            for (buf, text_len, optional) in &joined {
                let (text, key) = buf.split_at(*text_len);
                joined_view.push(Tok {
                    text,
                    key,
                    optional: *optional,
                });
            }
            let rescored = if a_req > b_req {
                score_words(joined_view.as_slice(), few.as_slice())
            } else {
                score_words(few.as_slice(), joined_view.as_slice())
            };
            best = best.max(rescored);
        }
    }
    to_percent(best)
}

fn canonical_order<'a>(
    x: &'a PreparedName,
    y: &'a PreparedName,
) -> (&'a PreparedName, &'a PreparedName) {
    let kx = (x.words.len(), x.buf.as_slice(), x.words.as_slice());
    let ky = (y.words.len(), y.buf.as_slice(), y.words.as_slice());
    if kx <= ky { (x, y) } else { (y, x) }
}

fn to_percent(score: f64) -> u8 {
    let percent = (score.clamp(0.0, 1.0) * 100.0).round();
    // In 0..=100 after the clamp.
    percent as u8
}

/// How similar the name a resident claims is to the registry name, 0-100. Symmetric.
/// Compare with [`MATCH_THRESHOLD`] (or use [`is_match`]). An empty or title-only name scores 0
/// against anything.
///
/// ```
/// use domain::names::{similarity, MATCH_THRESHOLD};
/// assert!(similarity("Moch. Rizki Hidajat", "MUHAMMAD RIZKI HIDAYAT") >= MATCH_THRESHOLD);
/// assert!(similarity("S. Wahyuni", "Sri Wahyuni") >= MATCH_THRESHOLD);
/// assert!(similarity("Agus Santoso", "Budi Santoso") < MATCH_THRESHOLD);
/// ```
#[must_use]
pub fn similarity(claimed: &str, registry: &str) -> u8 {
    similarity_prepared(&PreparedName::new(claimed), &PreparedName::new(registry))
}

/// `similarity(claimed, registry) >= MATCH_THRESHOLD`.
#[must_use]
pub fn is_match(claimed: &str, registry: &str) -> bool {
    similarity(claimed, registry) >= MATCH_THRESHOLD
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_files_are_loaded() {
        let t = titles();
        // From titles_prefix.txt / titles_suffix.txt (not in the built-in lists).
        assert!(in_list(&t.prefix, "drg."));
        assert!(in_list(&t.suffix, "s.i.kom"));
        assert!(in_list(&t.suffix, "m.ti."));
        assert!(in_list(&t.optional, "r."));
        assert!(!in_list(&t.prefix, "budi"));
        // Too long to be a title.
        assert!(!in_list(&t.suffix, "abcdefghijklmnopqrstuvwxyz"));
    }

    #[test]
    fn modernise_and_collapse() {
        let run = |w: &str| {
            let mut out = Vec::new();
            modernise_into(w, &mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(run("soekarjo"), "sukarjo");
        assert_eq!(run("djojo"), "jojo");
        assert_eq!(run("tjipto"), "cipto");
        assert_eq!(run("chairil"), "khairil");
        assert_eq!(run("sjahrir"), "syahrir");
        assert_eq!(run("njai"), "nyai");
        assert_eq!(run("muhammad"), "muhamad");
        assert_eq!(run("oooe"), "ou");
    }

    #[test]
    fn edit_helpers() {
        assert!((length_factor(5, 6) - 1.0).abs() < f64::EPSILON);
        assert!((length_factor(5, 7) - 6.0 / 7.0).abs() < f64::EPSILON);
        assert!((ending_factor(b"haryanto", b"haryanti") - 0.9).abs() < f64::EPSILON);
        assert!((ending_factor(b"hasanah", b"hasan") - 0.9).abs() < f64::EPSILON);
        assert!((ending_factor(b"fatimah", b"fatima") - 1.0).abs() < f64::EPSILON);
        assert!((ending_factor(b"santoso", b"santosa") - 1.0).abs() < f64::EPSILON);
    }

    #[test]
    fn word_limit_is_respected() {
        let many = "a b c d e f g h i j k l m n o p q r s t";
        let p = PreparedName::new(many);
        assert_eq!(p.words().count(), 20);
        assert_eq!(p.view().len, MAX_WORDS);
        assert_eq!(similarity(many, many), 100);
    }
}
