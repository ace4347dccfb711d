//! Benchmark: `Nik::parse` followed by the region lookup of the parsed NIK.
//!
//! Throughput target: >= 5 million NIKs per second on one core.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use domain::nik::Nik;
use time::macros::date;

/// Synthetic NIKs: real district codes, made-up dates and serials, a few with separators.
const INPUTS: &[&str] = &[
    "3313014107900001",
    "3313010101000002",
    "1101011212850123",
    "3171054506990045",
    "33.13.01.410790.0001",
    "3578 0615 0388 0007",
    "9101012902000001",
    "6401036508770321",
];

fn bench_nik(c: &mut Criterion) {
    let today = date!(2025 - 06 - 30);
    let mut group = c.benchmark_group("nik");
    group.throughput(Throughput::Elements(INPUTS.len() as u64));
    group.bench_function("parse+region", |b| {
        b.iter(|| {
            for input in INPUTS {
                if let Ok(nik) = Nik::parse(black_box(input), today) {
                    black_box(nik.region());
                }
            }
        });
    });
    group.bench_function("parse", |b| {
        b.iter(|| {
            for input in INPUTS {
                let _ = black_box(Nik::parse(black_box(input), today));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench_nik);
criterion_main!(benches);
