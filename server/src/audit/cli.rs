//! `sigap audit verify` and `sigap audit checkpoint` against the configured database (with
//! `--demo`, the demo's database and keys under the data folder).
//!
//! Exit status: 0 intact / checkpoint written; 1 the chain is broken (the first bad entry is
//! named on stderr with a stable code); 2 verification could not run.

use super::{AuditKeys, Verdict};
use crate::config::Config;
use std::process::ExitCode;

/// `sigap audit …`
#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit hash chain and check the signed checkpoints. Exit 0 when intact,
    /// 1 naming the first bad entry, 2 when it cannot run.
    Verify {
        /// Use the demo's database and keys (as `sigap demo` does).
        #[arg(long)]
        demo: bool,
    },
    /// Sign the current chain head now and append it to the checkpoint file.
    Checkpoint {
        /// Use the demo's database and keys (as `sigap demo` does).
        #[arg(long)]
        demo: bool,
    },
}

const BROKEN: u8 = 1;
const CANNOT_RUN: u8 = 2;

fn cannot(what: impl std::fmt::Display) -> ExitCode {
    eprintln!("sigap: {what}");
    ExitCode::from(CANNOT_RUN)
}

/// Runs an audit command; prints its result and returns the exit status.
pub async fn run(config: Config, command: AuditCommand) -> ExitCode {
    let demo = match &command {
        AuditCommand::Verify { demo } | AuditCommand::Checkpoint { demo } => *demo,
    };
    let config = if demo {
        match crate::demo::prepare_config(config) {
            Ok(c) => c,
            Err(e) => return cannot(e),
        }
    } else {
        config
    };
    let keys = match AuditKeys::load(&config.audit, &config.data_dir, demo) {
        Ok(k) => k,
        Err(e) => return cannot(e),
    };
    let storage = match crate::storage::connect(&config.effective_database_url()).await {
        Ok(s) => s,
        Err(e) => return cannot(format!("database: {e}")),
    };
    match command {
        AuditCommand::Verify { .. } => {
            let key = keys.signer.as_ref().map(|s| s.verifying_key());
            match super::verify(storage.clone(), &keys.checkpoint_file, key.as_ref()).await {
                Ok(Verdict::Intact(s)) => {
                    println!(
                        "audit chain intact: {} entries, {} checkpoints, last seq {}",
                        s.entries, s.checkpoints, s.last_seq
                    );
                    ExitCode::SUCCESS
                }
                Ok(Verdict::Broken(f)) => {
                    eprintln!("sigap: audit chain BROKEN [{}]: {f}", f.code());
                    ExitCode::from(BROKEN)
                }
                Err(e) => cannot(format!("audit verify [{}]: {e}", e.code())),
            }
        }
        AuditCommand::Checkpoint { .. } => {
            let Some(signer) = &keys.signer else {
                return cannot(
                    "configuration key `audit.signing_key_file`: no signing key is configured",
                );
            };
            match super::checkpoint::write_checkpoint(
                storage.as_ref(),
                signer,
                &keys.checkpoint_file,
                crate::now_ms(),
            )
            .await
            {
                Ok(Some(cp)) => {
                    println!(
                        "checkpoint written: seq {} to {}",
                        cp.seq,
                        keys.checkpoint_file.display()
                    );
                    ExitCode::SUCCESS
                }
                Ok(None) => {
                    println!("the audit chain is empty: no checkpoint written");
                    ExitCode::SUCCESS
                }
                Err(e) => cannot(format!("audit checkpoint [{}]: {e}", e.code())),
            }
        }
    }
}
