//! Objects on an S3-compatible store (AWS, MinIO, Ceph RGW, …) through object_store's S3 client.
//! Only what every such store offers is used: plain PUT (multipart for large objects), GET with
//! ranges, HEAD, LIST and DELETE — no STS, no conditional PUT (content addressing makes every
//! write idempotent, so none is needed).

use std::sync::Arc;

use bytes::Bytes;
use object_store::ObjectStoreExt as _;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;

use crate::StorageError;
use kura_core::Config;

/// Where a node's objects live on an S3-compatible store (the `s3_*` keys of the configuration).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    pub prefix: Option<String>,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub allow_http: bool,
    pub path_style: bool,
}

impl S3Settings {
    /// The settings of `config`, when it names a bucket.
    pub fn from_config(config: &Config) -> Option<Self> {
        let bucket = config.s3_bucket.clone().filter(|b| !b.is_empty())?;
        Some(S3Settings {
            bucket,
            prefix: config.s3_prefix.clone().filter(|p| !p.trim_matches('/').is_empty()),
            endpoint: config.s3_endpoint.clone(),
            region: config.s3_region.clone(),
            access_key_id: config.s3_access_key_id.clone(),
            secret_access_key: config.s3_secret_access_key.clone(),
            allow_http: config.s3_allow_http,
            path_style: config.s3_path_style,
        })
    }

    /// The client: the standard AWS environment first (`AWS_*` variables, web identity,
    /// instance metadata), then what the configuration says explicitly.
    pub fn build(&self) -> Result<Arc<dyn object_store::ObjectStore>, StorageError> {
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&self.bucket)
            .with_allow_http(self.allow_http)
            .with_virtual_hosted_style_request(!self.path_style);
        if let Some(endpoint) = &self.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(region) = &self.region {
            builder = builder.with_region(region);
        }
        if let (Some(key), Some(secret)) = (&self.access_key_id, &self.secret_access_key) {
            builder = builder.with_access_key_id(key).with_secret_access_key(secret);
        }
        let s3 = builder.build()?;
        Ok(match &self.prefix {
            Some(prefix) => Arc::new(PrefixStore::new(s3, prefix.trim_matches('/'))),
            None => Arc::new(s3),
        })
    }
}

/// Writes, reads back and deletes a small object, so that a wrong endpoint, bucket or
/// credential stops the node at start with the store's own message rather than at the first
/// upload.
pub async fn probe(store: &dyn object_store::ObjectStore, settings: &S3Settings) -> Result<(), StorageError> {
    let location = ObjectPath::from(format!("kura-probe/{}", uuid::Uuid::new_v4()));
    let body = Bytes::from_static(b"kura start-up probe");
    let unusable = |what: &str, e: object_store::Error| {
        StorageError::Unusable(format!("bucket {:?}: cannot {what}: {e}", settings.bucket))
    };
    store.put(&location, body.clone().into()).await.map_err(|e| unusable("write", e))?;
    let read = store.get(&location).await.map_err(|e| unusable("read", e))?;
    let read = read.bytes().await.map_err(|e| unusable("read", e))?;
    store.delete(&location).await.map_err(|e| unusable("delete", e))?;
    if read != body {
        return Err(StorageError::Unusable(format!("bucket {:?} returned other bytes than written", settings.bucket)));
    }
    Ok(())
}
