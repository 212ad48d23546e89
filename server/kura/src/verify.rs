//! `kura verify`: prints what `kura_service::verify` found, for people or as JSON.

use std::process::ExitCode;

use kura_service::verify::{ObjectFault, ProjectionReport, VerifyReport};

/// Checks the node on this data directory; exit 0 when clean, 1 when anything is wrong.
pub async fn run(config: kura_core::Config, json: bool) -> anyhow::Result<ExitCode> {
    let services = crate::cli::services(config).await?;
    let report = kura_service::verify::verify(&services, &crate::cli::cli_principal()).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", text(&report));
    }
    Ok(if report.is_clean() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The report as lines for people: a summary per part, then one line per problem.
fn text(report: &VerifyReport) -> String {
    let mut out = String::new();
    let objects = report.object_problems.len();
    out.push_str(&format!(
        "objects: {} files, {} objects, {} bytes read and hashed: {}\n",
        report.files,
        report.objects,
        report.bytes,
        if objects == 0 { "ok".to_owned() } else { format!("{objects} problem(s)") }
    ));
    for p in &report.object_problems {
        let what = match &p.kind {
            ObjectFault::Missing => "missing from the object store".to_owned(),
            ObjectFault::Corrupt { actual_sha256, actual_size } => {
                format!("corrupt: its content hashes to {actual_sha256} ({actual_size} bytes)")
            }
            ObjectFault::SizeMismatch { expected, actual } => {
                format!("size {actual} bytes where the catalog records {expected}")
            }
            ObjectFault::Unreadable { error } => format!("unreadable: {error}"),
        };
        out.push_str(&format!(
            "  problem: {} v{} {} ({}, sha256 {}): {what}\n",
            p.dataset, p.version, p.path, p.role, p.sha256
        ));
    }
    for t in &report.table_problems {
        out.push_str(&format!("  problem: {} v{} table {}: {}\n", t.dataset, t.version, t.table, t.problem));
    }
    projection(&mut out, "search index", "documents", &report.search);
    projection(&mut out, "RDF store", "graphs", &report.rdf);
    out.push_str(if report.is_clean() { "clean\n" } else { "NOT clean\n" });
    out
}

fn projection(out: &mut String, name: &str, unit: &str, report: &ProjectionReport) {
    let state =
        if report.problems.is_empty() { "ok".to_owned() } else { format!("{} problem(s)", report.problems.len()) };
    out.push_str(&format!("{name}: {} {unit}, {} expected from the catalog: {state}\n", report.found, report.expected));
    for p in &report.problems {
        out.push_str(&format!("  problem: {p}\n"));
    }
}
