//! Fixed-size workload for measuring throughput in CPU time, which stays meaningful when the
//! machine is shared (criterion measures wall time). Same inputs as `benches/`.
//!
//! ```text
//! cargo build -p domain --release --example throughput
//! perf stat -e task-clock target/release/examples/throughput nik 2000000
//! perf stat -e task-clock target/release/examples/throughput names 200000
//! perf stat -e task-clock target/release/examples/throughput prepared 200000
//! ```
//! Throughput per core = operations printed / task-clock seconds.

use std::hint::black_box;
use std::time::Instant;

use domain::names::{PreparedName, similarity, similarity_prepared};
use domain::nik::Nik;

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

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "nik".to_string());
    let rounds: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let today = time::macros::date!(2025 - 06 - 30);
    let mut checksum = 0usize;
    let start = Instant::now();
    let ops = match what.as_str() {
        "nik" => {
            for _ in 0..rounds {
                for input in INPUTS {
                    if let Ok(nik) = Nik::parse(black_box(input), today) {
                        checksum += black_box(nik.region()).province.name.len();
                    }
                }
            }
            rounds * INPUTS.len()
        }
        "names" => {
            for _ in 0..rounds {
                for (a, b) in PAIRS {
                    checksum += usize::from(similarity(black_box(a), black_box(b)));
                }
            }
            rounds * PAIRS.len()
        }
        "prepared" => {
            let prepared: Vec<(PreparedName, PreparedName)> = PAIRS
                .iter()
                .map(|(a, b)| (PreparedName::new(a), PreparedName::new(b)))
                .collect();
            for _ in 0..rounds {
                for (a, b) in &prepared {
                    checksum += usize::from(similarity_prepared(black_box(a), black_box(b)));
                }
            }
            rounds * PAIRS.len()
        }
        other => {
            eprintln!("unknown workload {other:?}: use nik, names or prepared");
            std::process::exit(2);
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{what}: {ops} operations in {seconds:.3} s wall = {:.2} M/s wall (checksum {checksum})",
        ops as f64 / seconds / 1e6
    );
}
