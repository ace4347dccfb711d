//! `ektp-vcard`: a virtual e-KTP (synthetic resident from the dukcapil-sim population) inserted
//! into vsmartcard-vpcd's virtual reader until Ctrl-C, vpcd closing, or `--remove-after-apdus`.
#![forbid(unsafe_code)]

use clap::Parser;
use reader_bridge::vcard::{self, CardState, FingerOutcome};
use std::process::ExitCode;

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "ektp-vcard",
    version,
    about = "Virtual e-KTP for vsmartcard-vpcd, answering SIGAP's reference APDU profile with a synthetic resident."
)]
struct Args {
    /// vpcd address (the reader driver listens there; see /etc/reader.conf.d/vpcd).
    #[arg(long, default_value = vcard::DEFAULT_VPCD)]
    vpcd: String,
    /// Seed of the synthetic population (dukcapil-sim).
    #[arg(long, default_value_t = 3313)]
    seed: u64,
    /// Size of the synthetic population.
    #[arg(long, default_value_t = 1000)]
    population: usize,
    /// Which active resident of the population's sample to put on the card.
    #[arg(long, default_value_t = 0)]
    resident: usize,
    /// What the fingerprint sensor reports: match, no-match, unsupported, no-finger.
    #[arg(long, default_value = "match")]
    fingerprint: FingerOutcome,
    /// Fingerprint attempts on the card's counter (0 = blocked, at most 15).
    #[arg(long, default_value_t = 3)]
    attempts: u8,
    /// Pull the card out after answering this many APDUs (a card removed mid-read).
    #[arg(long)]
    remove_after_apdus: Option<usize>,
    /// Print the synthetic resident's NIK on stdout (for scripted tests).
    #[arg(long)]
    print_nik: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let (nik, demographics) =
        match vcard::synthetic_resident(args.seed, args.population, args.resident) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("ektp-vcard: {e}");
                return ExitCode::from(2);
            }
        };
    if args.print_nik {
        println!("{nik}");
    }
    let card = CardState::new(&nik, &demographics, args.fingerprint, args.attempts);
    let stream = match std::net::TcpStream::connect(&args.vpcd) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ektp-vcard: cannot reach vpcd at {}: {e}", args.vpcd);
            return ExitCode::FAILURE;
        }
    };
    let _ = stream.set_nodelay(true);
    eprintln!("ektp-vcard: card inserted into vpcd at {}", args.vpcd);
    match vcard::serve(stream, card, args.remove_after_apdus) {
        Ok(_) => {
            eprintln!("ektp-vcard: card removed");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ektp-vcard: {e}");
            ExitCode::FAILURE
        }
    }
}
