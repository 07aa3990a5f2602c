//! `claimdb.v1.ClaimService`.

use tonic::{Request, Response, Status};

use super::convert::{self, claim_out};
use super::error::{from_store, invalid};
use super::watch::{EventHub, WatchStream};
use super::wire::{self, encode_claim};
use super::{actor, Paging};
use crate::domain::{ClaimFilter, ClaimOrder, NewArticle, NewClaim, Violations};
use crate::pb::v1 as pb;
use crate::pb::wire::claim_service_server::ClaimService;
use crate::store::Store;

/// Most claims accepted in one article.
pub const MAX_CLAIMS_PER_ARTICLE: usize = 10_000;

/// The claim service over a store.
#[derive(Clone, Debug)]
pub struct ClaimApi {
    store: Store,
    hub: EventHub,
}

impl ClaimApi {
    /// A service over `store`, streaming events from `hub`. Installs the
    /// encoded message as the process's form of a version, so the store
    /// makes it straight from a snapshot's JSON (see
    /// [`crate::domain::shared`]).
    pub fn new(store: Store, hub: EventHub) -> Self {
        crate::domain::shared::install_form(wire::version_form);
        Self { store, hub }
    }
}

/// Parses an ingest request: the article and every claim, all violations at
/// once.
pub fn parse_ingest(
    req: &pb::IngestArticleRequest,
) -> Result<(NewArticle, Vec<NewClaim>), Violations> {
    let mut v = Violations::new();
    let article = match &req.article {
        None => {
            v.push("article", "is required");
            None
        }
        Some(a) => {
            let publisher =
                convert::entity_ref(&mut v, "article.publisher", a.publisher.as_ref(), false);
            let published =
                convert::time(&mut v, "article.published_time", a.published_time.as_ref());
            NewArticle::parse(
                &mut v,
                &a.url,
                &a.title,
                publisher,
                published,
                &a.language,
                &a.body,
            )
        }
    };
    if req.claims.len() > MAX_CLAIMS_PER_ARTICLE {
        v.push(
            "claims",
            format!("at most {MAX_CLAIMS_PER_ARTICLE} claims per article"),
        );
        return Err(v);
    }
    let claims: Vec<NewClaim> = req
        .claims
        .iter()
        .enumerate()
        .filter_map(|(i, c)| convert::new_claim(&mut v, &format!("claims[{i}]"), c))
        .collect();
    match article {
        Some(a) if v.is_empty() => Ok((a, claims)),
        _ => Err(v),
    }
}

/// With `extract = true`, appends the extractor's claims to the request.
pub fn with_extracted(
    mut req: pb::IngestArticleRequest,
) -> Result<pb::IngestArticleRequest, Violations> {
    if !req.extract {
        return Ok(req);
    }
    let Some(article) = &req.article else {
        return Ok(req);
    };
    if article.body.trim().is_empty() {
        return Err(Violations::single(
            "article.body",
            "is required when extract is true",
        ));
    }
    let mut v = Violations::new();
    let published = convert::time(
        &mut v,
        "article.published_time",
        article.published_time.as_ref(),
    );
    v.into_result(())?;
    let extracted = super::extract::extract_claims(&article.body, published);
    req.claims.extend(extracted);
    Ok(req)
}

fn parse_order(v: &mut Violations, raw: i32) -> ClaimOrder {
    match pb::ClaimOrder::try_from(raw) {
        Ok(pb::ClaimOrder::Unspecified) | Ok(pb::ClaimOrder::SaidTimeAsc) => ClaimOrder::SaidAsc,
        Ok(pb::ClaimOrder::SaidTimeDesc) => ClaimOrder::SaidDesc,
        Ok(pb::ClaimOrder::RecordTimeAsc) => ClaimOrder::RecordAsc,
        Ok(pb::ClaimOrder::RecordTimeDesc) => ClaimOrder::RecordDesc,
        Err(_) => {
            v.push("order_by", format!("unknown order {raw}"));
            ClaimOrder::SaidAsc
        }
    }
}

/// Parses the filter and paging of a `ListClaims` request.
pub fn parse_list(req: &pb::ListClaimsRequest) -> Result<(ClaimFilter, Paging), Violations> {
    let mut v = Violations::new();
    let kinds = req
        .kinds
        .iter()
        .enumerate()
        .filter_map(|(i, k)| {
            let kind = convert::claim_kind(&mut v, &format!("kinds[{i}]"), *k);
            if kind.is_none() && *k == 0 {
                v.push(format!("kinds[{i}]"), "must not be UNSPECIFIED");
            }
            kind
        })
        .collect();
    let query = req.query.trim();
    crate::domain::error::check_len(&mut v, "query", query, 1000);
    let filter = ClaimFilter {
        speaker: convert::entity_ref(&mut v, "speaker", req.speaker.as_ref(), false),
        subject: convert::entity_ref(&mut v, "subject", req.subject.as_ref(), false),
        article_id: convert::opt_uuid(&mut v, "article_id", &req.article_id),
        publisher: convert::entity_ref(&mut v, "publisher", req.publisher.as_ref(), false),
        said_after: convert::time(&mut v, "said_after", req.said_after.as_ref()),
        said_before: convert::time(&mut v, "said_before", req.said_before.as_ref()),
        kinds,
        query: (!query.is_empty()).then(|| query.to_string()),
        include_retracted: req.include_retracted,
        as_of: convert::time(&mut v, "as_of", req.as_of.as_ref()),
        order: parse_order(&mut v, req.order_by),
        statement: convert::opt_uuid(&mut v, "statement", &req.statement),
    };
    if let (Some(a), Some(b)) = (filter.said_after, filter.said_before) {
        if a >= b {
            v.push("said_before", "must be later than said_after");
        }
    }
    let paging = Paging::parse(&mut v, &filter, req.page_size, &req.page_token);
    v.into_result((filter, paging))
}

#[tonic::async_trait]
impl ClaimService for ClaimApi {
    type WatchClaimsStream = WatchStream;

    async fn watch_claims(
        &self,
        request: Request<pb::WatchClaimsRequest>,
    ) -> Result<Response<Self::WatchClaimsStream>, Status> {
        let stream = super::watch::start(&self.hub, request.get_ref()).await?;
        Ok(Response::new(stream))
    }

    async fn extract_claims(
        &self,
        request: Request<pb::ExtractClaimsRequest>,
    ) -> Result<Response<pb::ExtractClaimsResponse>, Status> {
        let req = request.into_inner();
        let out = tokio::task::spawn_blocking(move || super::extract::extract_response(&req))
            .await
            .map_err(|_| Status::internal("internal error"))?
            .map_err(|v| invalid(&v))?;
        Ok(Response::new(out))
    }

    async fn import_articles(
        &self,
        request: Request<tonic::Streaming<pb::ImportArticlesRequest>>,
    ) -> Result<Response<pb::ImportArticlesResponse>, Status> {
        let actor = actor(&request);
        let summary = super::import::run(&self.store, request.into_inner(), &actor).await?;
        Ok(Response::new(summary))
    }

    async fn ingest_article(
        &self,
        request: Request<pb::IngestArticleRequest>,
    ) -> Result<Response<pb::IngestArticleResponse>, Status> {
        let actor = actor(&request);
        let req = with_extracted(request.into_inner()).map_err(|v| invalid(&v))?;
        let (article, claims) = parse_ingest(&req).map_err(|v| invalid(&v))?;
        let out = self
            .store
            .ingest(&article, &claims, &actor)
            .await
            .map_err(from_store)?;
        Ok(Response::new(pb::IngestArticleResponse {
            article: Some(convert::article_out(&out.article, &out.entities, false)),
            claims: out
                .claims
                .into_iter()
                .map(|c| claim_out(c, &out.entities))
                .collect(),
            created: out.created,
        }))
    }

    async fn get_claim(
        &self,
        request: Request<pb::GetClaimRequest>,
    ) -> Result<Response<wire::GetClaimResponse>, Status> {
        let req = request.get_ref();
        let mut v = Violations::new();
        let id = convert::uuid(&mut v, "id", &req.id);
        let as_of = convert::time(&mut v, "as_of", req.as_of.as_ref());
        let id = v.into_result(id).map_err(|v| invalid(&v))?;
        let id = id.ok_or_else(|| Status::invalid_argument("id: is required"))?;
        let (claim, dir) = self.store.get_claim(id, as_of).await.map_err(from_store)?;
        Ok(Response::new(wire::GetClaimResponse {
            claim: Some(encode_claim(&claim, &dir)),
        }))
    }

    async fn list_claims(
        &self,
        request: Request<pb::ListClaimsRequest>,
    ) -> Result<Response<wire::ListClaimsResponse>, Status> {
        let (filter, paging) = parse_list(request.get_ref()).map_err(|v| invalid(&v))?;
        let mut page = self
            .store
            .list_claims(&filter, paging.size, paging.after.as_ref())
            .await
            .map_err(from_store)?;
        let token = paging.token(page.next.take());
        Ok(Response::new(wire::ListClaimsResponse::new(&page, &token)))
    }

    async fn update_claim(
        &self,
        request: Request<pb::UpdateClaimRequest>,
    ) -> Result<Response<pb::UpdateClaimResponse>, Status> {
        let actor = actor(&request);
        let req = request.get_ref();
        let mut v = Violations::new();
        let id = convert::uuid(&mut v, "id", &req.id);
        let paths = req
            .update_mask
            .as_ref()
            .map(|m| m.paths.clone())
            .unwrap_or_default();
        let patch = match &req.claim {
            Some(c) => convert::claim_patch(&mut v, c, &paths),
            None => {
                v.push("claim", "is required");
                Default::default()
            }
        };
        if req.expected_revision <= 0 {
            v.push(
                "expected_revision",
                "is required: the revision you read (see GetClaim)",
            );
        }
        let reason = req.reason.trim();
        if reason.is_empty() {
            v.push("reason", "is required: say why the claim is corrected");
        }
        crate::domain::error::check_len(&mut v, "reason", reason, 2000);
        let id = v.into_result(id).map_err(|v| invalid(&v))?;
        let id = id.ok_or_else(|| Status::invalid_argument("id: is required"))?;
        let (rec, dir) = self
            .store
            .update_claim(id, &patch, req.expected_revision, reason, &actor)
            .await
            .map_err(from_store)?;
        Ok(Response::new(pb::UpdateClaimResponse {
            claim: Some(claim_out(rec, &dir)),
        }))
    }

    async fn retract_claim(
        &self,
        request: Request<pb::RetractClaimRequest>,
    ) -> Result<Response<pb::RetractClaimResponse>, Status> {
        let actor = actor(&request);
        let req = request.get_ref();
        let mut v = Violations::new();
        let id = convert::uuid(&mut v, "id", &req.id);
        let reason = req.reason.trim();
        if reason.is_empty() {
            v.push("reason", "is required: say why the claim is retracted");
        }
        crate::domain::error::check_len(&mut v, "reason", reason, 2000);
        if req.expected_revision < 0 {
            v.push("expected_revision", "must not be negative");
        }
        let id = v.into_result(id).map_err(|v| invalid(&v))?;
        let id = id.ok_or_else(|| Status::invalid_argument("id: is required"))?;
        let (rec, dir) = self
            .store
            .retract_claim(id, req.expected_revision, reason, &actor)
            .await
            .map_err(from_store)?;
        Ok(Response::new(pb::RetractClaimResponse {
            claim: Some(claim_out(rec, &dir)),
        }))
    }

    async fn list_claim_revisions(
        &self,
        request: Request<pb::ListClaimRevisionsRequest>,
    ) -> Result<Response<pb::ListClaimRevisionsResponse>, Status> {
        let req = request.get_ref();
        let mut v = Violations::new();
        let id = convert::uuid(&mut v, "id", &req.id);
        let paging = Paging::parse(
            &mut v,
            &("revisions", &req.id),
            req.page_size,
            &req.page_token,
        );
        let id = v.into_result(id).map_err(|v| invalid(&v))?;
        let id = id.ok_or_else(|| Status::invalid_argument("id: is required"))?;
        let page = self
            .store
            .list_claim_revisions(id, paging.size, paging.after.as_ref())
            .await
            .map_err(from_store)?;
        let revisions = page
            .items
            .into_iter()
            .map(|r| pb::ClaimRevision {
                claim_id: r.record.id.to_string(),
                revision: r.record.revision,
                claim: Some(claim_out(r.record, &page.entities)),
                change: change_out(r.change),
                reason: r.reason,
                actor: r.actor,
                record_time: Some(convert::timestamp(r.record_time)),
                superseded_time: r.superseded_time.map(convert::timestamp),
            })
            .collect();
        Ok(Response::new(pb::ListClaimRevisionsResponse {
            revisions,
            next_page_token: paging.token(page.next),
        }))
    }
}

/// A revision change on the wire.
pub(crate) fn change_out(c: crate::domain::RevisionChange) -> i32 {
    use crate::domain::RevisionChange as C;
    (match c {
        C::Created => pb::RevisionChange::Created,
        C::Corrected => pb::RevisionChange::Corrected,
        C::Retracted => pb::RevisionChange::Retracted,
        C::Merged => pb::RevisionChange::Merged,
        C::Regrouped => pb::RevisionChange::Regrouped,
    }) as i32
}
