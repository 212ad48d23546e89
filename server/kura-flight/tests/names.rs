//! Two datasets the caller can see may share a name (names are unique per owner group): Flight
//! lists and reads both, the name meaning the caller's own group's one and the other going by its
//! id, in ListFlights, GetFlightInfo and Flight SQL alike.

mod common;

use arrow::record_batch::RecordBatch;
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::{FlightDescriptor, FlightInfo};
use common::build_world;
use futures::TryStreamExt;
use serde_json::json;

fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(|b| b.num_rows()).sum()
}

#[tokio::test]
async fn a_name_two_visible_datasets_share_lists_both() {
    let world = build_world().await;
    let (app, tokens) = (&world.app, &world.tokens);
    let groups = app.state.catalog.groups_with_organizations().await.unwrap();
    let lab_b = groups.iter().find(|(g, _)| g.name == "Lab B").unwrap().0.id;
    // Lab B cannot see Lab A's closed `ds-closed`: the name is free for it. Four rows, not three.
    let created = app.ok("POST", "/datasets", &tokens["partner"], json!({"name": "ds-closed", "group": lab_b})).await;
    let id = created["dataset"]["id"].as_str().unwrap().to_owned();
    let csv = b"a,b,secret\n1,b,s\n2,b,s\n3,b,s\n4,b,s\n".to_vec();
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(csv).file_name("t.csv"));
    let upload = app
        .client
        .post(app.url(&format!("/datasets/{id}/draft/files")))
        .bearer_auth(&tokens["partner"])
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 201);
    let job = app.ok("POST", &format!("/datasets/{id}/draft/ingest"), &tokens["partner"], json!({})).await;
    app.wait_for_job(&job).await;
    app.ok("POST", &format!("/datasets/{id}/draft/publish"), &tokens["admin"], json!({})).await;

    // Lab A's steward sees both: the name is Lab A's closed one, Lab B's goes by its id.
    let mut owner = app.flight_client(Some(&tokens["owner"])).await;
    let listed: Vec<FlightInfo> = owner.list_flights("").await.unwrap().try_collect().await.unwrap();
    let paths: Vec<String> = listed.iter().map(|i| i.flight_descriptor.as_ref().unwrap().path[0].clone()).collect();
    assert!(paths.contains(&"ds-closed".to_owned()) && paths.contains(&id), "{paths:?}");
    for (handle, expected) in [("ds-closed", 3), (id.as_str(), 4)] {
        let path = FlightDescriptor::new_path(vec![handle.into(), "latest".into(), "t".into()]);
        let info = owner.get_flight_info(path).await.unwrap();
        assert_eq!(info.total_records, expected, "{handle}");
    }
    let mut sql = FlightSqlServiceClient::new(app.channel().await);
    sql.set_token(tokens["owner"].clone());
    for (handle, expected) in [("ds-closed", 3), (id.as_str(), 4)] {
        let info = sql.execute(format!(r#"SELECT a FROM "{handle}".t"#), None).await.unwrap();
        let mut batches = Vec::new();
        for endpoint in &info.endpoint {
            let stream = sql.do_get(endpoint.ticket.clone().unwrap()).await.unwrap();
            batches.extend(stream.try_collect::<Vec<_>>().await.unwrap());
        }
        assert_eq!(rows(&batches), expected, "{handle}");
    }

    // Lab B's member and the public see one `ds-closed`: Lab B's.
    for token in [Some(tokens["partner"].as_str()), None] {
        let mut client = app.flight_client(token).await;
        let listed: Vec<FlightInfo> = client.list_flights("ds-closed").await.unwrap().try_collect().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].flight_descriptor.as_ref().unwrap().path[0], "ds-closed");
        assert_eq!(listed[0].total_records, 4);
    }
}
