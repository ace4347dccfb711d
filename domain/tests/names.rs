//! Name normalisation, phonetic key, Jaro-Winkler and similarity on hand-picked synthetic
//! examples (the labelled set with precision/recall is in `name_pairs.rs`).

use domain::names::{
    MATCH_THRESHOLD, PreparedName, is_match, jaro_winkler, normalize, phonetic_key, similarity,
    similarity_prepared,
};

#[test]
fn jaro_winkler_reference_values() {
    // Classic values from Winkler's papers.
    let close = |a: &str, b: &str, expected: f64| {
        let got = jaro_winkler(a, b);
        assert!(
            (got - expected).abs() < 0.001,
            "{a}/{b}: {got} != {expected}"
        );
    };
    close("martha", "marhta", 0.961);
    close("dwayne", "duane", 0.840);
    close("dixon", "dicksonx", 0.813);
    close("abc", "abc", 1.0);
    close("abc", "xyz", 0.0);
    close("", "", 1.0);
    close("a", "", 0.0);
    assert_eq!(jaro_winkler("budi", "idub"), jaro_winkler("idub", "budi"));
}

#[test]
fn normalisation_steps() {
    // Case, punctuation, titles before and after, comma.
    assert_eq!(
        normalize("Drs. H. BAMBANG   Setiawan, S.H., M.M."),
        "bambang setiawan"
    );
    assert_eq!(normalize("Hj. Siti Aminah, S.Pd."), "siti aminah");
    assert_eq!(normalize("Prof. Dr. Ir. Joko Susanto"), "joko susanto");
    // A title alone stays (nothing else is left).
    assert_eq!(normalize("Dr."), "dr");
    // Optional title words are not part of the normalised form.
    assert_eq!(normalize("R. Ayu Lestari"), "ayu lestari");
    assert_eq!(normalize("Raden Mas Gilang"), "gilang");
    // Abbreviations.
    assert_eq!(normalize("Moch. Rizki"), "muhamad rizki");
    assert_eq!(normalize("MUH RIZKI"), "muhamad rizki");
    assert_eq!(normalize("Mohammad Rizki"), "muhamad rizki");
    assert_eq!(normalize("St. Aminah"), "siti aminah");
    assert_eq!(normalize("Abd. Rahman"), "abdul rahman");
    // `M.` is an initial, not expanded; `M.Rizki` is split at the dot.
    assert_eq!(normalize("M.Rizki"), "m rizki");
    // Old spellings and collapsed letters.
    assert_eq!(normalize("Soedjono"), "sujono");
    assert_eq!(normalize("Tjahjo"), "cahjo");
    assert_eq!(normalize("Achmad"), "akhmad");
    assert_eq!(normalize("Sjarifah"), "syarifah");
    assert_eq!(normalize("Njoman"), "nyoman");
    assert_eq!(normalize("Eddy Abdullah"), "edy abdulah");
    // Apostrophes, hyphens, accents, connectors.
    assert_eq!(normalize("Ma'ruf Amin-Syah"), "maruf amin syah");
    assert_eq!(normalize("José Núñez"), "jose nunez");
    assert_eq!(normalize("Ahmad bin Yusuf"), "ahmad yusuf");
    // Nothing name-like.
    assert_eq!(normalize(""), "");
    assert_eq!(normalize(" .,- 123 "), "");
    assert!(PreparedName::new("...").is_empty());
}

#[test]
fn phonetic_keys() {
    let same = |a: &str, b: &str| {
        assert_eq!(phonetic_key(a), phonetic_key(b), "{a} / {b}");
    };
    same("wahyuni", "wahyuny");
    same("setyawan", "setiawan");
    same("zainal", "zaenal");
    same("taufik", "taufiq");
    same("yusuf", "yusup");
    same("fitri", "pitri");
    same("santoso", "santosa");
    same("nugroho", "nugraha");
    same("hidajat", "hidayat");
    same("dhimas", "dimas");
    same("fatimah", "fatima");
    same("ikhsan", "ihsan");
    same("syarifah", "sarifah");
    same("siti", "syti");
    let differ = |a: &str, b: &str| {
        assert_ne!(phonetic_key(a), phonetic_key(b), "{a} / {b}");
    };
    differ("budi", "bagus");
    differ("putra", "putri");
    differ("haryanto", "haryanti");
    differ("wahyu", "wahyuni");
}

#[test]
fn identical_and_empty() {
    assert_eq!(similarity("Budi Santoso", "Budi Santoso"), 100);
    assert_eq!(similarity("budi santoso", "BUDI SANTOSO"), 100);
    assert_eq!(similarity("", "Budi"), 0);
    assert_eq!(similarity("", ""), 0);
    assert_eq!(similarity("H.", "Budi"), 0);
    assert_eq!(similarity("S.H.", "S.H."), 100);
}

#[test]
fn variants_match() {
    for (a, b) in [
        ("Moch. Rizki Hidajat", "MUHAMMAD RIZKI HIDAYAT"),
        ("M. Rizki Hidayat", "Muhammad Rizki Hidayat"),
        ("S. Wahyuni", "Sri Wahyuni"),
        ("Santoso Budi", "Budi Santoso"),
        ("Hj. Siti Aminah, S.Pd.", "SITI AMINAH"),
        ("Nur Hayati", "NURHAYATI"),
        ("Soegiarto Wibowo", "Sugiarto Wibowo"),
        ("Zaenal Mustofa", "Zainal Mustofa"),
        ("Eddy Santoso", "Edi Santosa"),
        ("Muhammad Pratama", "Muhammad Rizki Pratama"),
        ("R. Wahyuni", "Rina Wahyuni"),
        ("H. Ahmad Fauzi", "Ahmad Fauzi"),
        ("Teddy Kusuma", "Tedi Kusumo"),
        ("Budi Santosa", "Budi Santoso"),
    ] {
        let score = similarity(a, b);
        assert!(score >= MATCH_THRESHOLD, "{a} / {b}: {score}");
        assert!(is_match(a, b));
    }
}

#[test]
fn different_people_do_not_match() {
    for (a, b) in [
        ("Agus Santoso", "Budi Santoso"),
        ("Agus Santoso", "Agus Wibowo"),
        ("Sri Wahyuni", "Sri Wahyuningsih"),
        ("Agus Haryanto", "Agus Haryanti"),
        ("Putra Pratama", "Putri Pratama"),
        ("Dian Setiawan", "Dian Setiawati"),
        ("Hasan Lubis", "Hasanah Lubis"),
        ("Budi", "Budi Santoso"),
        ("Muhammad Rizki Pratama", "Muhammad Fajar Pratama"),
        ("A. Santoso", "Budi Santoso"),
        ("S. W.", "Sri Wahyuni"),
    ] {
        let score = similarity(a, b);
        assert!(score < MATCH_THRESHOLD, "{a} / {b}: {score}");
        assert!(!is_match(a, b));
    }
}

#[test]
fn symmetric_and_prepared_agree() {
    let names = [
        "Moch. Rizki Hidajat",
        "MUHAMMAD RIZKI HIDAYAT",
        "S. Wahyuni",
        "R. Ayu Lestari",
        "Nur Hayati",
        "Nurhayati Lestari",
        "Agus",
        "",
    ];
    for a in names {
        for b in names {
            let ab = similarity(a, b);
            assert_eq!(ab, similarity(b, a), "{a} / {b}");
            assert_eq!(
                ab,
                similarity_prepared(&PreparedName::new(a), &PreparedName::new(b))
            );
            assert!(ab <= 100);
        }
    }
}

#[test]
fn prepared_name_accessors() {
    let p = PreparedName::new("Drs. Moch. Soedjono, M.M.");
    assert_eq!(p.normalized(), "muhamad sujono");
    assert_eq!(p.words().collect::<Vec<_>>(), ["muhamad", "sujono"]);
    assert!(!p.is_empty());
}
