//! Population generation benchmark: time and peak resident memory to build a simulator.
//!
//! ```text
//! cargo run --release -p dukcapil-sim --example gen_bench -- [POPULATION] [SEED]
//! ```
//! Defaults: 1,000,000 residents, seed 3313. Peak RSS is the kernel's `VmHWM` of this process
//! (so it includes the binary, the embedded tables and every temporary of the generation).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark binary may panic on bad input

use std::time::Instant;

use dukcapil_sim::{SimConfig, Simulator};

/// `VmHWM` and `VmRSS` from `/proc/self/status`, in KiB (0 where unavailable).
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let population: usize = args
        .next()
        .map(|a| {
            a.replace('_', "")
                .parse()
                .expect("POPULATION must be a number")
        })
        .unwrap_or(1_000_000);
    let seed: u64 = args
        .next()
        .map(|a| a.parse().expect("SEED must be a number"))
        .unwrap_or(3313);

    let (hwm_before, _) = memory_kib();
    let started = Instant::now();
    let sim = Simulator::try_new(SimConfig {
        seed,
        population,
        ..SimConfig::default()
    })
    .expect("valid configuration");
    let elapsed = started.elapsed();
    let (hwm, rss) = memory_kib();

    // Touch the result so nothing is optimised away, and show a lookup works.
    let sample = sim.sample(1);
    let nik = sample
        .first()
        .and_then(|v| v["NIK"].as_str())
        .unwrap_or("-")
        .to_string();
    let (code, _) = sim.lookup(&nik);

    println!("population        {}", sim.population_size());
    println!("records           {}", sim.record_count());
    println!("seed              {seed}");
    println!("generation        {:.3} s", elapsed.as_secs_f64());
    println!(
        "rate              {:.0} residents/s",
        sim.population_size() as f64 / elapsed.as_secs_f64()
    );
    println!("VmHWM before      {:.1} MiB", hwm_before as f64 / 1024.0);
    println!("VmHWM (peak RSS)  {:.1} MiB", hwm as f64 / 1024.0);
    println!("VmRSS after       {:.1} MiB", rss as f64 / 1024.0);
    println!("sample lookup     {nik} -> {code}");
}
