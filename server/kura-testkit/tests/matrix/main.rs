//! The authorization matrix: every actor × every access level × every surface, table-driven, on
//! one world (`kura_testkit::world`) of a Kura running REST and Flight. Each row asserts the
//! status (an HTTP status, or for Flight the gRPC code `kura_core::ErrorCode` maps it to), and
//! every answer is searched for the id, name and title of each dataset the actor may not see:
//! none may appear, in lists, counts or errors. Every dataset's table has a masked column: its
//! name and values may appear only in answers to actors who see masked columns, and the data
//! (values, statistics, previews) only to actors who may read the data. Bodies are searched as
//! text with archives and Parquet decoded and record batches printed.
//! A new surface adds its rows to `ENDPOINTS` (per dataset) or `LISTS` (lists of datasets), and
//! to the README's contributor notes.

mod probe;
mod search;

use kura_testkit::world::{
    ACTORS, DATA_MIN, DATA_VALUE, Dataset, LEVELS, MASKED_COLUMN, MASKED_VALUE, PARTNERS, World, build_world,
    policy_for,
};
use probe::{Answer, ask};
use serde_json::{Value, json};

/// Expected outcome per actor and level, four letters: read metadata, read data, edit, manage
/// access. A = allowed, F = forbidden (existence public), N = answers as if absent, G = gone (the
/// data of a deaccessioned version: 410, and gRPC NOT_FOUND saying so).
fn expected(actor: &str, level: &str) -> &'static str {
    let outsider = match level {
        "open" | "embargo_lifted" => "AAFF",
        "embargo_active" | "consortium" | "restricted" => "AFFF",
        "deaccessioned" => "AGFF",
        _ => "NNNN",
    };
    match actor {
        "admin" | "steward" => "AAAA",
        "owner_member" => "AAAF",
        // A read-only token of a steward reads like the steward but changes nothing.
        "read_only_steward" => "AAFF",
        "consortium_accepted" | "partner_member" if level == "consortium" => "AAFF",
        "grant_holder" if level == "restricted" => "AAFF",
        _ => outsider,
    }
}

fn letter(actor: &str, level: &str, i: usize) -> char {
    expected(actor, level).as_bytes()[i] as char
}

/// Whether the actor may see the dataset at `level` at all.
fn sees(actor: &str, level: &str) -> bool {
    letter(actor, level, 0) != 'N'
}

/// Whether the actor may read the data of the dataset at `level`.
fn reads_data(actor: &str, level: &str) -> bool {
    letter(actor, level, 1) == 'A'
}

/// Whether the actor sees masked columns (the owner group and admins, whatever the level).
fn sees_masked(actor: &str) -> bool {
    matches!(actor, "owner_member" | "steward" | "admin" | "read_only_steward")
}

/// Whether the actor reads the audit log (of its groups' datasets: all of the world's).
fn reads_audit(actor: &str) -> bool {
    matches!(actor, "steward" | "admin" | "read_only_steward")
}

/// The endpoints: (kind, method, path template). `{n}` is the dataset name, `{i}` its id, `{f}` a
/// raw file id, `{p}` the id of the Parquet derived from it, `{oai}` its version 1's OAI-PMH
/// identifier; `~` starts a path at the site root instead of `/api/v1`; method `FLIGHT` is a
/// Flight call (see `probe::ask`).
/// Kinds: M = metadata read, D = data read, E = edit, P = manage access; W = a stored file that
/// holds the masked column (data readers who may not see it get 404, as if it did not exist);
/// C = rows naming the masked column (such readers get 400, as for a column that does not exist);
/// R = a page of the draft's raw file (the edit letter; a dataset without a draft has no such page);
/// K = cancelling a job (the edit letter; the job named does not exist, so editors get 404);
/// H = a landing page (metadata; a deaccessioned version's is its tombstone, 410);
/// X = an export (metadata, and the data the caller may read; a deaccessioned version's is gone);
/// S = Flight SQL (the data letter; a table the caller may not read is not in its SQL catalog,
/// so refusals are NOT_FOUND, as if absent);
/// O = an OAI-PMH record (harvesters see what anonymous may see, whoever asks);
/// U = the audit log (its readers, whatever the dataset: a dataset filter narrows, never tells);
/// V = the portal's audit page (as U, but an admin token has no person to show the portal to);
/// Z = Delta Sharing (the data letter: a share lists only tables the caller may read, so refusals
/// are 404, as if absent). Method `DELTA` queries a table and downloads its file URL.
/// Y = submitting a compute job that reads the dataset's table (the data letter, for users who
/// may write and belong to a group to own the output; see `want`); T = the same through GA4GH
/// TES (which answers a created task 200) or the portal's form (which shows the job's page);
/// B = asking for an airlock release of the dataset (the manage-access letter; no dataset of the
/// world is a job's output, so those who may ask are told so, 400).
const ENDPOINTS: &[(char, &str, &str)] = &[
    ('M', "GET", "/datasets/{n}"),
    ('M', "GET", "/datasets/{n}/versions"),
    ('M', "GET", "/datasets/{n}/versions/1"),
    ('M', "GET", "/datasets/{n}/versions/latest"),
    ('M', "GET", "/datasets/{n}/versions/1/files"),
    ('M', "GET", "/datasets/{n}/versions/1/tables"),
    ('M', "GET", "/datasets/{n}/versions/1/tables/t"),
    ('M', "GET", "/datasets/{n}/policy"),
    ('W', "GET", "/datasets/{n}/versions/1/files/{f}/content"),
    ('W', "GET", "/datasets/{n}/versions/1/files/{p}/content"),
    ('D', "GET", "/datasets/{n}/versions/1/tables/t/parquet"),
    ('D', "GET", "/datasets/{n}/versions/1/tables/t/rows"),
    ('D', "GET", "/datasets/{n}/versions/1/tables/t/rows?columns=a,b"),
    ('C', "GET", "/datasets/{n}/versions/1/tables/t/rows?columns=a,secretcol"),
    // Flight: info, schema, rows (DoGet decides again, whatever ticket it is shown), a command
    // naming the masked column, and Flight SQL.
    ('D', "FLIGHT", "GetFlightInfo {n}/1/t"),
    ('D', "FLIGHT", "GetSchema {n}/1/t"),
    ('D', "FLIGHT", "DoGet {n}/1/t"),
    ('C', "FLIGHT", "GetFlightInfo {n}/1/t?columns=a,secretcol"),
    ('S', "FLIGHT", "SQL SELECT * FROM \"{n}\".v1_t"),
    // Stream tables: their rows (data, masked column withheld), since a snapshot, a version's
    // frozen rows, their description and provenance; appending is an edit.
    ('D', "GET", "/datasets/{n}/streams/s/rows"),
    ('D', "GET", "/datasets/{n}/streams/s/rows?since=0"),
    ('D', "GET", "/datasets/{n}/versions/latest/streams/s/rows"),
    ('D', "GET", "/datasets/{n}/streams/s"),
    ('D', "GET", "/datasets/{n}/streams"),
    ('D', "GET", "/datasets/{n}/streams/s/batches"),
    ('E', "POST", "/datasets/{n}/streams/s/rows"),
    // Delta Sharing: the group's share (every dataset's owner group is "Lab A"), a schema's
    // tables, a table's metadata and query, and the file its query hands out.
    ('Z', "GET", "~/delta-sharing/shares/Lab%20A/schemas/{n}/tables"),
    ('Z', "GET", "~/delta-sharing/shares/Lab%20A/schemas/{n}/tables/t/metadata"),
    ('Z', "POST", "~/delta-sharing/shares/Lab%20A/schemas/{n}/tables/t/query"),
    ('Z', "DELTA", "Lab%20A/{n}/t"),
    // FAIR surfaces: landing pages (HTML and negotiated), documents, linkset, PID, export.
    ('H', "GET", "~/datasets/{n}"),
    ('H', "GET", "~/datasets/{n}/1"),
    ('M', "GET", "~/datasets/{n}/1?format=ttl"),
    ('M', "GET", "~/datasets/{n}/1/metadata.jsonld"),
    ('M', "GET", "~/datasets/{n}/1/metadata.ttl"),
    ('M', "GET", "~/datasets/{n}/1/metadata.rdf"),
    ('M', "GET", "~/datasets/{n}/1/metadata.nt"),
    ('M', "GET", "~/datasets/{n}/1/datacite.xml"),
    ('M', "GET", "~/datasets/{n}/1/linkset"),
    ('M', "GET", "~/datasets/{n}/1/linkset.txt"),
    ('X', "GET", "~/datasets/{n}/1/export.eln"),
    ('H', "GET", "~/pid/{i}"),
    ('H', "GET", "~/pid/{i}/1"),
    // OAI-PMH: one record, in both formats.
    ('O', "GET", "~/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier={oai}"),
    ('O', "GET", "~/oai?verb=GetRecord&metadataPrefix=oai_datacite&identifier={oai}"),
    // Portal pages (HTML): the landing page in Japanese, the editor, the steward's page.
    ('H', "GET", "~/datasets/{n}?lang=ja"),
    ('H', "GET", "~/datasets/{n}/latest?format=html"),
    ('E', "GET", "~/edit/{n}"),
    // How a raw file of the draft was read, and a preview of reading it differently (R: editors
    // only, and only where a draft holds the file).
    ('R', "GET", "~/edit/{n}/files/{f}"),
    ('R', "POST", "~/edit/{n}/files/{f}/preview"),
    // Cancelling a job (here one that never was): editors learn it does not exist, others are
    // refused by the edit letter before any job is looked up.
    ('K', "POST", "/datasets/{n}/jobs/00000000-0000-0000-0000-000000000000/cancel"),
    ('K', "POST", "~/edit/{n}/jobs/00000000-0000-0000-0000-000000000000/cancel"),
    ('P', "GET", "~/steward/{n}"),
    ('P', "GET", "/datasets/{n}/grants"),
    ('P', "PUT", "/datasets/{n}/policy"),
    ('J', "GET", "/datasets/{n}/jobs"),
    ('L', "GET", "/datasets/{n}/access-requests"),
    ('Q', "POST", "/datasets/{n}/access-requests"),
    // A compute job reading the table (its query fails when it runs, so it writes nothing).
    ('Y', "POST", "/jobs"),
    ('T', "POST", "~/ga4gh/tes/v1/tasks"),
    ('T', "POST", "~/jobs"),
    ('B', "POST", "/datasets/{n}/airlock"),
    // The audit log, of one dataset: REST and the portal's page.
    ('U', "GET", "/audit?dataset_id={i}&limit=100"),
    ('V', "GET", "~/audit?dataset={n}"),
];
/// Rows run after every actor has been through `ENDPOINTS`: opening a draft changes what
/// "latest" means for the owner group (a withdrawn dataset's landing page is no longer its
/// tombstone for them); the PATCH then finds that draft (an empty change).
const DRAFT_ROWS: &[(char, &str, &str)] =
    &[('E', "POST", "/datasets/{n}/draft"), ('E', "PATCH", "/datasets/{n}/draft")];
/// Endpoints whose body carries the masked column's values to actors who see it and may read the data.
const MASKED_DATA: &[&str] = &[
    "/datasets/{n}/versions/1/files/{f}/content",
    "/datasets/{n}/versions/1/files/{p}/content",
    "/datasets/{n}/versions/1/tables/t/parquet",
    "/datasets/{n}/versions/1/tables/t/rows",
    "/datasets/{n}/versions/1/tables/t/rows?columns=a,secretcol",
    "~/datasets/{n}/1/export.eln",
    "DoGet {n}/1/t",
    "SQL SELECT * FROM \"{n}\".v1_t",
    "Lab%20A/{n}/t",
];
// Upload, ingest and publish change versions for every later row; they run in the world's set-up
// (by the steward) and their refusals for others are in `kura-api`'s `tests/datasets.rs` and
// `tests/tokens.rs`.

/// Which datasets a list shows an actor.
#[derive(Debug, Clone, Copy)]
enum Listed {
    /// Those whose metadata the actor may see.
    Visible,
    /// Those whose metadata anyone may see (harvest surfaces: the same for everyone).
    Public,
    /// Like `Public`, without deaccessioned versions (they have no landing page to point to).
    PublicCurrent,
    /// Those whose data the actor may read (flights are data).
    Readable,
    /// None: the list is of something else (sets), and names no dataset.
    Nothing,
}

/// The lists of datasets: (method, path, which datasets it shows). Each must show exactly those
/// (by name or id) and name none of the others.
const LISTS: &[(&str, &str, Listed)] = &[
    ("GET", "/datasets?limit=100", Listed::Visible),
    ("GET", "~/catalog?limit=100", Listed::PublicCurrent),
    ("GET", "~/sitemap.xml", Listed::PublicCurrent),
    ("GET", "~/oai?verb=ListRecords&metadataPrefix=oai_dc", Listed::Public),
    ("GET", "~/oai?verb=ListIdentifiers&metadataPrefix=oai_datacite", Listed::Public),
    ("GET", "~/oai?verb=ListSets", Listed::Nothing),
    ("FLIGHT", "ListFlights", Listed::Readable),
    ("GET", "~/delta-sharing/shares/Lab%20A/all-tables", Listed::Readable),
    // Operations: node-wide counts for scrapers and probes, never a dataset's name or numbers.
    ("GET", "~/metrics", Listed::Nothing),
    ("GET", "~/livez", Listed::Nothing),
    ("GET", "~/readyz", Listed::Nothing),
    // What the GA4GH TES endpoint runs: the same for everyone.
    ("GET", "~/ga4gh/tes/v1/service-info", Listed::Nothing),
];

fn listed(list: Listed, actor: &str, level: &str) -> bool {
    let public = sees("anonymous", level) && level != "draft";
    match list {
        Listed::Visible => sees(actor, level),
        Listed::Public => public,
        Listed::PublicCurrent => public && level != "deaccessioned",
        Listed::Readable => reads_data(actor, level),
        Listed::Nothing => false,
    }
}

fn status_for(letter: char, kind: char, actor: &str) -> u16 {
    // Requests are about people: without a user behind the credentials there is nobody to ask
    // for or to show one's own requests to (admin tokens still see every request).
    if letter != 'N' && matches!(kind, 'L' | 'Q') {
        return match (kind, actor) {
            (_, "anonymous") => 401,
            ('Q', "admin") => 401,
            // Read-only credentials: a steward's read token, a partner node's user.
            ('Q', "read_only_steward" | "partner_member" | "partner_outsider") => 403,
            ('Q', _) => 201,
            _ => 200,
        };
    }
    match (letter, kind) {
        ('A', 'W') if !sees_masked(actor) => return 404,
        ('A', 'C') if !sees_masked(actor) => return 400,
        // Flight SQL's catalog holds the caller's readable tables only.
        ('F' | 'G', 'S' | 'Z') => return 404,
        _ => {}
    }
    match letter {
        'A' => 200,
        'N' => 404,
        'G' => 410,
        _ if actor == "anonymous" && matches!(kind, 'E' | 'P' | 'B' | 'J' | 'R' | 'K' | 'U' | 'V') => 401,
        _ => 403,
    }
}

/// The status a row of `kind` wants for `actor` on the dataset at `level`.
fn want(kind: char, actor: &str, level: &str) -> u16 {
    // A partner node's user holds a read-only token: changes, and the pages that make them, are
    // refused before anything is looked up — the same 403 whether or not the dataset exists
    // (`read_only_refusals_tell_nothing`), so the refusal tells nothing.
    if PARTNERS.contains(&actor) && matches!(kind, 'E' | 'R' | 'K' | 'P' | 'B' | 'Q') {
        return 403;
    }
    if matches!(kind, 'Y' | 'T') {
        return match actor {
            // Without a user behind the credentials (an admin token) nobody would own the output.
            "anonymous" | "admin" => 401,
            // Read-only credentials write nothing, a job's output dataset included.
            "read_only_steward" | "partner_member" | "partner_outsider" => 403,
            // The output belongs to one of the submitter's groups: users in none are refused
            // before any input is looked up, the same 403 for every dataset.
            "outsider" | "grant_holder" | "expired_grant" => 403,
            _ => match letter(actor, level, 1) {
                'A' if kind == 'T' => 200,
                'A' => 201,
                'N' => 404,
                'G' => 410,
                _ => 403,
            },
        };
    }
    let letter = match kind {
        'M' | 'L' | 'Q' | 'H' => letter(actor, level, 0),
        'D' | 'W' | 'C' | 'S' | 'Z' => letter(actor, level, 1),
        'X' if letter(actor, level, 1) == 'G' => 'G',
        'X' => letter(actor, level, 0),
        'O' => letter("anonymous", level, 0),
        'V' if actor == "admin" => return 401,
        'U' | 'V' if reads_audit(actor) => 'A',
        'U' | 'V' => 'F',
        // Jobs are the owner group's to read, read-only tokens included.
        'J' if actor == "read_only_steward" => 'A',
        'E' | 'J' | 'R' | 'K' => letter(actor, level, 2),
        _ => letter(actor, level, 3),
    };
    match status_for(letter, kind, actor) {
        // Only the draft has raw files to read again; published versions have no page.
        200 if kind == 'R' && level != "draft" => 404,
        200 if kind == 'K' => 404,
        // Only a compute job's output goes through the airlock.
        200 if kind == 'B' => 400,
        // A deaccessioned version's landing page is its tombstone.
        200 if kind == 'H' && level == "deaccessioned" => 410,
        want => want,
    }
}

/// Records in `failures` every dataset of `hidden` that `body` names.
fn leaks(actor: &str, what: &str, body: &str, hidden: &[&Dataset], failures: &mut Vec<String>) {
    for dataset in hidden {
        for secret in dataset.secrets() {
            if body.contains(secret) {
                failures.push(format!("{actor}: {what} leaks {secret:?} of an invisible dataset"));
            }
        }
    }
}

fn hidden_from<'w>(world: &'w World, actor: &str) -> Vec<&'w Dataset> {
    LEVELS.iter().filter(|l| !sees(actor, l)).map(|l| &world.datasets[l]).collect()
}

#[tokio::test]
async fn every_actor_level_and_surface_behaves_as_the_table_says() {
    let world = build_world().await;
    let app = &world.app;
    let mut failures = Vec::new();
    app.index_now().await;
    search::search_rows(&world, &mut failures).await;
    search::sparql_rows(&world, &mut failures).await;
    let oai_namespace = oai_namespace(&world).await;
    for actor in ACTORS {
        list_rows(&world, actor, &hidden_from(&world, actor), &mut failures).await;
    }
    read_only_refusals_tell_nothing(&world, &mut failures).await;
    compute_job_rows(&world, &mut failures).await;
    for rows in [ENDPOINTS, DRAFT_ROWS] {
        for actor in ACTORS {
            for (kind, method, template) in rows {
                for level in LEVELS {
                    let row = Row { actor, kind: *kind, method, template, level };
                    row.check(&world, &oai_namespace, &mut failures).await;
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} matrix failures:\n{}", failures.len(), failures.join("\n"));
}

/// A partner's refusals of the edit and steward pages are the same for a dataset that does not
/// exist as for one it may not see.
async fn read_only_refusals_tell_nothing(world: &World, failures: &mut Vec<String>) {
    for actor in PARTNERS {
        for path in ["~/edit/no-such-dataset", "~/steward/no-such-dataset", "/datasets/no-such-dataset/grants"] {
            let (answer, _) = ask(world, actor, "GET", path, None).await;
            if !answer.is(403) {
                failures.push(format!("{actor} GET {path}: got {answer}, want 403 as for any dataset"));
            }
        }
    }
}

/// A compute job is its submitter's: another actor gets 404 as if it did not exist (an
/// administrator sees it, but only the submitter reads its log); cancelling a job that does not
/// exist is 404 for everyone who may write.
async fn compute_job_rows(world: &World, failures: &mut Vec<String>) {
    let body = json!({"kind": "sql", "code": "SELECT a FROM t", "inputs": [{"dataset": "ds-open", "table": "t"}]});
    let job = world.app.ok("POST", "/jobs", world.token("steward").unwrap(), body).await;
    let id = job["id"].as_str().unwrap();
    for actor in ACTORS {
        let submitter = matches!(actor, "steward" | "read_only_steward");
        let rows = [
            ("GET", format!("/jobs/{id}"), if submitter || actor == "admin" { 200 } else { 404 }),
            (
                "GET",
                format!("/jobs/{id}/log"),
                if submitter {
                    200
                } else if actor == "admin" {
                    403
                } else {
                    404
                },
            ),
            ("GET", "/jobs".to_owned(), if actor == "anonymous" { 401 } else { 200 }),
            // Its OpenLineage run events: exactly whoever sees the job; a job that does not
            // exist is 404 to everyone.
            ("GET", format!("/jobs/{id}/lineage"), if submitter || actor == "admin" { 200 } else { 404 }),
            ("GET", "/jobs/00000000-0000-0000-0000-000000000000/lineage".to_owned(), 404),
            (
                "POST",
                "/jobs/00000000-0000-0000-0000-000000000000/cancel".to_owned(),
                if matches!(actor, "read_only_steward" | "partner_member" | "partner_outsider") { 403 } else { 404 },
            ),
            // The same job in the portal: the list, the job's page (the log only for its
            // submitter), cancelling.
            ("GET", "~/jobs".to_owned(), if actor == "anonymous" { 401 } else { 200 }),
            ("GET", format!("~/jobs/{id}"), if submitter || actor == "admin" { 200 } else { 404 }),
            (
                "POST",
                "~/jobs/00000000-0000-0000-0000-000000000000/cancel".to_owned(),
                if matches!(actor, "read_only_steward" | "partner_member" | "partner_outsider") { 403 } else { 404 },
            ),
            // The same job through GA4GH TES.
            ("GET", format!("~/ga4gh/tes/v1/tasks/{id}"), if submitter || actor == "admin" { 200 } else { 404 }),
            ("GET", "~/ga4gh/tes/v1/tasks".to_owned(), if actor == "anonymous" { 401 } else { 200 }),
            (
                "POST",
                "~/ga4gh/tes/v1/tasks/00000000-0000-0000-0000-000000000000:cancel".to_owned(),
                if matches!(actor, "read_only_steward" | "partner_member" | "partner_outsider") { 403 } else { 404 },
            ),
            // Airlock releases: the pending ones a caller may approve (none pend here, and none
            // are anonymous's: an empty list); approving one that does not exist is 404 to
            // whoever may write.
            ("GET", "/airlock".to_owned(), 200),
            (
                "POST",
                "~/airlock/00000000-0000-0000-0000-000000000000/approve".to_owned(),
                if matches!(actor, "read_only_steward" | "partner_member" | "partner_outsider") { 403 } else { 404 },
            ),
            (
                "POST",
                "/airlock/00000000-0000-0000-0000-000000000000/approve".to_owned(),
                if matches!(actor, "read_only_steward" | "partner_member" | "partner_outsider") { 403 } else { 404 },
            ),
        ];
        for (method, path, want) in rows {
            let (answer, text) = ask(world, actor, method, &path, None).await;
            if !answer.is(want) {
                failures.push(format!("{actor} {method} {path}: got {answer}, want {want}: {text}"));
            }
            if !submitter && actor != "admin" && text.contains("SELECT a FROM t") {
                failures.push(format!("{actor} {method} {path}: shows another's job"));
            }
        }
    }
}

/// One request of the matrix: an actor, a row of `ENDPOINTS`, a level.
struct Row<'a> {
    actor: &'a str,
    kind: char,
    method: &'a str,
    template: &'a str,
    level: &'a str,
}

impl Row<'_> {
    async fn check(&self, world: &World, oai_namespace: &str, failures: &mut Vec<String>) {
        let Row { actor, kind, method, template, level } = *self;
        let dataset = &world.datasets[level];
        let path = template
            .replace("{n}", &dataset.name)
            .replace("{i}", &dataset.id)
            .replace("{f}", &dataset.raw_file)
            .replace("{p}", &dataset.derived_file)
            .replace("{oai}", &format!("oai:{oai_namespace}:{}/1", dataset.name));
        let body = match method {
            "PUT" => Some(policy_for(level, &world.consortium)),
            "PATCH" => Some(json!({})),
            "POST" if template.ends_with("access-requests") => Some(json!({"reason": "matrix"})),
            // One row appended as NDJSON (`application/json` reads as such).
            "POST" if template.ends_with("/streams/s/rows") => Some(json!({"a": 1.5})),
            "POST" if template == "/jobs" => Some(json!({
                "kind": "sql",
                "code": "SELECT no_such_column FROM t",
                "inputs": [{"dataset": dataset.name, "table": "t"}],
            })),
            "POST" if template == "~/jobs" => {
                Some(json!(format!("dataset={}&version=1&table=t&code=SELECT+no_such_column+FROM+t", dataset.name)))
            }
            "POST" if template.ends_with("/tes/v1/tasks") => Some(json!({
                "inputs": [{"url": format!("kura:{}/latest/t", dataset.name), "path": "/inputs/t.parquet"}],
                "executors": [{"image": "kura/sql", "command": ["SELECT no_such_column FROM t"]}],
            })),
            "POST" if template.ends_with("/airlock") => Some(json!({"policy": {"level": "open"}, "reason": "matrix"})),
            _ => None,
        };
        let (answer, text) = ask(world, actor, method, &path, body).await;
        let want = want(kind, actor, level);
        let what = format!("{method} {path} ({level})");
        if !answer.is(want) {
            let text: String = text.chars().take(120).collect();
            let want = match answer {
                Answer::Grpc(_) => format!("gRPC {} (HTTP {want})", probe::grpc_of(want)),
                Answer::Http(_) => want.to_string(),
            };
            failures.push(format!("{actor} {what}: got {answer}, want {want}: {text}"));
        }
        // gRPC has no 410: NOT_FOUND, saying why.
        if want == 410 && matches!(answer, Answer::Grpc(_)) && !text.contains("deaccessioned") {
            failures.push(format!("{actor} {what}: gone data not called deaccessioned: {text}"));
        }
        // A query or an OAI identifier names the dataset in the caller's own words, and the
        // answer may quote them; its id and title, and anything of other datasets, never.
        let unquoted =
            if matches!(kind, 'S' | 'O' | 'Y' | 'T') { text.replace(&dataset.name, "") } else { text.clone() };
        leaks(actor, &what, &unquoted, &hidden_from(world, actor), failures);
        check_masked(world, actor, level, template, answer, &text, failures, &what);
    }
}

/// Masked columns, their values and the checksums of files holding them only for the owner
/// group; data only for data readers; and the owner group's reads do carry the masked values.
#[allow(clippy::too_many_arguments)]
fn check_masked(
    world: &World,
    actor: &str,
    level: &str,
    template: &str,
    answer: Answer,
    text: &str,
    failures: &mut Vec<String>,
    what: &str,
) {
    let dataset = &world.datasets[level];
    // Refusing `columns=secretcol` echoes the name the caller gave, as for any column.
    let shown = if template.contains("columns=a,secretcol") {
        text.replace(&format!("no column named \\\"{MASKED_COLUMN}\\\""), "")
            .replace(&format!("no column named \"{MASKED_COLUMN}\""), "")
    } else {
        text.to_owned()
    };
    masked_leaks(actor, reads_data(actor, level), &shown, failures, &format!("{actor} {what}"));
    if !sees_masked(actor) {
        let mut withheld = dataset.checksums.clone();
        if template.ends_with("/files") {
            withheld.extend([dataset.raw_file.clone(), dataset.derived_file.clone()]);
        }
        if let Some(w) = withheld.iter().find(|w| text.contains(w.as_str())) {
            failures.push(format!("{actor} {what}: names the withheld file {w}"));
        }
    }
    let owner_side_read = sees_masked(actor) && reads_data(actor, level) && answer.succeeded();
    if owner_side_read && MASKED_DATA.contains(&template) && !text.contains(MASKED_VALUE) {
        failures.push(format!("{actor} {what}: the masked values are missing"));
    }
}

/// Every list shows the actor exactly the datasets it should, and names no other.
async fn list_rows(world: &World, actor: &str, hidden: &[&Dataset], failures: &mut Vec<String>) {
    for (method, path, list) in LISTS {
        let (answer, body) = ask(world, actor, method, path, None).await;
        if !answer.succeeded() {
            failures.push(format!("{actor}: {method} {path} answered {answer}"));
        }
        for level in LEVELS {
            let dataset = &world.datasets[level];
            let shown = dataset.secrets().iter().any(|s| body.contains(s));
            let should = listed(*list, actor, level);
            if shown != should {
                failures.push(format!("{actor}: {method} {path} shows the {level} dataset: {shown}, want {should}"));
            }
        }
        leaks(actor, &format!("{method} {path}"), &body, hidden, failures);
        // Lists never show data; flights show the masked column only to the owner group.
        masked_leaks(actor, false, &body, failures, &format!("{actor}: {method} {path}"));
    }
    // The REST list's total counts what it lists.
    let (_, body) = ask(world, actor, "GET", "/datasets?limit=100", None).await;
    let list: Value = serde_json::from_str(&body).unwrap_or_default();
    let visible = LEVELS.iter().filter(|l| sees(actor, l)).count();
    if list["total"].as_u64() != Some(visible as u64) {
        failures.push(format!("{actor}: the dataset list's total is {}, want {visible}", list["total"]));
    }
}

/// The namespace of OAI-PMH identifiers (`oai:{namespace}:{name}/{version}`), from a harvest.
async fn oai_namespace(world: &World) -> String {
    let (_, body) = ask(world, "anonymous", "GET", "~/oai?verb=ListIdentifiers&metadataPrefix=oai_dc", None).await;
    let start = body.find("<identifier>oai:").expect("an OAI identifier") + "<identifier>oai:".len();
    body[start..].split(':').next().unwrap().to_owned()
}

/// Masked names and values only for actors who see masked columns; data (values, statistics,
/// previews) only for actors who may read it.
fn masked_leaks(actor: &str, reads_data: bool, body: &str, failures: &mut Vec<String>, what: &str) {
    let mut secrets = Vec::new();
    if !sees_masked(actor) {
        secrets.extend([MASKED_COLUMN, MASKED_VALUE]);
    }
    if !reads_data {
        secrets.extend([DATA_VALUE, DATA_MIN, MASKED_VALUE]);
    }
    for secret in secrets {
        if body.contains(secret) {
            failures.push(format!("{what} shows {secret:?}"));
        }
    }
}
