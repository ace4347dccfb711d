//! Benchmark: name similarity, from raw strings and from prepared (pre-normalised) names.
//!
//! Throughput target: >= 1 million pairs per second on one core.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use domain::names::{PreparedName, similarity, similarity_prepared};

/// Synthetic (claimed, registry) pairs mixing matches and non-matches.
const PAIRS: &[(&str, &str)] = &[
    ("Moch. Rizki Hidajat", "MUHAMMAD RIZKI HIDAYAT"),
    ("S. Wahyuni", "SRI WAHYUNI"),
    ("Agus Santoso", "BUDI SANTOSO"),
    ("Hj. Siti Aminah, S.Pd.", "SITI AMINAH"),
    ("Nur Hayati", "NURHAYATI"),
    ("Dewi Kartika Sari", "DEWI SARI"),
    ("Eddy Santoso", "EDI SANTOSA"),
    ("Putra Pratama", "PUTRI PRATAMA"),
];

fn bench_names(c: &mut Criterion) {
    let mut group = c.benchmark_group("names");
    group.throughput(Throughput::Elements(PAIRS.len() as u64));
    group.bench_function("similarity(&str, &str)", |b| {
        b.iter(|| {
            for (claimed, registry) in PAIRS {
                black_box(similarity(black_box(claimed), black_box(registry)));
            }
        });
    });
    let prepared: Vec<(PreparedName, PreparedName)> = PAIRS
        .iter()
        .map(|(a, b)| (PreparedName::new(a), PreparedName::new(b)))
        .collect();
    group.bench_function("similarity_prepared", |b| {
        b.iter(|| {
            for (claimed, registry) in &prepared {
                black_box(similarity_prepared(black_box(claimed), black_box(registry)));
            }
        });
    });
    group.bench_function("PreparedName::new", |b| {
        b.iter(|| {
            for (claimed, _) in PAIRS {
                black_box(PreparedName::new(black_box(claimed)));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench_names);
criterion_main!(benches);
