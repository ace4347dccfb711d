//! Labelled name pairs: chooses and validates `names::MATCH_THRESHOLD`.
//!
//! All names are synthetic: words from the Faker lists in `datasets/names/` combined at random
//! (fixed seed), plus hand-written variants of such combinations. No real person's name.
//!
//! * Positives (same person, written differently): case and spacing, titles, old spellings,
//!   abbreviations (`Moch.`, `St.`, `Abd.`), initials, word order, a missing middle name, one
//!   typing error, phonetic respellings (`y`/`i`, `f`/`p`, `a`/`o` endings, doubled letters,
//!   `dh`/`d`, final `h`), split or joined words (`Nur Hayati`/`Nurhayati`).
//! * Negatives (different people): siblings sharing a family name, the same given name with
//!   another family name, entirely different names, three-word names differing in one word,
//!   gendered counterparts (`-wan`/`-wati`, `-to`/`-ti`, `-ra`/`-ri`), and names that are a
//!   prefix of another (`Cahya`/`Cahyadi`).
//!
//! A randomly drawn negative is kept only if the words that differ are not spelling variants
//! of each other by an independent, deliberately crude rule ([`skeleton`]): otherwise the label
//! itself would be wrong (`Ikhsan`/`Ihsan`, `Teddy`/`Tedi` are one name).
//!
//! The test prints precision and recall at `MATCH_THRESHOLD` (run with `--nocapture`), a sweep
//! of other thresholds, and every misclassified pair; it fails if precision < 0.97 or
//! recall < 0.95. A second set drawn with another seed is a held-out check of the same bounds.

use domain::names::{MATCH_THRESHOLD, similarity};

const GIVEN_MALE: &str = include_str!("../../datasets/names/given_male.txt");
const GIVEN_FEMALE: &str = include_str!("../../datasets/names/given_female.txt");
const FAMILY: &str = include_str!("../../datasets/names/family.txt");
const TITLES_PREFIX: &str = include_str!("../../datasets/names/titles_prefix.txt");
const TITLES_SUFFIX: &str = include_str!("../../datasets/names/titles_suffix.txt");

/// splitmix64: small, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Crude spelling skeleton used only to keep spelling variants out of the negatives.
fn skeleton(word: &str) -> String {
    let mut s = word.to_lowercase();
    for (from, to) in [
        ("oe", "u"),
        ("dj", "j"),
        ("tj", "c"),
        ("h", ""),
        ("y", "i"),
        ("z", "s"),
        ("q", "k"),
        ("f", "p"),
        ("v", "p"),
        ("ae", "ai"),
    ] {
        s = s.replace(from, to);
    }
    let mut out = String::new();
    for c in s.chars() {
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    if out.ends_with('o') {
        out.pop();
        out.push('a');
    }
    out
}

fn same_spelling(a: &str, b: &str) -> bool {
    skeleton(a) == skeleton(b)
}

struct Lists<'a> {
    male: Vec<&'a str>,
    female: Vec<&'a str>,
    family: Vec<&'a str>,
    prefix: Vec<&'a str>,
    suffix: Vec<&'a str>,
}

impl<'a> Lists<'a> {
    fn load() -> Lists<'static> {
        Lists {
            male: lines(GIVEN_MALE),
            female: lines(GIVEN_FEMALE),
            family: lines(FAMILY),
            prefix: lines(TITLES_PREFIX),
            suffix: lines(TITLES_SUFFIX),
        }
    }

    fn given(&self, rng: &mut Rng) -> &'a str {
        if rng.chance(50) {
            rng.pick(&self.male)
        } else {
            rng.pick(&self.female)
        }
    }

    /// A synthetic full name: 2 or 3 words, sometimes with a common leading word.
    fn person(&self, rng: &mut Rng) -> Vec<String> {
        let mut words: Vec<String> = Vec::new();
        match rng.below(10) {
            0 => words.push("Muhammad".into()),
            1 => words.push("Siti".into()),
            2 => words.push(rng.pick(&["Nur", "Sri", "Dwi", "Tri", "Abdul"]).into()),
            _ => {}
        }
        words.push(self.given(rng).into());
        if rng.chance(25) {
            let second = self.given(rng);
            if !words.iter().any(|w| w == second) {
                words.push(second.into());
            }
        }
        let family = rng.pick(&self.family);
        if !words.iter().any(|w| w == family) {
            words.push(family.into());
        }
        words
    }
}

fn join(words: &[String]) -> String {
    words.join(" ")
}

const NEIGHBOURS: &[(char, &str)] = &[
    ('a', "sq"),
    ('b', "vn"),
    ('c', "xv"),
    ('d', "sf"),
    ('e', "wr"),
    ('f', "dg"),
    ('g', "fh"),
    ('h', "gj"),
    ('i', "uo"),
    ('j', "hk"),
    ('k', "jl"),
    ('l', "k"),
    ('m', "n"),
    ('n', "bm"),
    ('o', "ip"),
    ('p', "o"),
    ('r', "et"),
    ('s', "ad"),
    ('t', "ry"),
    ('u', "yi"),
    ('w', "qe"),
    ('y', "tu"),
];

/// One typing error in `word` (not in its first letter).
fn typo(rng: &mut Rng, word: &str) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    let at = 1 + rng.below(chars.len() - 1);
    match rng.below(4) {
        0 => {
            chars.remove(at);
        }
        1 => {
            let c = chars[at];
            chars.insert(at, c);
        }
        2 if at + 1 < chars.len() => chars.swap(at, at + 1),
        _ => {
            let lower = chars[at].to_ascii_lowercase();
            if let Some((_, near)) = NEIGHBOURS.iter().find(|(c, _)| *c == lower) {
                let near: Vec<char> = near.chars().collect();
                chars[at] = near[rng.below(near.len())];
            } else {
                chars.remove(at);
            }
        }
    }
    chars.into_iter().collect()
}

/// Old (pre-1972) spelling of one word, if it has a sound that was spelled differently.
fn old_spelling(word: &str) -> Option<String> {
    let lower = word.to_lowercase();
    for (modern, old) in [
        ("u", "oe"),
        ("j", "dj"),
        ("c", "tj"),
        ("kh", "ch"),
        ("sy", "sj"),
        ("ny", "nj"),
        ("y", "j"),
    ] {
        if let Some(pos) = lower.find(modern) {
            let mut out = lower.clone();
            out.replace_range(pos..pos + modern.len(), old);
            return Some(capitalise(&out));
        }
    }
    None
}

/// A respelling that sounds the same.
fn respell(rng: &mut Rng, word: &str) -> Option<String> {
    let lower = word.to_lowercase();
    let mut options: Vec<String> = Vec::new();
    for (from, to) in [
        ("y", "i"),
        ("i", "y"),
        ("f", "p"),
        ("p", "f"),
        ("z", "s"),
        ("ai", "ae"),
        ("kh", "h"),
        ("sy", "s"),
        ("dh", "d"),
        ("th", "t"),
    ] {
        if let Some(pos) = lower.get(1..).and_then(|rest| rest.find(from)) {
            let mut out = lower.clone();
            out.replace_range(pos + 1..pos + 1 + from.len(), to);
            options.push(out);
        }
    }
    if lower.ends_with('o') {
        options.push(format!("{}a", &lower[..lower.len() - 1]));
    }
    if lower.ends_with('a') && lower.len() > 4 {
        options.push(format!("{}o", &lower[..lower.len() - 1]));
    }
    if lower.ends_with("ah") {
        options.push(lower[..lower.len() - 1].to_string());
    }
    if let Some(pos) = lower
        .char_indices()
        .skip(1)
        .find(|(_, c)| "dtb".contains(*c))
        .map(|(i, _)| i)
    {
        let mut out = lower.clone();
        out.insert(pos + 1, 'h');
        options.push(out);
    }
    // Doubled consonant.
    if let Some(pos) = lower
        .char_indices()
        .skip(1)
        .find(|(_, c)| "dlmnrst".contains(*c))
        .map(|(i, _)| i)
    {
        let mut out = lower.clone();
        let c = out.as_bytes()[pos] as char;
        out.insert(pos, c);
        options.push(out);
    }
    if options.is_empty() {
        return None;
    }
    let chosen = options.swap_remove(rng.below(options.len()));
    Some(capitalise(&chosen))
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A variant of `words` that denotes the same person.
fn positive_variant(
    rng: &mut Rng,
    lists: &Lists<'_>,
    words: &[String],
) -> Option<(String, &'static str)> {
    let mut w: Vec<String> = words.to_vec();
    let kind = rng.below(12);
    let label = match kind {
        0 => {
            let prefix = rng.pick(&lists.prefix);
            let suffix = rng.pick(&lists.suffix);
            let name = join(&w).to_uppercase();
            return Some((
                match rng.below(3) {
                    0 => format!("{prefix} {name}"),
                    1 => format!("{name}, {suffix}"),
                    _ => format!("{prefix} {name}, {suffix}"),
                },
                "titles",
            ));
        }
        1 => {
            let i = rng.below(w.len());
            w[i] = old_spelling(&w[i])?;
            "old spelling"
        }
        2 => {
            let first = w[0].to_lowercase();
            let abbreviations: &[&str] = match first.as_str() {
                "muhammad" => &[
                    "M.", "Moch.", "Muh.", "Mohammad", "MUHAMAD", "Mhd", "Mochamad",
                ],
                "siti" => &["St.", "ST"],
                "abdul" => &["Abd.", "Abd"],
                _ => return None,
            };
            w[0] = rng.pick(abbreviations).to_string();
            "abbreviation"
        }
        3 => {
            if w.len() < 2 {
                return None;
            }
            let first = w[0].chars().next()?;
            w[0] = format!("{first}.");
            "initial"
        }
        4 => {
            if w.len() < 2 {
                return None;
            }
            let last = w.len() - 1;
            w.swap(0, last);
            "word order"
        }
        5 => {
            if w.len() < 3 {
                return None;
            }
            w.remove(1 + rng.below(w.len() - 2));
            "missing middle name"
        }
        6 | 7 => {
            let candidates: Vec<usize> = (0..w.len())
                .filter(|i| w[*i].chars().count() >= 5)
                .collect();
            if candidates.is_empty() {
                return None;
            }
            let i = candidates[rng.below(candidates.len())];
            w[i] = typo(rng, &w[i]);
            "typo"
        }
        8 | 9 => {
            let i = rng.below(w.len());
            w[i] = respell(rng, &w[i])?;
            "respelling"
        }
        10 => {
            let i = (0..w.len().saturating_sub(1)).find(|i| w[*i].chars().count() <= 4)?;
            let joined = format!("{}{}", w[i], w[i + 1].to_lowercase());
            w.splice(i..=i + 1, [joined]);
            "joined words"
        }
        _ => {
            let sep = rng.pick(&["  ", " - ", ".", ", "]);
            return Some((
                join(&w).to_lowercase().replace(' ', sep),
                "case and spacing",
            ));
        }
    };
    Some((join(&w), label))
}

/// A different person, hard to tell apart from `words`.
fn negative_variant(
    rng: &mut Rng,
    lists: &Lists<'_>,
    words: &[String],
) -> Option<(String, &'static str)> {
    let mut w: Vec<String> = words.to_vec();
    let last = w.len() - 1;
    let label = match rng.below(8) {
        7 => {
            // Sibling with a similar given name: same first two letters, length within one.
            let first = w[0].to_lowercase();
            let all: Vec<&str> = lists.male.iter().chain(&lists.female).copied().collect();
            let similar: Vec<&str> = all
                .iter()
                .copied()
                .filter(|o| {
                    let o = o.to_lowercase();
                    o.get(..2) == first.get(..2)
                        && o.len().abs_diff(first.len()) <= 1
                        && !same_spelling(&o, &first)
                })
                .collect();
            if similar.is_empty() {
                return None;
            }
            w[0] = rng.pick(&similar).into();
            if w[1..].iter().any(|x| same_spelling(x, &w[0])) {
                return None;
            }
            "sibling, similar given name"
        }
        0 | 1 => {
            // Sibling: another given name, same family name.
            let given = lists.given(rng);
            if same_spelling(given, &w[0]) || w.iter().any(|x| same_spelling(x, given)) {
                return None;
            }
            w[0] = given.into();
            "sibling (same family name)"
        }
        2 => {
            let family = rng.pick(&lists.family);
            if w.iter().any(|x| same_spelling(x, family)) {
                return None;
            }
            w[last] = family.into();
            "same given name, other family name"
        }
        3 => {
            if w.len() < 3 {
                return None;
            }
            let i = 1 + rng.below(w.len() - 2);
            let given = lists.given(rng);
            if w.iter().any(|x| same_spelling(x, given)) {
                return None;
            }
            w[i] = given.into();
            "three words, middle differs"
        }
        4 => {
            // Gendered counterpart of one word.
            let i = rng.below(w.len());
            let lower = w[i].to_lowercase();
            let swapped = if let Some(stem) = lower.strip_suffix("wan") {
                format!("{stem}wati")
            } else if let Some(stem) = lower.strip_suffix("wati") {
                format!("{stem}wan")
            } else if let Some(stem) = lower.strip_suffix("to") {
                format!("{stem}ti")
            } else if let Some(stem) = lower.strip_suffix("ti") {
                format!("{stem}to")
            } else if let Some(stem) = lower.strip_suffix("ra") {
                format!("{stem}ri")
            } else if let Some(stem) = lower.strip_suffix("ni") {
                format!("{stem}no")
            } else {
                return None;
            };
            w[i] = capitalise(&swapped);
            "gendered counterpart"
        }
        5 => {
            // A name that is a prefix of another (or the other way round).
            let i = rng.below(w.len());
            let lower = w[i].to_lowercase();
            let all: Vec<&str> = lists
                .male
                .iter()
                .chain(&lists.female)
                .chain(&lists.family)
                .copied()
                .collect();
            let related: Vec<&str> = all
                .iter()
                .copied()
                .filter(|o| {
                    let o = o.to_lowercase();
                    o != lower
                        && (o.starts_with(&lower) || lower.starts_with(&o))
                        && o.len().abs_diff(lower.len()) >= 2
                        && !same_spelling(&o, &lower)
                })
                .collect();
            if related.is_empty() {
                return None;
            }
            w[i] = rng.pick(&related).into();
            "prefix-related name"
        }
        _ => {
            let other = lists.person(rng);
            if other.iter().any(|o| w.iter().any(|x| same_spelling(x, o))) {
                return None;
            }
            return Some((join(&other), "different person"));
        }
    };
    Some((join(&w), label))
}

/// Hand-written pairs on synthetic names: (claimed, registry, same person?).
const HAND_WRITTEN: &[(&str, &str, bool)] = &[
    ("Moch. Rizki Hidajat", "MUHAMMAD RIZKI HIDAYAT", true),
    ("M. Rizki Hidayat", "Muhammad Rizki Hidayat", true),
    ("Muh. Bagas Saputra", "MUHAMMAD BAGAS SAPUTRA", true),
    ("Mohamad Ilyas", "Muhammad Ilyas", true),
    ("S. Wahyuni", "Sri Wahyuni", true),
    ("Hj. Siti Aminah, S.Pd.", "SITI AMINAH", true),
    ("St. Nurhaliza Pratiwi", "Siti Nurhaliza Pratiwi", true),
    ("Drs. H. Bambang Setiawan, M.M.", "BAMBANG SETIAWAN", true),
    ("Ir. Joko Susanto", "DJOKO SOESANTO", true),
    ("Tjahya Kusuma", "Cahya Kusuma", true),
    ("Soejono Prabowo", "SUYONO PRABOWO", true),
    ("Nur Hayati", "NURHAYATI", true),
    ("Abd. Rahman Hakim", "ABDUL RAHMAN HAKIM", true),
    ("Achmad Fauzi", "Ahmad Fauzi", true),
    ("Zaenal Mustofa", "Zainal Mustofa", true),
    ("Eddy Santoso", "Edi Santosa", true),
    ("Setyawan Budiman", "Setiawan Budiman", true),
    ("Dhimas Wibowo", "Dimas Wibowo", true),
    ("Fatimah Azzahra", "Fatima Azahra", true),
    ("Santoso, Budi", "Budi Santoso", true),
    ("budi  santoso", "BUDI SANTOSO", true),
    ("Yusuf Hidayat", "Yusup Hidajat", true),
    ("R. Ayu Lestari", "Ayu Lestari", true),
    ("Raden Mas Gilang Pranowo", "Gilang Pranowo", true),
    ("Gilang Pranowo", "Gilang Adi Pranowo", true),
    ("Dewi Kartika Sari", "Dewi Sari", true),
    ("Sri Rahayu Ningsih", "Sri Rahayuningsih", true),
    ("Taufik Hidayat", "Taufiq Hidayat", true),
    ("Ikhsan Maulana", "Ihsan Maulana", true),
    ("Syarifah Halimah", "Sarifah Halimah", true),
    ("Ahmad bin Yusuf", "Ahmad Yusuf", true),
    ("Wahyu Nugroho", "Wahyu Nugraha", true),
    ("Kurniawan Saputra", "Kurniawan Saputro", true),
    ("Agus Santoso", "Budi Santoso", false),
    ("Agus Santoso", "Agus Wibowo", false),
    ("Sri Wahyuni", "Sri Wahyuningsih", false),
    ("Wahyu Hidayat", "Wahyuni Hidayat", false),
    ("Agus Haryanto", "Agus Haryanti", false),
    ("Putra Pratama", "Putri Pratama", false),
    ("Dian Setiawan", "Dian Setiawati", false),
    ("Muhammad Rizki", "Muhammad Fajar", false),
    ("Siti Aminah", "Siti Aisyah", false),
    ("Budi", "Budi Santoso", false),
    ("Rina Wulandari", "Rini Wulandari", false),
    ("Dewi Lestari", "Dewa Lestari", false),
    ("Cahya Pratama", "Cahyadi Pratama", false),
    ("Muhammad Rizki Pratama", "Muhammad Fajar Pratama", false),
    ("Nur Hidayat", "Nur Hidayati", false),
    ("Eko Prasetyo", "Dwi Prasetyo", false),
    ("Ani Susanti", "Ana Susanti", false),
    ("Bagus Wijaya", "Bagas Wijaya", false),
    ("Yulia Rahmawati", "Yuliana Rahmawati", false),
];

struct Case {
    claimed: String,
    registry: String,
    same: bool,
    label: &'static str,
}

fn build_set(seed: u64, per_side: usize) -> Vec<Case> {
    let lists = Lists::load();
    let mut rng = Rng(seed);
    let mut cases = Vec::new();
    let (mut positives, mut negatives) = (0, 0);
    let mut attempts = 0;
    while (positives < per_side || negatives < per_side) && attempts < per_side * 100 {
        attempts += 1;
        let person = lists.person(&mut rng);
        let registry = join(&person).to_uppercase();
        if positives < per_side
            && let Some((claimed, label)) = positive_variant(&mut rng, &lists, &person)
        {
            positives += 1;
            cases.push(Case {
                claimed,
                registry: registry.clone(),
                same: true,
                label,
            });
        }
        if negatives < per_side
            && let Some((claimed, label)) = negative_variant(&mut rng, &lists, &person)
        {
            negatives += 1;
            cases.push(Case {
                claimed,
                registry,
                same: false,
                label,
            });
        }
    }
    cases
}

fn labelled_set() -> Vec<Case> {
    let mut cases = build_set(0x5167_4150, 200);
    for (claimed, registry, same) in HAND_WRITTEN {
        cases.push(Case {
            claimed: (*claimed).to_string(),
            registry: (*registry).to_string(),
            same: *same,
            label: "hand-written",
        });
    }
    cases
}

struct Stats {
    tp: usize,
    fp: usize,
    fn_: usize,
    tn: usize,
}

impl Stats {
    fn at(cases: &[(u8, &Case)], threshold: u8) -> Stats {
        let mut s = Stats {
            tp: 0,
            fp: 0,
            fn_: 0,
            tn: 0,
        };
        for (score, case) in cases {
            match (*score >= threshold, case.same) {
                (true, true) => s.tp += 1,
                (true, false) => s.fp += 1,
                (false, true) => s.fn_ += 1,
                (false, false) => s.tn += 1,
            }
        }
        s
    }

    fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }

    fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
}

fn evaluate(name: &str, cases: &[Case]) -> Stats {
    let scored: Vec<(u8, &Case)> = cases
        .iter()
        .map(|c| (similarity(&c.claimed, &c.registry), c))
        .collect();
    let positives = cases.iter().filter(|c| c.same).count();
    println!(
        "[{name}] {} pairs: {positives} same person, {} different people",
        cases.len(),
        cases.len() - positives
    );
    let mut labels: Vec<&str> = cases.iter().map(|c| c.label).collect();
    labels.sort_unstable();
    labels.dedup();
    for label in labels {
        let of_kind: Vec<&(u8, &Case)> = scored.iter().filter(|(_, c)| c.label == label).collect();
        let right = of_kind
            .iter()
            .filter(|(score, c)| (*score >= MATCH_THRESHOLD) == c.same)
            .count();
        println!("[{name}]   {label:<36} {right:3}/{:3} right", of_kind.len());
    }
    println!("[{name}] threshold sweep (precision / recall):");
    for threshold in (70..=95).step_by(5) {
        let s = Stats::at(&scored, threshold);
        println!(
            "[{name}]   {threshold:3}: {:.3} / {:.3}{}",
            s.precision(),
            s.recall(),
            if threshold == MATCH_THRESHOLD {
                "  <- MATCH_THRESHOLD"
            } else {
                ""
            }
        );
    }
    let stats = Stats::at(&scored, MATCH_THRESHOLD);
    for (score, case) in &scored {
        let predicted = *score >= MATCH_THRESHOLD;
        if predicted != case.same {
            println!(
                "[{name}]   {} {score:3} {:?} vs {:?} ({})",
                if case.same {
                    "missed match:"
                } else {
                    "false match: "
                },
                case.claimed,
                case.registry,
                case.label
            );
        }
    }
    println!(
        "[{name}] MATCH_THRESHOLD = {MATCH_THRESHOLD}: precision {:.3}, recall {:.3} (tp {}, fp {}, fn {}, tn {})",
        stats.precision(),
        stats.recall(),
        stats.tp,
        stats.fp,
        stats.fn_,
        stats.tn
    );
    stats
}

#[test]
fn labelled_set_is_large_and_balanced() {
    let cases = labelled_set();
    let positives = cases.iter().filter(|c| c.same).count();
    let negatives = cases.len() - positives;
    assert!(cases.len() >= 200, "only {} pairs", cases.len());
    assert!(
        positives >= 100 && negatives >= 100,
        "{positives} positives, {negatives} negatives"
    );
    for label in [
        "titles",
        "old spelling",
        "abbreviation",
        "initial",
        "word order",
        "missing middle name",
        "typo",
        "respelling",
        "joined words",
        "sibling (same family name)",
        "sibling, similar given name",
        "same given name, other family name",
        "gendered counterpart",
        "prefix-related name",
    ] {
        assert!(
            cases.iter().any(|c| c.label == label),
            "no pair of kind {label:?}"
        );
    }
}

#[test]
fn precision_and_recall_at_match_threshold() {
    let stats = evaluate("labelled", &labelled_set());
    let (p, r) = (stats.precision(), stats.recall());
    assert!(
        p >= 0.97 && r >= 0.95,
        "MATCH_THRESHOLD {MATCH_THRESHOLD}: precision {p:.3} (need 0.97), recall {r:.3} (need 0.95)"
    );
}

#[test]
fn held_out_set_meets_the_same_bounds() {
    let stats = evaluate("held-out", &build_set(0x0BAD_5EED, 200));
    let (p, r) = (stats.precision(), stats.recall());
    assert!(
        p >= 0.97 && r >= 0.95,
        "held-out at MATCH_THRESHOLD {MATCH_THRESHOLD}: precision {p:.3} (need 0.97), recall {r:.3} (need 0.95)"
    );
}
