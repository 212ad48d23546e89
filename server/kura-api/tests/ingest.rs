//! Upload, ingest, tables, rows in every format, downloads, and bad input.

mod common;

use common::{spawn_app, testdata};
use serde_json::Value;

const THERMAL: &str = "# Instrument: furnace\nSample: A-17\n\nTime,Temperature [K],Power / W,Phase\n\
2026-11-20T09:00:00Z,295.15,0.5,ramp\n2026-11-20T09:01:00Z,301.42,12.5,ramp\n2026-11-20T09:02:00Z,309.88,18.1,hold\n";

async fn ingest_files(app: &common::TestApp, dataset: &str, files: Vec<(&str, Vec<u8>)>) -> Value {
    app.create_dataset(dataset).await;
    let r = app.upload(dataset, files).await;
    assert_eq!(r.status(), 201, "upload: {}", r.text().await.unwrap_or_default());
    app.ingest(dataset).await
}

#[tokio::test]
async fn a_csv_becomes_a_table_served_as_json_csv_and_arrow() {
    let app = spawn_app().await;
    let job = ingest_files(&app, "thermal", vec![("thermal.csv", THERMAL.as_bytes().to_vec())]).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(app.publish("thermal").await.status(), 200);

    let table: Value = app.get("/datasets/thermal/versions/1/tables/thermal").await.json().await.unwrap();
    assert_eq!(table["row_count"], 3);
    let columns = table["columns"].as_array().unwrap();
    let names: Vec<&str> = columns.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Time", "Temperature", "Power", "Phase"]);
    assert_eq!(columns[1]["unit"], "K");
    assert_eq!(columns[1]["ucum"], "K");
    assert_eq!(columns[1]["original_label"], "Temperature [K]");
    assert_eq!(columns[1]["arrow_type"], "Float64");
    assert_eq!(columns[1]["statistics"]["max"], 309.88);
    assert!(columns[0]["arrow_type"].as_str().unwrap().starts_with("Timestamp"));
    assert_eq!(table["provenance"]["reader"], "csv");
    assert_eq!(table["metadata"]["source_metadata"]["Sample"], "A-17");

    let rows: Value = app
        .get("/datasets/thermal/versions/1/tables/thermal/rows?columns=Temperature,Phase&offset=1&limit=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rows, serde_json::json!([{"Temperature": 301.42, "Phase": "ramp"}]));

    let all: Value = app.get("/datasets/thermal/versions/1/tables/thermal/rows").await.json().await.unwrap();
    assert_eq!(all[0]["Time"], "2026-11-20T09:00:00Z", "timestamps with a time zone come out as RFC 3339");
    assert_eq!(all.as_array().unwrap().len(), 3);
    let csv = app
        .client
        .get(app.url("/datasets/thermal/versions/1/tables/thermal/rows?columns=Phase"))
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(csv.text().await.unwrap(), "Phase\nramp\nramp\nhold\n");

    let arrow = app
        .client
        .get(app.url("/datasets/thermal/versions/1/tables/thermal/rows"))
        .header("accept", "application/vnd.apache.arrow.stream")
        .send()
        .await
        .unwrap();
    assert_eq!(arrow.status(), 200);
    let bytes = arrow.bytes().await.unwrap();
    let reader = arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes.to_vec()), None).unwrap();
    let batches: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 3);
    assert_eq!(batches[0].schema().field(1).metadata().get("kura:ucum").map(String::as_str), Some("K"));

    let refused = app
        .client
        .get(app.url("/datasets/thermal/versions/1/tables/thermal/rows"))
        .header("accept", "image/png")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 406);
    let unknown = app.get("/datasets/thermal/versions/1/tables/thermal/rows?columns=nope").await;
    assert_eq!(unknown.status(), 400);
}

#[tokio::test]
async fn raw_files_download_byte_for_byte_and_parquet_is_readable() {
    let app = spawn_app().await;
    let casa = std::fs::read(testdata("instrument/xps-casa-FeO_analyzed_results.csv")).unwrap();
    let job = ingest_files(&app, "xps", vec![("FeO_results.csv", casa.clone())]).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    app.publish("xps").await;
    let files: Value = app.get("/datasets/xps/versions/1/files").await.json().await.unwrap();
    let raw = files["items"].as_array().unwrap().iter().find(|f| f["role"] == "raw").unwrap();
    assert_eq!(raw["format"], "csv");
    let download = app.get(&format!("/datasets/xps/versions/1/files/{}/content", raw["id"].as_str().unwrap())).await;
    // The name as RFC 8187 says: percent-encoded UTF-8, unreserved characters as they are.
    assert_eq!(download.headers()["content-disposition"], "attachment; filename*=UTF-8''FeO_results.csv");
    let body = download.bytes().await.unwrap();
    assert_eq!(body.as_ref(), casa.as_slice(), "raw bytes come back exactly");

    let parquet = app.get("/datasets/xps/versions/1/tables/FeO_results/parquet").await;
    assert_eq!(parquet.headers()["content-type"], "application/vnd.apache.parquet");
    let bytes = parquet.bytes().await.unwrap();
    assert_eq!(&bytes[..4], b"PAR1");
    let rows: Value =
        app.get("/datasets/xps/versions/1/tables/FeO_results/rows?columns=Position").await.json().await.unwrap();
    let positions: Vec<f64> = rows.as_array().unwrap().iter().map(|r| r["Position"].as_f64().unwrap()).collect();
    assert_eq!(positions, [709.03, 715.73, 722.18, 730.22]);
}

#[tokio::test]
async fn one_bad_file_fails_alone_and_unknown_formats_stay_raw() {
    let app = spawn_app().await;
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    // Valid UTF-8 for well past the detection window, then bytes that are not UTF-8.
    let mut bad_utf8 = b"id,name\n".to_vec();
    for i in 0..10_000 {
        bad_utf8.extend_from_slice(format!("{i},sample-{i}\n").as_bytes());
    }
    bad_utf8.extend_from_slice(b"10001,\xff\xfe\xfd\n");
    let files = vec![
        ("good.csv", THERMAL.as_bytes().to_vec()),
        ("empty.csv", Vec::new()),
        ("garbage.csv", garbage),
        ("ragged.csv", b"a,b\n1,2\n3,4,5\n".to_vec()),
        ("broken-utf8.csv", bad_utf8),
        ("picture.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
    ];
    let job = ingest_files(&app, "mixed", files).await;
    assert_eq!(job["state"], "partially_failed", "{job}");
    let errors: Vec<(String, String)> = job["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["file"].as_str().unwrap().to_owned(), e["error"].as_str().unwrap().to_owned()))
        .collect();
    let error_of = |name: &str| errors.iter().find(|(f, _)| f == name).map(|(_, e)| e.clone()).unwrap_or_default();
    assert_eq!(error_of("empty.csv"), "file is empty");
    assert!(error_of("garbage.csv").starts_with("not a text file"), "{errors:?}");
    assert_eq!(error_of("ragged.csv"), "line 3 has 3 fields, the header has 2");
    assert!(error_of("broken-utf8.csv").starts_with("invalid UTF-8 at byte"), "{errors:?}");
    assert_eq!(errors.len(), 4, "only the four broken files fail: {errors:?}");
    app.assert_healthy().await;

    let tables: Value = app.get_admin("/datasets/mixed/versions/1/tables").await.json().await.unwrap();
    assert_eq!(tables["total"], 1, "the good file still became a table");
    let files: Value = app.get_admin("/datasets/mixed/versions/1/files?limit=100").await.json().await.unwrap();
    let png =
        files["items"].as_array().unwrap().iter().find(|f| f["path"] == "picture.png").expect("unknown format kept");
    assert_eq!(png["format"], "unknown");
    assert_eq!(png["media_type"], "image/png");
    assert_eq!(files["total"], 7, "six raw files and one table");
}

#[tokio::test]
async fn hostile_uploads_are_refused_and_store_nothing() {
    let app = spawn_app().await;
    app.create_dataset("hostile").await;
    let traversal = app.upload("hostile", vec![("../../etc/passwd", b"x".to_vec())]).await;
    assert_eq!(traversal.status(), 400);
    assert!(traversal.text().await.unwrap().contains("invalid file path"));

    // A multipart body cut off mid-stream: the connection closes before the closing boundary.
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/datasets/hostile/draft/files HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {}\r\n\
content-type: multipart/form-data; boundary=XyZ\r\ncontent-length: 100000\r\n\r\n--XyZ\r\n\
content-disposition: form-data; name=\"file\"; filename=\"cut.csv\"\r\n\r\na,b\n1,2\n",
        app.token
    );
    tokio::io::AsyncWriteExt::write_all(&mut stream, head.as_bytes()).await.unwrap();
    drop(stream);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    app.assert_healthy().await;

    let files: Value = app.get_admin("/datasets/hostile/versions/1/files").await.json().await.unwrap();
    assert_eq!(files["total"], 0, "nothing of the refused uploads was recorded");
    let staging = app.state.config.staging_dir();
    let leftovers = std::fs::read_dir(&staging).map(|d| d.count()).unwrap_or(0);
    assert_eq!(leftovers, 0, "no staging file left behind");

    let duplicate = app.upload("hostile", vec![("a.csv", b"a\n1\n".to_vec())]).await;
    assert_eq!(duplicate.status(), 201);
    let again = app.upload("hostile", vec![("a.csv", b"a\n2\n".to_vec())]).await;
    assert_eq!(again.status(), 409, "an existing path is never replaced silently");
}

#[tokio::test]
async fn json_records_become_a_table_and_notebooks_are_read_by_their_own_reader() {
    let app = spawn_app().await;
    let ndjson = b"{\"sample\": \"A\", \"t\": 1.5, \"meta\": {\"run\": 1}}\n{\"sample\": \"B\", \"t\": 2.5, \"meta\": {\"run\": 2}}\n".to_vec();
    let notebook = b"{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": []}".to_vec();
    let job = ingest_files(&app, "records", vec![("runs.ndjson", ndjson), ("analysis.ipynb", notebook)]).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let table: Value = app.get_admin("/datasets/records/versions/1/tables/runs").await.json().await.unwrap();
    assert_eq!(table["row_count"], 2);
    assert_eq!(table["provenance"]["reader"], "json");
    let rows: Value =
        app.get_admin("/datasets/records/versions/1/tables/runs/rows?columns=sample,meta").await.json().await.unwrap();
    assert_eq!(rows[1], serde_json::json!({"sample": "B", "meta": {"run": 2}}));
    let files: Value = app.get_admin("/datasets/records/versions/1/files").await.json().await.unwrap();
    let nb = files["items"].as_array().unwrap().iter().find(|f| f["path"] == "analysis.ipynb").unwrap();
    assert_eq!(nb["format"], "notebook");
}

#[tokio::test]
async fn an_eln_archive_keeps_every_member_and_its_tables_name_their_member() {
    let app = spawn_app().await;
    let eln = std::fs::read(testdata("eln/benchlineage-demo.eln")).unwrap();
    let job = ingest_files(&app, "bench", vec![("benchlineage-demo.eln", eln)]).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let files: Value = app.get_admin("/datasets/bench/versions/1/files?limit=100").await.json().await.unwrap();
    let items = files["items"].as_array().unwrap();
    let raw = items.iter().find(|f| f["path"] == "benchlineage-demo.eln").unwrap();
    assert_eq!(raw["format"], "eln");
    let extracted: Vec<&Value> = items.iter().filter(|f| f["role"] == "extracted").collect();
    assert_eq!(extracted.len(), 21, "every file member of the archive is kept");
    let csv = extracted
        .iter()
        .find(|f| {
            f["path"]
                == "extracted/benchlineage-demo.eln/benchlineage-0.3.0-demo.eln/workspace/data/raw/rc-baseline.csv"
        })
        .expect("member kept under extracted/");
    assert_eq!(csv["size"], 1693);

    let table: Value = app
        .get_admin("/datasets/bench/versions/1/tables/benchlineage-demo.workspace_data_raw_rc-baseline")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(table["row_count"], 41, "{table}");
    let provenance = &table["provenance"];
    assert_eq!(provenance["reader"], "csv");
    assert_eq!(provenance["container"]["reader"], "eln");
    assert_eq!(provenance["member"]["path"], "benchlineage-0.3.0-demo.eln/workspace/data/raw/rc-baseline.csv");
    assert_eq!(provenance["member"]["sha256"], csv["sha256"]);
    assert_eq!(provenance["source"]["path"], "benchlineage-demo.eln");
}

/// Uploads one file to a new dataset's draft (created with `body`) and ingests it.
async fn ingest_into_new(app: &common::TestApp, body: Value, file: &str) -> Value {
    let name = body["name"].as_str().unwrap().to_owned();
    let r = app.post_admin("/datasets", body).await;
    assert_eq!(r.status(), 201, "create: {}", r.text().await.unwrap_or_default());
    let bytes = std::fs::read(testdata(&format!("eln/{file}"))).unwrap();
    let r = app.upload(&name, vec![(file, bytes)]).await;
    assert_eq!(r.status(), 201, "upload: {}", r.text().await.unwrap_or_default());
    app.ingest(&name).await
}

#[tokio::test]
async fn an_eln_crate_fills_the_empty_draft_metadata() {
    let app = spawn_app().await;
    let job = ingest_into_new(&app, serde_json::json!({"name": "pasta"}), "pasta.eln").await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let message = job["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("pasta.eln: metadata imported from the RO-Crate: titles, creators, license"),
        "{message}"
    );
    assert!(message.contains("left out: description \"Exported content from PASTA ELN\""), "{message}");

    let draft: Value = app.get_admin("/datasets/pasta/versions/1").await.json().await.unwrap();
    let md = &draft["metadata"];
    assert_eq!(md["titles"], serde_json::json!([{"lang": "und", "value": "Exported from PASTA ELN"}]), "{md}");
    assert_eq!(md["creators"][0]["name"], "Brinckmann, Steffen");
    assert_eq!(md["creators"][0]["orcid"], "0000-0003-0930-082X");
    assert_eq!(md["creators"][0]["affiliations"][0]["name"], "Forschungszentrum Jülich");
    assert_eq!(md["license"], "CC-BY-NC-SA-4.0");
    assert_eq!(md["samples"][0]["name"], "Example sample");
    assert!(md.get("descriptions").is_none(), "a description under 50 characters is left out: {md}");
    kura_metadata::validate_draft(md).expect("the filled draft is valid");
    // The title column was the default (the dataset's name): it follows the imported title.
    assert_eq!(draft["title"], "Exported from PASTA ELN");

    // The value left out is a warning of the tables read from the archive too.
    let table: Value = app
        .get_admin("/datasets/pasta/versions/1/tables/pasta.PastasExampleProject_002_DataFiles_simple")
        .await
        .json()
        .await
        .unwrap();
    let warnings = table["metadata"]["warnings"].as_array().expect("warnings");
    assert!(
        warnings.iter().any(|w| w.as_str().unwrap().starts_with("metadata not imported: description")),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn what_the_user_wrote_first_is_kept() {
    let app = spawn_app().await;
    let body = serde_json::json!({"name": "osl", "title": "My own title",
        "metadata": {"license": "MIT", "creators": [{"name": "Yamada, Hanako"}]}});
    // An archive with no tabular member: its metadata still reach the draft.
    let job = ingest_into_new(&app, body, "opensemanticlab-minimal.eln").await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let tables: Value = app.get_admin("/datasets/osl/versions/1/tables").await.json().await.unwrap();
    assert_eq!(tables["total"], 0, "{tables} {job}");
    let draft: Value = app.get_admin("/datasets/osl/versions/1").await.json().await.unwrap();
    let md = &draft["metadata"];
    assert_eq!(md["license"], "MIT", "{md}");
    assert_eq!(md["creators"], serde_json::json!([{"name": "Yamada, Hanako"}]));
    assert!(md.get("titles").is_none(), "the user's title stays the title: {md}");
    assert_eq!(draft["title"], "My own title");
    assert_eq!(
        md["descriptions"],
        serde_json::json!([{"lang": "und", "value": "A minimal test dataset exported from OpenSemanticLab"}]),
        "{job}"
    );
    assert_eq!(draft["description"], "A minimal test dataset exported from OpenSemanticLab");
    let message = job["message"].as_str().unwrap_or_default();
    assert_eq!(message, "opensemanticlab-minimal.eln: metadata imported from the RO-Crate: descriptions", "{job}");

    // A second archive fills only what is still empty; the first archive's description stays.
    let bytes = std::fs::read(testdata("eln/pasta-gold-standard.eln")).unwrap();
    let r = app.upload("osl", vec![("pasta-gold-standard.eln", bytes)]).await;
    assert_eq!(r.status(), 201, "upload: {}", r.text().await.unwrap_or_default());
    let job = app.ingest("osl").await;
    let draft: Value = app.get_admin("/datasets/osl/versions/1").await.json().await.unwrap();
    let md = &draft["metadata"];
    assert_eq!(md["license"], "MIT");
    assert_eq!(md["creators"], serde_json::json!([{"name": "Yamada, Hanako"}]));
    assert_eq!(md["descriptions"][0]["value"], "A minimal test dataset exported from OpenSemanticLab");
    assert_eq!(md["keywords"][0]["value"], "chemical reaction: structures conditions", "{md} {job}");
    kura_metadata::validate_draft(md).expect("the filled draft is valid");
}

/// Issue 18: read parameters per file through `POST …/draft/ingest`, and re-ingest replacing
/// the file's tables; the parameters given are in the provenance.
#[tokio::test]
async fn read_parameters_and_reingest_replace_a_files_tables() {
    let app = spawn_app().await;
    let file = "# Potentiostat\nE [V];I [mA]\n-0,5000;0,350783\n-0,4990;0,351200\n-0,4980;0,351617\n";
    let job = ingest_files(&app, "echem", vec![("cv.csv", file.as_bytes().to_vec())]).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let table: Value = app.get_admin("/datasets/echem/versions/1/tables/cv").await.json().await.unwrap();
    assert_eq!(table["columns"][0]["arrow_type"], "Float64", "{table}");
    assert_eq!(table["provenance"]["parameters"]["decimal"], ",");

    // Read again as the user says: a decimal point, so the values are text; and a unit.
    let body = serde_json::json!({
        "reingest": ["cv.csv"],
        "files": {"cv.csv": {"delimiter": ";", "decimal": ".", "columns": {"I": {"unit": "A"}}}},
    });
    let job = app.ingest_with("echem", body).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let tables: Value = app.get_admin("/datasets/echem/versions/1/tables").await.json().await.unwrap();
    assert_eq!(tables["items"].as_array().map(Vec::len), Some(1), "replaced, not added: {tables}");
    let table: Value = app.get_admin("/datasets/echem/versions/1/tables/cv").await.json().await.unwrap();
    assert_eq!(table["columns"][0]["arrow_type"], "Utf8", "{table}");
    assert_eq!(table["columns"][1]["unit"], "A");
    assert_eq!(table["provenance"]["parameters"]["given"]["decimal"], ".");
    // Unknown parameters are refused.
    let r =
        app.post_admin("/datasets/echem/draft/ingest", serde_json::json!({"files": {"cv.csv": {"delim": ";"}}})).await;
    assert!(r.status().is_client_error(), "{}", r.status());
}

/// Issue 19: with one slot, a second job waits `queued`; editors cancel it (it never runs) and
/// the running one (nothing of it is committed); an ended job answers 409, a job the caller may
/// not see 404 (as its GET does), and the portal's job page offers Cancel only while it runs.
#[tokio::test]
async fn editors_cancel_queued_and_running_jobs_and_nothing_of_them_is_kept() {
    let app = common::spawn_app_with(|c, _| c.max_concurrent_ingests = 1).await;
    app.create_dataset("slow").await;
    app.create_dataset("waits").await;
    // Someone who may not edit the datasets (made first: hashing a password takes a while).
    let r =
        app.post_admin("/users", serde_json::json!({"username": "olga", "password": "correct-horse-battery"})).await;
    let olga = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let r = app.post_admin(&format!("/users/{olga}/tokens"), serde_json::json!({"name": "w", "scope": "write"})).await;
    let olga = r.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_owned();
    // Big enough to be still running when it is cancelled a few requests later.
    let mut big = String::from("time,value [mV]\n");
    for i in 0..3_000_000 {
        big.push_str(&format!("{i},{}\n", i % 977));
    }
    assert_eq!(app.upload("slow", vec![("big.csv", big.into_bytes())]).await.status(), 201);
    assert_eq!(app.upload("waits", vec![("small.csv", THERMAL.as_bytes().to_vec())]).await.status(), 201);

    let running = start(&app, "slow").await;
    let id = |job: &Value, key: &str| job[key].as_str().unwrap().parse::<uuid::Uuid>().unwrap();
    let jobs = &app.state.jobs;
    jobs.wait_until(id(&running, "dataset_id"), id(&running, "id"), |j| j.state != kura_core::JobState::Queued)
        .await
        .unwrap();
    let queued = start(&app, "waits").await;
    assert_eq!(queued["state"], "queued", "the only slot is taken");
    // The job page offers Cancel while the job has not ended.
    let page_of = |job: &Value, name: &str| format!("{}/edit/{name}/jobs/{}", app.base, job["id"].as_str().unwrap());
    let page = app.client.get(page_of(&queued, "waits")).bearer_auth(&app.token).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("id=\"cancel-job\""));

    let cancel_url =
        |job: &Value, name: &str| app.url(&format!("/datasets/{name}/jobs/{}/cancel", job["id"].as_str().unwrap()));
    for (job, name) in [(&queued, "waits"), (&running, "slow")] {
        let r = app.client.post(cancel_url(job, name)).bearer_auth(&app.token).send().await.unwrap();
        assert_eq!(r.status(), 200, "cancel the job of {name}");
        let cancelled: Value = r.json().await.unwrap();
        assert_eq!(cancelled["state"], "cancelled", "{cancelled}");
        let again = app.client.post(cancel_url(job, name)).bearer_auth(&app.token).send().await.unwrap();
        assert_eq!(again.status(), 409, "an ended job cannot be cancelled");
    }
    // A job the caller may not see is not found, as its GET says; so is a job that never was.
    let get_url = app.url(&format!("/datasets/waits/jobs/{}", queued["id"].as_str().unwrap()));
    assert_eq!(app.client.get(&get_url).bearer_auth(&olga).send().await.unwrap().status(), 404);
    let r = app.client.post(cancel_url(&queued, "waits")).bearer_auth(&olga).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = app.client.post(app.url("/datasets/waits/jobs/not-a-job/cancel")).bearer_auth(&app.token).send().await;
    assert_eq!(r.unwrap().status(), 404);

    jobs.idle().await;
    assert_eq!(app.wait_for_job(&queued).await["started_at"], Value::Null, "the queued job never ran");
    for name in ["slow", "waits"] {
        assert!(app.draft_tables(name).await.is_empty(), "nothing of a cancelled job is committed");
    }
    let page = app.client.get(page_of(&running, "slow")).bearer_auth(&app.token).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(!page.contains("id=\"cancel-job\"") && page.contains("cancelled"), "{page}");
    // The files stay: a new job reads them.
    assert_eq!(app.ingest("waits").await["state"], "succeeded");
}

/// Starts an ingest job through REST and returns it as answered (202).
async fn start(app: &common::TestApp, name: &str) -> Value {
    let r = app.post_admin(&format!("/datasets/{name}/draft/ingest"), serde_json::json!({})).await;
    assert_eq!(r.status(), 202);
    r.json().await.unwrap()
}
