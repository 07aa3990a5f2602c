//! The service side's reads without decoding the claims: each `Claim` of a
//! response is kept as its encoded bytes, the way the direct side keeps
//! each row's JSON snapshot as bytes without parsing it (see `direct`).
//!
//! The messages below have the field numbers of `ListClaimsResponse` and
//! `GetClaimResponse` with the claims typed `bytes`: on the wire a message
//! field and a bytes field are the same (length-delimited), so protobuf
//! decodes the envelope and stops there. The HTTP/2 framing, the gRPC
//! envelope and the response's own fields are still read; a malformed
//! response still fails.

use claimdb::pb::v1 as pb;
use http::uri::PathAndQuery;
use prost::bytes::Bytes;
use tonic::client::Grpc;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};
use tonic_prost::ProstCodec;

/// `ListClaimsResponse` with its claims undecoded.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct ListClaimsResponse {
    /// The page's claims, each an encoded `Claim`.
    #[prost(bytes = "bytes", repeated, tag = "1")]
    pub(crate) claims: Vec<Bytes>,
    /// Token for the next page.
    #[prost(string, tag = "2")]
    pub(crate) next_page_token: String,
}

/// `GetClaimResponse` with its claim undecoded.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct GetClaimResponse {
    /// The claim, encoded.
    #[prost(bytes = "bytes", optional, tag = "1")]
    pub(crate) claim: Option<Bytes>,
}

/// A `ClaimService` client for the two reads.
#[derive(Debug, Clone)]
pub(crate) struct RawClaims {
    inner: Grpc<Channel>,
}

impl RawClaims {
    /// A client on `channel`.
    pub(crate) fn new(channel: Channel) -> Self {
        Self {
            inner: Grpc::new(channel).max_decoding_message_size(64 << 20),
        }
    }

    /// `ListClaims`.
    pub(crate) async fn list_claims(
        &mut self,
        req: Request<pb::ListClaimsRequest>,
    ) -> Result<Response<ListClaimsResponse>, Status> {
        self.call(req, "/claimdb.v1.ClaimService/ListClaims").await
    }

    /// `GetClaim`.
    pub(crate) async fn get_claim(
        &mut self,
        req: Request<pb::GetClaimRequest>,
    ) -> Result<Response<GetClaimResponse>, Status> {
        self.call(req, "/claimdb.v1.ClaimService/GetClaim").await
    }

    async fn call<Q, R>(
        &mut self,
        req: Request<Q>,
        path: &'static str,
    ) -> Result<Response<R>, Status>
    where
        Q: prost::Message + Send + Sync + 'static,
        R: prost::Message + Default + Send + Sync + 'static,
    {
        self.inner
            .ready()
            .await
            .map_err(|e| Status::unavailable(format!("channel not ready: {e}")))?;
        let codec = ProstCodec::<Q, R>::default();
        self.inner
            .unary(req, PathAndQuery::from_static(path), codec)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;

    #[test]
    fn an_encoded_response_reads_back_with_its_claims_as_their_bytes() {
        let claim = pb::Claim {
            id: "c1".into(),
            text: "We will win.".into(),
            ..Default::default()
        };
        let full = pb::ListClaimsResponse {
            claims: vec![claim.clone(), claim.clone()],
            next_page_token: "next".into(),
        };
        let raw = ListClaimsResponse::decode(full.encode_to_vec().as_slice());
        let raw = raw.unwrap_or_default();
        assert_eq!(raw.claims.len(), 2);
        assert_eq!(raw.next_page_token, "next");
        assert_eq!(
            pb::Claim::decode(raw.claims[0].clone()).ok(),
            Some(claim.clone())
        );
        let one = pb::GetClaimResponse { claim: Some(claim) };
        let raw = GetClaimResponse::decode(one.encode_to_vec().as_slice()).unwrap_or_default();
        assert!(raw.claim.is_some_and(|b| !b.is_empty()));
    }
}
