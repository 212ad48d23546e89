//! DoGet answers framed by Kura rather than by tonic, so that message bodies reach HTTP/2 as the
//! very `Bytes` the stream produced: tonic's codec copies every message into one frame buffer
//! (its encoder can only write into a `BytesMut`), which for a Flight stream means copying every
//! byte of the table once more. The call itself is answered by the same
//! [`FlightService::do_get`] as before (authentication, ticket, access, audit); only the
//! serialization of its `FlightData` stream differs: a small prefix per message (the gRPC
//! length prefix and the protobuf fields before the body, encoded with prost) followed by the
//! body as it is.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use arrow_flight::flight_service_server::FlightService;
use arrow_flight::{FlightData, Ticket};
use bytes::{BufMut, Bytes, BytesMut};
use futures::future::BoxFuture;
use futures::{Stream, StreamExt};
use http_body::Frame;
use http_body_util::BodyExt;
use prost::Message;
use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint, key_len};
use tonic::Status;
use tonic::body::Body;

use crate::server::KuraFlight;

/// The gRPC path of DoGet.
pub const DO_GET: &str = "/arrow.flight.protocol.FlightService/DoGet";

/// Longest DoGet request accepted (a ticket is a few hundred bytes).
const MAX_REQUEST_BYTES: usize = 64 << 10;

/// The protobuf field number of `FlightData.data_body`.
const DATA_BODY: u32 = 1000;

/// Routes DoGet to [`DoGetService`]; every other call goes to tonic unchanged.
#[derive(Debug, Clone)]
pub struct DoGetLayer {
    flight: KuraFlight,
}

impl DoGetLayer {
    pub fn new(flight: KuraFlight) -> Self {
        DoGetLayer { flight }
    }
}

impl<S> tower::Layer<S> for DoGetLayer {
    type Service = DoGetService<S>;

    fn layer(&self, inner: S) -> DoGetService<S> {
        DoGetService { inner, flight: self.flight.clone() }
    }
}

/// See [`DoGetLayer`].
#[derive(Debug, Clone)]
pub struct DoGetService<S> {
    inner: S,
    flight: KuraFlight,
}

impl<S> tower::Service<http::Request<Body>> for DoGetService<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>> + Send,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<http::Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        if request.uri().path() != DO_GET {
            return Box::pin(self.inner.call(request));
        }
        let flight = self.flight.clone();
        Box::pin(async move { Ok(answer(flight, request).await.unwrap_or_else(|status| status.into_http())) })
    }
}

async fn answer(flight: KuraFlight, request: http::Request<Body>) -> Result<http::Response<Body>, Status> {
    let (parts, body) = request.into_parts();
    let bytes = http_body_util::Limited::new(body, MAX_REQUEST_BYTES)
        .collect()
        .await
        .map_err(|e| Status::invalid_argument(format!("cannot read the DoGet request: {e}")))?
        .to_bytes();
    let ticket = Ticket::decode(unframe(&bytes)?)
        .map_err(|e| Status::invalid_argument(format!("the DoGet request is not a Ticket: {e}")))?;
    let metadata = tonic::metadata::MetadataMap::from_headers(parts.headers);
    let request = tonic::Request::from_parts(metadata, tonic::Extensions::default(), ticket);
    let messages = FlightService::do_get(&flight, request).await?.into_inner();
    let metrics = flight.metrics().clone();
    let mut response =
        http::Response::new(Body::new(Framed { messages, queued: VecDeque::new(), done: false, metrics }));
    response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/grpc"));
    Ok(response)
}

/// The one message of a unary gRPC request body (uncompressed).
fn unframe(body: &[u8]) -> Result<&[u8], Status> {
    let Some((&[compressed, a, b, c, d], message)) = body.split_first_chunk::<5>() else {
        return Err(short());
    };
    if compressed != 0 {
        return Err(Status::unimplemented("compressed requests are not accepted"));
    }
    let length = u32::from_be_bytes([a, b, c, d]) as usize;
    if message.len() != length {
        return Err(short());
    }
    Ok(message)
}

fn short() -> Status {
    Status::invalid_argument("the DoGet request is not one gRPC message")
}

/// A `FlightData` stream as a gRPC response body: per message a prefix, then the body itself.
struct Framed {
    messages: Pin<Box<dyn Stream<Item = Result<FlightData, Status>> + Send>>,
    queued: VecDeque<Bytes>,
    done: bool,
    /// Counts the bytes of every message as it is framed.
    metrics: kura_service::metrics::Metrics,
}

impl http_body::Body for Framed {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        if let Some(bytes) = self.queued.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(bytes))));
        }
        if self.done {
            return Poll::Ready(None);
        }
        let end = match futures::ready!(self.messages.poll_next_unpin(cx)) {
            Some(Ok(message)) => {
                let (prefix, body) = frame(message)?;
                self.metrics.flight_bytes_sent((prefix.len() + body.len()) as u64);
                if !body.is_empty() {
                    self.queued.push_back(body);
                }
                return Poll::Ready(Some(Ok(Frame::data(prefix))));
            }
            Some(Err(status)) => status,
            None => Status::new(tonic::Code::Ok, ""),
        };
        self.done = true;
        let mut trailers = http::HeaderMap::new();
        end.add_header(&mut trailers)?;
        Poll::Ready(Some(Ok(Frame::trailers(trailers))))
    }
}

/// The gRPC frame of `message` as a prefix (length prefix and every field but the body, which
/// protobuf allows last) and the body.
fn frame(mut message: FlightData) -> Result<(Bytes, Bytes), Status> {
    let body = std::mem::take(&mut message.data_body);
    let body_field = match body.len() {
        0 => 0,
        n => key_len(DATA_BODY) + encoded_len_varint(n as u64) + n,
    };
    let length = u32::try_from(message.encoded_len() + body_field)
        .map_err(|_| Status::resource_exhausted("a Flight message over 4 GiB"))?;
    let mut prefix = BytesMut::with_capacity(5 + message.encoded_len() + 8);
    prefix.put_u8(0);
    prefix.put_u32(length);
    message.encode(&mut prefix).map_err(|e| Status::internal(format!("cannot encode a Flight message: {e}")))?;
    if !body.is_empty() {
        encode_key(DATA_BODY, WireType::LengthDelimited, &mut prefix);
        encode_varint(body.len() as u64, &mut prefix);
    }
    Ok((prefix.freeze(), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_framed_message_decodes_as_the_same_flight_data() {
        for body in [Bytes::new(), Bytes::from(vec![7u8; 300]), Bytes::from(vec![1u8; 70_000])] {
            let message = FlightData {
                data_header: Bytes::from_static(b"header"),
                app_metadata: Bytes::from_static(b"meta"),
                data_body: body.clone(),
                ..Default::default()
            };
            let (prefix, rest) = frame(message.clone()).unwrap();
            let mut wire = prefix.to_vec();
            wire.extend_from_slice(&rest);
            let inner = unframe(&wire).unwrap();
            assert_eq!(FlightData::decode(inner).unwrap(), message);
            // And prost's own encoding of the whole message is the same bytes.
            assert_eq!(inner, message.encode_to_vec().as_slice());
        }
    }

    #[test]
    fn requests_that_are_not_one_message_are_refused() {
        assert!(unframe(b"").is_err());
        assert!(unframe(&[0, 0, 0, 0, 5, 1, 2]).is_err());
        assert_eq!(unframe(&[1, 0, 0, 0, 1, 9]).unwrap_err().code(), tonic::Code::Unimplemented);
        assert_eq!(unframe(&[0, 0, 0, 0, 1, 9]).unwrap(), &[9]);
    }
}
