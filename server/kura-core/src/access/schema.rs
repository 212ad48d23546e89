//! The OpenAPI schema of the stored access level. Written out because utoipa's derive would
//! require `C: ToSchema` of the generic level, which `Uuid` cannot be given (both are foreign);
//! `schema/openapi.json` and its test in kura-api keep it equal to what the derive produced.

use std::borrow::Cow;

use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

use super::AccessLevel;

/// One variant: its `level` tag, its doc comment and its fields.
fn variant(level: &str, description: Option<&str>, fields: Vec<(&str, Schema)>) -> Schema {
    let tag = ObjectBuilder::new().schema_type(Type::String).enum_values(Some([level]));
    let mut object = ObjectBuilder::new().schema_type(Type::Object).description(description);
    for (name, schema) in fields {
        object = object.required(name).property(name, schema);
    }
    object.required("level").property("level", tag).into()
}

fn string(format: KnownFormat) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(format)))
}

impl PartialSchema for AccessLevel<Uuid> {
    fn schema() -> RefOr<Schema> {
        let consortia = ArrayBuilder::new().items(string(KnownFormat::Uuid)).into();
        OneOfBuilder::new()
            .item(variant("open", None, vec![]))
            .item(variant(
                "embargoed",
                Some("Data opens to everyone at `until`; decided at request time, no scheduler involved."),
                vec![("until", string(KnownFormat::DateTime).into())],
            ))
            .item(variant(
                "consortium",
                Some("Data for members of any of these consortia who accepted its current agreement."),
                vec![("consortia", consortia)],
            ))
            .item(variant(
                "restricted",
                Some("Data for holders of an unexpired grant, given by a steward on request."),
                vec![],
            ))
            .item(variant("closed", Some("Nothing, not even metadata, outside the owner group."), vec![]))
            .description(Some("How open a dataset is. Stored per dataset in its access policy."))
            .into()
    }
}

impl ToSchema for AccessLevel<Uuid> {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("AccessLevel")
    }
}
